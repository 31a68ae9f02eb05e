/**
 * Soak: runs `keep-client devnet` (chain server, node processes, wallet heartbeats, beacon relay
 * entries) for SOAK_DURATION and samples every process's heap after a forced full GC, through
 * the V8 inspector (HeapProfiler.collectGarbage, then Runtime.getHeapUsage), once a minute
 * after a warm-up. A leak shows as a heap that keeps growing after GC; a flat heap is the goal.
 *
 * Run: npm run bench:soak   (SOAK_DURATION=10m SOAK_WARMUP_S=60 SOAK_SAMPLE_S=60 are the defaults)
 * Needs Node's WebSocket client: the npm script runs node with --experimental-websocket.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '../src/config/duration.js';
import { KEEP_CLIENT } from '../src/devnet/keep-client-process.js';

const DURATION_MS = parseDuration(process.env.SOAK_DURATION ?? '10m') ?? Number.NaN;
if (!(DURATION_MS > 0)) throw new Error(`SOAK_DURATION ${process.env.SOAK_DURATION} is not a duration`);
const WARMUP_MS = Number(process.env.SOAK_WARMUP_S ?? 60) * 1000;
const SAMPLE_MS = Number(process.env.SOAK_SAMPLE_S ?? 60) * 1000;
/** Growth of the heap after GC, first sample to last, that still counts as flat. */
const FLAT_GROWTH_BYTES = Number(process.env.SOAK_FLAT_MB ?? 5) * 1024 * 1024;

const INSPECTOR_LINE = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+)/;

/** Heap in use after a forced full GC, asked of a process's inspector. */
async function heapAfterGc(url: string): Promise<number> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`inspector ${url} unreachable`)), { once: true });
  });
  let id = 0;
  const call = (method: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const mine = ++id;
      const timer = setTimeout(() => reject(new Error(`${method} timed out`)), 30_000);
      const onMessage = (event: MessageEvent) => {
        const reply = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown> };
        if (reply.id !== mine) return;
        clearTimeout(timer);
        socket.removeEventListener('message', onMessage);
        resolve(reply.result ?? {});
      };
      socket.addEventListener('message', onMessage);
      socket.send(JSON.stringify({ id: mine, method }));
    });
  try {
    await call('HeapProfiler.enable');
    await call('HeapProfiler.collectGarbage');
    const usage = await call('Runtime.getHeapUsage');
    return Number(usage.usedSize);
  } finally {
    socket.close();
  }
}

/** The inspector URL of each process of the devnet: its own, and each child's from its log. */
function inspectorUrls(dir: string, devnetStderr: string): Map<string, string> {
  const urls = new Map<string, string>();
  const own = devnetStderr.match(INSPECTOR_LINE);
  if (own) urls.set('devnet', own[1]!);
  const logs = join(dir, 'logs');
  if (!existsSync(logs)) return urls;
  for (const file of readdirSync(logs).filter((name) => name.endsWith('.log'))) {
    const match = readFileSync(join(logs, file), 'utf8').match(INSPECTOR_LINE);
    if (match) urls.set(file.replace(/\.log$/, ''), match[1]!);
  }
  return urls;
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'keep-soak-'));
  const seconds = Math.ceil((DURATION_MS + WARMUP_MS) / 1000);
  const devnet: ChildProcess = spawn(
    process.execPath,
    [KEEP_CLIENT, 'devnet', '--dir', dir, '--duration', `${seconds}s`, '--no-prometheus'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '--inspect=127.0.0.1:0' },
    },
  );
  let stderr = '';
  devnet.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => devnet.on('exit', (code) => resolve(code)));
  const samples = new Map<string, [number, number][]>();
  const started = Date.now();
  try {
    await sleep(WARMUP_MS);
    for (let at = WARMUP_MS; at <= WARMUP_MS + DURATION_MS - SAMPLE_MS / 2; at += SAMPLE_MS) {
      await sleep(Math.max(0, started + at - Date.now()));
      if (devnet.exitCode !== null) throw new Error(`the devnet exited early:\n${stderr}`);
      for (const [name, url] of inspectorUrls(dir, stderr)) {
        const used = await heapAfterGc(url).catch(() => undefined);
        if (used === undefined) continue;
        const series = samples.get(name) ?? [];
        series.push([(Date.now() - started) / 60_000, used]);
        samples.set(name, series);
      }
      process.stderr.write(`soak: sampled ${samples.size} processes at ${Math.round(at / 1000)} s\n`);
    }
  } finally {
    devnet.kill('SIGTERM');
    await exited;
  }
  console.log(
    `Soak of keep-client devnet: ${Math.round(DURATION_MS / 60_000)} min after ${WARMUP_MS / 1000} s warm-up;`,
  );
  console.log(
    `heap in use after a forced full GC, sampled every ${SAMPLE_MS / 1000} s (${cpus().length} cores)\n`,
  );
  console.log('| process | samples | first MB | last MB | max MB | slope MB/min | verdict |');
  console.log('|---|---|---|---|---|---|---|');
  let leaking = 0;
  for (const [name, series] of [...samples].sort(([a], [b]) => a.localeCompare(b))) {
    const first = series[0]![1];
    const last = series.at(-1)![1];
    const max = Math.max(...series.map(([, y]) => y));
    const growth = last - first;
    const flat = growth <= FLAT_GROWTH_BYTES;
    if (!flat) leaking++;
    console.log(
      `| ${name} | ${series.length} | ${mb(first)} | ${mb(last)} | ${mb(max)} | ${(slope(series) / 1024 / 1024).toFixed(2)} | ${flat ? 'flat' : 'GROWING'} |`,
    );
  }
  if (samples.size === 0) throw new Error('no process answered on its inspector');
  rmSync(dir, { recursive: true, force: true });
  if (leaking > 0) {
    console.error(`soak: ${leaking} process(es) grew more than ${mb(FLAT_GROWTH_BYTES)} MB after GC`);
    process.exitCode = 1;
  }
}

await main();
