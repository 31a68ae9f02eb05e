import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/load.js';
import { Devnet } from './devnet.js';
import type { FormedGroup } from './groups.js';
import { LiveArea } from './live-area.js';
import { readNodeStatus } from './node-status.js';
import type { DevnetFlags, DevnetSettings } from './options.js';
import { devnetSettings } from './options.js';
import {
  type PrometheusServer,
  prometheusConfig,
  prometheusInstalled,
  startPrometheus,
} from './prometheus.js';
import { freePort } from './free-port.js';
import { type NodeRow, renderPlain, renderTable } from './progress-view.js';

/** The alert rules of the monitoring kit, loaded by the devnet's Prometheus when present. */
const ALERT_RULES = fileURLToPath(new URL('../../../monitoring/alerts.yml', import.meta.url));
/** Node key files of a devnet are sealed with this password (a throw-away network). */
export const DEVNET_PASSWORD = 'keep-devnet';
const TTY_REFRESH_MS = 1000;
const PLAIN_STATUS_MS = 10_000;

function devnetDirectory(dir: string | undefined): string {
  if (dir === undefined) return mkdtempSync(join(tmpdir(), 'keep-devnet-'));
  const path = resolve(dir);
  if (existsSync(path) && readdirSync(path).length > 0)
    throw new ConfigError(`--dir = ${JSON.stringify(dir)}: must be a new or empty directory`);
  mkdirSync(path, { recursive: true });
  return path;
}

/** Output: a live table on a terminal, plain lines otherwise; every line prefixed with the elapsed time. */
class Console {
  private readonly area: LiveArea | undefined;

  constructor(
    private readonly startedAt: number,
    out: NodeJS.WriteStream,
  ) {
    this.area = out.isTTY ? new LiveArea(out) : undefined;
  }

  get live(): boolean {
    return this.area !== undefined;
  }

  say(line: string): void {
    const stamp = `[${((performance.now() - this.startedAt) / 1000).toFixed(1).padStart(6)}s]`;
    if (this.area) this.area.log(`${stamp} ${line}`);
    else process.stdout.write(`${stamp} ${line}\n`);
  }

  show(lines: string[]): void {
    if (this.area) this.area.update(lines);
    else for (const line of lines) this.say(line);
  }

  release(): void {
    this.area?.release();
  }
}

/** Starts Prometheus scraping every node, with the alert rules when they exist; undefined if it cannot. */
async function startDevnetPrometheus(devnet: Devnet, out: Console): Promise<PrometheusServer | undefined> {
  if (!prometheusInstalled()) {
    out.say('prometheus: not installed, carrying on without it (install: apt-get install prometheus)');
    return undefined;
  }
  const targets = devnet.nodes.map((node) => ({
    address: `127.0.0.1:${node.metricsPort}`,
    labels: { node: node.name },
  }));
  const ruleFiles = existsSync(ALERT_RULES) ? [ALERT_RULES] : [];
  const start = async (rules: string[]) =>
    startPrometheus({
      dir: join(devnet.layout.dir, 'prometheus'),
      port: await freePort(),
      config: prometheusConfig({ targets, scrapeInterval: '2s', ruleFiles: rules }),
      logFile: join(devnet.layout.logsDir, 'prometheus.log'),
      detached: true,
    });
  try {
    const server = await start(ruleFiles);
    out.say(
      `prometheus: ${server.url} (scraping ${targets.length} nodes${ruleFiles.length ? `, alert rules ${ALERT_RULES}` : ''})`,
    );
    return server;
  } catch (err) {
    if (ruleFiles.length) {
      out.say(
        `prometheus: did not start with ${ALERT_RULES} (${(err as Error).message}); retrying without it`,
      );
      return start([])
        .then((server) => {
          out.say(`prometheus: ${server.url} (scraping ${targets.length} nodes, no alert rules)`);
          return server;
        })
        .catch((retryErr: Error) => {
          out.say(`prometheus: ${retryErr.message}; carrying on without it`);
          return undefined;
        });
    }
    out.say(`prometheus: ${(err as Error).message}; carrying on without it`);
    return undefined;
  }
}

