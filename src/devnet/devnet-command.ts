import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../config/load.js';
import { ConsoleOutput } from './console-output.js';
import { Devnet } from './devnet.js';
import { startDevnetPrometheus } from './devnet-prometheus.js';
import { type DevnetFlags, devnetSettings } from './options.js';
import { DevnetProgress } from './progress.js';
import { runScenario } from './scenario.js';
import type { PrometheusServer } from './prometheus.js';

/** Node key files of a devnet are sealed with this password: the network is throw-away. */
export const DEVNET_PASSWORD = 'keep-devnet';
const MESH_TIMEOUT_MS = 30_000;
const SCENARIO_STEP_TIMEOUT_MS = 180_000;

function devnetDirectory(dir: string | undefined): string {
  if (dir === undefined) return mkdtempSync(join(tmpdir(), 'keep-devnet-'));
  const path = resolve(dir);
  if (existsSync(path) && readdirSync(path).length > 0)
    throw new ConfigError(`--dir = ${JSON.stringify(dir)}: must be a new or empty directory`);
  mkdirSync(path, { recursive: true });
  return path;
}

/** Resolves with the reason to stop: SIGINT, SIGTERM or the end of --duration. A second signal exits at once. */
function stopRequests(durationMs: number | undefined, duration: string | undefined) {
  let reason: string | undefined;
  let wake: (reason: string) => void = () => {};
  const requested = new Promise<string>((resolve) => {
    wake = resolve;
  });
  const request = (why: string) => {
    if (reason && why.startsWith('SIG')) process.exit(1);
    reason ??= why;
    wake(reason);
  };
  process.on('SIGINT', () => request('SIGINT'));
  process.on('SIGTERM', () => request('SIGTERM'));
  const keepAlive = setInterval(() => {}, 1 << 30);
  const bound =
    durationMs === undefined ? undefined : setTimeout(() => request(`--duration ${duration}`), durationMs);
  return {
    requested,
    get reason() {
      return reason;
    },
    done() {
      clearInterval(keepAlive);
      clearTimeout(bound);
    },
  };
}

/**
 * `keep-client devnet`: lays out and starts the devnet, starts Prometheus, requests the groups,
 * shows progress until SIGINT/SIGTERM or --duration, then stops every child. Exit 0; 1 when
 * start-up failed, or when a --duration run (CI's smoke test) saw a child die or formed no wallet.
 */
export async function runDevnet(flags: DevnetFlags): Promise<never> {
  const settings = devnetSettings(flags);
  const dir = devnetDirectory(settings.dir);
  const startedAt = performance.now();
  const out = new ConsoleOutput(startedAt);
  const stop = stopRequests(settings.durationMs, flags.duration);
  const { shape } = settings;
  const { groupSize, groupQuorum, honestThreshold } = shape.wallet;
  out.say(
    `keep-client devnet: ${plural(shape.nodes, 'node')}, wallet group of ${plural(groupSize, 'seat')} ` +
      `(quorum ${groupQuorum}, threshold ${honestThreshold}), beacon group of ${plural(shape.beacon.groupSize, 'seat')} ` +
      `(threshold ${shape.beacon.honestThreshold}), ${shape.blockTimeMs}ms blocks`,
  );
  out.say(`directory: ${dir} (keys, configs and data; every process's output in ${join(dir, 'logs')})`);

  let devnet: Devnet | undefined;
  let prometheus: PrometheusServer | undefined;
  let progress: DevnetProgress | undefined;
  process.on('exit', () => {
    devnet?.killAll();
    if (prometheus?.running()) process.kill(prometheus.pid, 'SIGKILL');
  });

  let failure: string | undefined;
  let stopping = false;
  let scenario: Promise<string | undefined> | undefined;
  try {
    devnet = await Devnet.prepare({ dir, shape, password: DEVNET_PASSWORD });
    progress = new DevnetProgress(devnet, out, startedAt);
    if (!stop.reason) {
      await devnet.start();
      out.say(`chain: ${devnet.layout.chain.url}`);
      for (const node of devnet.nodes) out.say(`${node.name}: ${node.metricsUrl}  operator ${node.address}`);
    }
    if (!stop.reason && settings.prometheus) prometheus = await startDevnetPrometheus(devnet, out);
    else if (!settings.prometheus) out.say('prometheus: off (--no-prometheus)');
    void prometheus?.exited.then((exit) => {
      if (!stopping)
        out.say(
          `prometheus exited unexpectedly (${exit.code ?? exit.signal}); its log: ${join(dir, 'logs')}/prometheus.log`,
        );
    });
    if (!stop.reason) {
      writeFileSync(join(dir, 'devnet.json'), `${JSON.stringify(describe(devnet, prometheus), null, 2)}\n`);
      if (!(await devnet.waitForMesh(MESH_TIMEOUT_MS)))
        out.say('warning: not every node is connected to every other one yet; requesting groups anyway');
      // Prometheus holds every node's zero before anything happens, so increase() and
      // histogram_quantile() see the first DKG too.
      const nodeCount = devnet.nodes.length;
      await prometheus
        ?.waitFor('count(up == 1)', (r) => (Number(r[0]?.value[1]) >= nodeCount ? true : undefined), 20_000)
        .catch(() => out.say('prometheus: not every node scraped yet; carrying on'));
      progress.watchChain();
      if (settings.scenario) {
        progress.start();
        scenario = runScenario(devnet, {
          say: (line) => out.say(line),
          stepTimeoutMs: SCENARIO_STEP_TIMEOUT_MS,
        }).then(
          () => undefined,
          (err: Error) => {
            out.say(err.message);
            return err.message;
          },
        );
      } else {
        await devnet.requestGroups((err) => out.say(`requesting a group failed: ${err.message}`));
        out.say(
          `requested a wallet: DKG of ${groupSize} seats; then a beacon group of ${shape.beacon.groupSize} seats, ` +
            'and a relay entry periodically',
        );
        progress.start();
      }
    }
  } catch (err) {
    failure = (err as Error).message;
    out.say(`devnet: ${failure}`);
  }
  if (!failure) await stop.requested;

  stopping = true;
  progress?.stop();
  out.say(`stopping (${stop.reason ?? 'start-up failed'})`);
  await devnet?.stop();
  await prometheus?.stop();
  stop.done();
  out.say(`stopped; the devnet's files stay in ${dir}`);
  if (failure) process.exit(1);
  if (stop.reason?.startsWith('--duration')) {
    const scenarioProblem = settings.scenario
      ? await Promise.race([scenario ?? Promise.resolve('not started'), Promise.resolve('did not complete')])
      : undefined;
    const problems = [
      ...(progress?.problems() ?? []),
      ...(scenarioProblem ? [`scenario ${scenarioProblem}`] : []),
    ];
    if (problems.length) {
      out.say(`the run failed: ${problems.join('; ')}`);
      process.exit(1);
    }
  }
  process.exit(0);
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** devnet.json: where everything is, for scripts and tests. */
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
