import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Exit } from './keep-client-process.js';

export interface ScrapeTarget {
  /** host:port of a /metrics endpoint. */
  readonly address: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A Prometheus configuration (YAML; JSON strings are YAML scalars) with one job of static targets. */
export function prometheusConfig(options: {
  targets: readonly ScrapeTarget[];
  scrapeInterval: string;
  ruleFiles?: readonly string[];
  jobName?: string;
}): string {
  const q = (text: string) => JSON.stringify(text);
  const lines = [
    'global:',
    `  scrape_interval: ${options.scrapeInterval}`,
    `  evaluation_interval: ${options.scrapeInterval}`,
  ];
  if (options.ruleFiles?.length) lines.push('rule_files:', ...options.ruleFiles.map((f) => `  - ${q(f)}`));
  lines.push('scrape_configs:', `  - job_name: ${q(options.jobName ?? 'keep')}`, '    static_configs:');
  for (const target of options.targets) {
    lines.push(`      - targets: [${q(target.address)}]`);
    const labels = Object.entries(target.labels ?? {});
    if (labels.length) lines.push(`        labels: {${labels.map(([k, v]) => `${k}: ${q(v)}`).join(', ')}}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Whether a `prometheus` binary is on the PATH. */
export function prometheusInstalled(): boolean {
  return spawnSync('sh', ['-c', 'command -v prometheus'], { stdio: 'ignore' }).status === 0;
}

export type QueryResult = { metric: Record<string, string>; value: [number, string] }[];

export interface TargetHealth {
  readonly scrapeUrl: string;
  readonly health: string;
  readonly labels: Record<string, string>;
  readonly lastError: string;
}

export interface PrometheusServer {
  readonly url: string;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  running(): boolean;
  /** Runs an instant query; returns the result vector. */
  query(expr: string): Promise<QueryResult>;
  /** Polls the query until `accept` holds for its result, or fails after the timeout. */
  waitFor<T>(expr: string, accept: (result: QueryResult) => T | undefined, timeoutMs?: number): Promise<T>;
  /** The active scrape targets and their health. */
  targets(): Promise<TargetHealth[]>;
  stop(): Promise<Exit>;
}

/**
 * Starts Prometheus on 127.0.0.1:PORT with the configuration written to DIR/prometheus.yml and
 * its data in DIR/data; resolves once it answers /-/ready.
 */
export async function startPrometheus(options: {
  dir: string;
  port: number;
  config: string;
  logFile?: string;
  detached?: boolean;
  readyTimeoutMs?: number;
}): Promise<PrometheusServer> {
  mkdirSync(options.dir, { recursive: true });
  const configFile = join(options.dir, 'prometheus.yml');
  writeFileSync(configFile, options.config);
  const out = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(options.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
    ],
    { stdio: ['ignore', out, out], detached: options.detached ?? false },
  );
  if (typeof out === 'number') closeSync(out);
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const running = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  let failure: Error | undefined;
  void spawnError.then((err) => {
    failure = err;
  });
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not up yet
    }
    if (failure || !running() || Date.now() > deadline) {
      if (running()) child.kill('SIGKILL');
      const tail =
        options.logFile && existsSync(options.logFile)
          ? ` (${readFileSync(options.logFile, 'utf8').trim().split('\n').slice(-1)[0] ?? ''})`
          : '';
      throw new Error(`prometheus did not become ready${failure ? `: ${failure.message}` : tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const api = async (path: string) => {
    const response = await fetch(`${url}/api/v1/${path}`);
    const body = (await response.json()) as { status: string; error?: string; data: unknown };
    if (body.status !== 'success') throw new Error(`${path} failed: ${body.error}`);
    return body.data;
  };
  const query = async (expr: string) =>
    ((await api(`query?query=${encodeURIComponent(expr)}`)) as { result: QueryResult }).result;

  return {
    url,
    pid: child.pid!,
    exited,
    running,
    query,
    async waitFor(expr, accept, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const last = await query(expr);
        const accepted = accept(last);
        if (accepted !== undefined) return accepted;
        if (Date.now() > until)
          throw new Error(`timed out waiting for ${expr}; last result ${JSON.stringify(last)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async targets() {
      const data = (await api('targets?state=active')) as { activeTargets: TargetHealth[] };
      return data.activeTargets;
    },
    stop() {
      if (running()) child.kill('SIGTERM');
      return exited;
    },
  };
}