function describeGroup(group: FormedGroup, devnet: Devnet, sinceMs: number): string {
  const seats = devnet.nodes
    .map((node) => [node.name, group.members.filter((m) => m.operator === node.address).length] as const)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${n}`);
  return (
    `${group.kind} ${group.id.slice(0, 16)}… registered at block ${group.blockNumber}, ` +
    `${(sinceMs / 1000).toFixed(1)}s after the request; seats: ${seats.join(', ')}`
  );
}

/** `keep-client devnet`: runs until SIGINT/SIGTERM or the --duration, then stops every child. */
export async function runDevnet(flags: DevnetFlags): Promise<never> {
  const settings: DevnetSettings = devnetSettings(flags);
  const dir = devnetDirectory(settings.dir);
  const startedAt = performance.now();
  const out = new Console(startedAt, process.stdout);
  const { shape } = settings;
  const { groupSize, groupQuorum, honestThreshold } = shape.wallet;
  out.say(
    `keep-client devnet: ${shape.nodes} nodes, wallet group ${groupSize} seats ` +
      `(quorum ${groupQuorum}, threshold ${honestThreshold}), ${shape.blockTimeMs}ms blocks`,
  );
  out.say(`directory: ${dir} (keys, configs and data; each process's output in ${join(dir, 'logs')})`);

  let prometheus: PrometheusServer | undefined;
  let devnet: Devnet | undefined;
  process.on('exit', () => {
    devnet?.killAll();
    if (prometheus?.running()) process.kill(prometheus.pid, 'SIGKILL');
  });

  let stopReason: string | undefined;
  let wake: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const requestStop = (reason: string) => {
    if (stopReason) {
      // A second signal: no more waiting.
      process.exit(1);
    }
    stopReason = reason;
    wake();
  };
  process.on('SIGINT', () => requestStop('SIGINT'));
  process.on('SIGTERM', () => requestStop('SIGTERM'));
  const keepAlive = setInterval(() => {}, 1 << 30);

  let unexpectedExits = 0;
  const rows = new Map<number, string>();
  let startupError: Error | undefined;
  try {
    devnet = await Devnet.prepare({ dir, shape, password: DEVNET_PASSWORD });
    const net = devnet;
    net.onUnexpectedExit(({ name, exit, logFile }) => {
      unexpectedExits++;
      const node = net.nodes.find((n) => n.name === name);
      if (node) rows.set(node.index, `exited (${exit.code ?? exit.signal})`);
      out.say(`${name} exited unexpectedly with ${exit.code ?? exit.signal}; its log: ${logFile}`);
    });
    if (!stopReason) {
      await net.start();
      out.say(`chain: ${net.layout.chain.url} (log ${net.layout.chain.logFile})`);
      for (const node of net.nodes) out.say(`${node.name}: ${node.metricsUrl}  operator ${node.address}`);
    }
    if (!stopReason && settings.prometheus) prometheus = await startDevnetPrometheus(net, out);
    if (!stopReason) {
      writeFileSync(join(dir, 'devnet.json'), `${JSON.stringify(describe(net, prometheus), null, 2)}\n`);
      if (!(await net.waitForMesh(30_000)))
        out.say('warning: not every node is connected to every other yet');
      const requestedAt = performance.now();
      net.watchGroups((group) => out.say(describeGroup(group, net, performance.now() - requestedAt)));
      await net.requestGroups();
      out.say(`requested a wallet: DKG of ${groupSize} seats`);
    }
  } catch (err) {
    startupError = err as Error;
    out.say(`devnet: ${startupError.message}`);
  }

  let progress: NodeJS.Timeout | undefined;
  if (!startupError && !stopReason && devnet) {
    const net = devnet;
    let dkgStartedAt: number | undefined;
    let wallets = 0;
    net.observer.walletRegistry.onDkgStarted(() => {
      dkgStartedAt = performance.now();
    });
    net.watchGroups(() => {
      dkgStartedAt = undefined;
      wallets++;
    });
    const render = async () => {
      const statuses = await Promise.all(
        net.nodes.map((node) =>
          net.isNodeRunning(node.index) ? readNodeStatus(node.metricsUrl, node.diagnosticsUrl) : undefined,
        ),
      );
      const nodeRows: NodeRow[] = net.nodes.map((node, i) => ({
        name: node.name,
        state: rows.get(i) ?? (net.isNodeRunning(i) ? 'running' : 'stopped'),
        status: statuses[i],
      }));
      const blocks = statuses.flatMap((s) => (s?.block === undefined ? [] : [s.block]));
      const overview = {
        elapsedMs: performance.now() - startedAt,
        block: blocks.length ? Math.max(...blocks) : undefined,
        wallets,
        activity:
          dkgStartedAt === undefined
            ? 'no DKG running'
            : `DKG running for ${((performance.now() - dkgStartedAt) / 1000).toFixed(0)}s`,
      };
      if (stopReason) return;
      out.show(out.live ? renderTable(overview, nodeRows) : renderPlain(overview, nodeRows));
    };
    let busy = false;
    const tick = () => {
      if (busy) return;
      busy = true;
      void render().finally(() => {
        busy = false;
      });
    };
    tick();
    progress = setInterval(tick, out.live ? TTY_REFRESH_MS : PLAIN_STATUS_MS);
    if (settings.durationMs !== undefined) {
      const bound = setTimeout(() => requestStop(`--duration ${flags.duration}`), settings.durationMs);
      void stopped.then(() => clearTimeout(bound));
    }
    await stopped;
  }

  clearInterval(progress);
  out.release();
  out.say(`stopping (${stopReason ?? 'start-up failed'})`);
  await devnet?.stop();
  await prometheus?.stop();
  clearInterval(keepAlive);
  out.say(`stopped; the devnet's files stay in ${dir}`);
  if (startupError) process.exit(1);
  // A bounded run (CI's smoke test) fails when a child died; an interrupted one always exits 0.
  process.exit(stopReason?.startsWith('--duration') && unexpectedExits > 0 ? 1 : 0);
}

function describe(devnet: Devnet, prometheus: PrometheusServer | undefined) {
  const pids = new Map(devnet.pids().map(({ name, pid }) => [name, pid]));
  return {
    dir: devnet.layout.dir,
    chain: { url: devnet.layout.chain.url, pid: pids.get('chain'), log: devnet.layout.chain.logFile },
    nodes: devnet.nodes.map((node) => ({
      name: node.name,
      operator: node.address,
      peer_id: node.peerId,
      metrics: node.metricsUrl,
      diagnostics: node.diagnosticsUrl,
      config: node.configFile,
      log: node.logFile,
      pid: pids.get(node.name),
    })),
    prometheus: prometheus ? { url: prometheus.url, pid: prometheus.pid } : null,
  };
}
