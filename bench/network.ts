/**
 * Publish → deliver latency and sustained throughput of 1 KiB messages among 5 processes on
 * loopback: our channel layer (signed envelopes over gossipsub without pubsub signing) against
 * bare gossipsub (its default StrictSign), both measured in the same run.
 * Run: npm run bench:network
 */
import '../src/net/libp2p/polyfill.js';
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { generateOperatorKey } from '../src/crypto/operator-key.js';
import { freePort } from '../src/devnet/free-port.js';
import { peerIdOfOperatorKey } from '../src/net/libp2p/identity.js';
import type { Mode, PhaseStats, PublishResult, Request } from './network-node.js';

const NODES = 5;
// Interleaved so that drift of the shared machine hits both modes alike.
const ORDER: Mode[] = ['bare', 'ours', 'bare'];
// Bare gossipsub verifies a pubsub signature on every copy a subscriber receives (4 per message
// in a full mesh of 5), which caps it near 30 msg/s on 2 cores: the latency phase stays well
// below that, and the offered rates bracket it.
const WARMUP = { count: 60, intervalMs: 50 };
const LATENCY = { count: 200, intervalMs: 80 };
const RATES = [25, 50, 75];
const RATE_SECONDS = 5;
const DRAIN_MAX_MS = 10_000;
const DRAIN_IDLE_MS = 1_000;
const NODE_SCRIPT = fileURLToPath(new URL('./network-node.js', import.meta.url));

type Reply = { id: number; result?: unknown; error?: string };

/** A forked node and a request/reply protocol over its IPC channel. */
class Child {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (err: Error) => void }
  >();
  private readonly exited: Promise<unknown>;

  constructor(private readonly process: ChildProcess) {
    this.exited = once(process, 'exit');
    process.on('message', (reply: Reply) => {
      const call = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error === undefined) call?.resolve(reply.result);
      else call?.reject(new Error(reply.error));
    });
    process.on('exit', (code) => {
      for (const call of this.pending.values()) call.reject(new Error(`node exited with ${code}`));
      this.pending.clear();
    });
  }

  static fork(): Child {
    return new Child(fork(NODE_SCRIPT, [], { serialization: 'advanced', stdio: ['ignore', 2, 2, 'ipc'] }));
  }

  call<T>(request: Request, timeoutMs = 20_000): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${request.cmd} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      this.process.send({ id, request });
    });
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.connected)
      await this.call({ cmd: 'stop' }, 5_000).catch(() => {});
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 3_000);
    await this.exited;
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

interface PhaseResult {
  sent: number;
  sendRate: number;
  received: number[];
  deliveredRates: number[];
  latenciesMs: number[];
  /** CPU of the 5 nodes, in % of one core. */
  cpuPercent: number;
  /** CPU the rest of the machine used meanwhile (other work on a shared box), in % of one core. */
  otherCpuPercent: number;
}

function machineBusyMs(): number {
  return cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
}

async function cpuMs(nodes: Child[]): Promise<number> {
  const each = await Promise.all(nodes.map((node) => node.call<number>({ cmd: 'cpu' })));
  return each.reduce((a, b) => a + b, 0);
}

/** Node 0 publishes `count` messages; waits until the subscribers have them all or stop progressing. */
async function runPhase(
  nodes: Child[],
  phase: number,
  count: number,
  intervalMs: number,
): Promise<PhaseResult> {
  const [publisher, ...subscribers] = nodes as [Child, ...Child[]];
  const cpuBefore = await cpuMs(nodes);
  const machineBefore = machineBusyMs();
  const wallStart = process.hrtime.bigint();
  const published = await publisher.call<PublishResult>(
    { cmd: 'publish', phase, count, intervalMs },
    count * intervalMs + 60_000,
  );
  const stats = (latencies: boolean) =>
    Promise.all(subscribers.map((node) => node.call<PhaseStats>({ cmd: 'stats', phase, latencies })));
  const drainStart = Date.now();
  let lastTotal = -1;
  let lastProgress = Date.now();
  while (Date.now() - drainStart < DRAIN_MAX_MS) {
    const counts = (await stats(false)).map((s) => s.received);
    const total = counts.reduce((a, b) => a + b, 0);
    if (counts.every((n) => n >= published.sent)) break;
    if (total !== lastTotal) [lastTotal, lastProgress] = [total, Date.now()];
    else if (Date.now() - lastProgress > DRAIN_IDLE_MS) break;
    await sleep(100);
  }
  const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6;
  const cpuPercent = (((await cpuMs(nodes)) - cpuBefore) / wallMs) * 100;
  const otherCpuPercent = Math.max(0, ((machineBusyMs() - machineBefore) / wallMs) * 100 - cpuPercent);
  const final = await stats(true);
  const received = final.map((s) => s.received);
  console.error(
    `  phase ${phase}: sent ${published.sent}, received ${received.join(' ')}, ${wallMs.toFixed(0)} ms`,
  );
  return {
    sent: published.sent,
    sendRate: published.sent / (Number(published.endNs - published.startNs) / 1e9),
    received,
    deliveredRates: final.map((s) => s.received / (Number(s.lastArrivalNs - published.startNs) / 1e9)),
    latenciesMs: final.flatMap((s) => s.latenciesMs).sort((a, b) => a - b),
    cpuPercent,
    otherCpuPercent,
  };
}

interface ModeResult {
  mode: Mode;
  latency: PhaseResult;
  throughput: PhaseResult[];
}

async function runMode(mode: Mode): Promise<ModeResult> {
  const keys = Array.from({ length: NODES }, () => generateOperatorKey());
  const ports: number[] = [];
  while (ports.length < NODES) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const addresses = keys.map(
    (key, i) => `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${peerIdOfOperatorKey(key.publicKey).toString()}`,
  );
  const nodes = keys.map(() => Child.fork());
  try {
    const spawned = Date.now();
    await Promise.all(
      nodes.map((node, i) =>
        node.call({
          cmd: 'start',
          mode,
          privateKey: keys[i]!.privateKey,
          port: ports[i]!,
          peers: addresses.filter((_, j) => j !== i),
        }),
      ),
    );
    for (;;) {
      const peers = await Promise.all(nodes.map((node) => node.call<number>({ cmd: 'peers' })));
      if (peers.every((n) => n >= NODES - 1)) break;
      if (Date.now() - spawned > 20_000) throw new Error(`no full mesh: peers ${peers.join(',')}`);
      await sleep(50);
    }
    console.error(`${mode}: full mesh ${Date.now() - spawned} ms after spawn`);
    // Lets gossipsub heartbeats build the mesh and the JIT warm up the crypto.
    const warmup = await runPhase(nodes, 0, WARMUP.count, WARMUP.intervalMs);
    if (warmup.received.some((n) => n === 0)) throw new Error(`warm-up not delivered: ${warmup.received}`);
    const latency = await runPhase(nodes, 1, LATENCY.count, LATENCY.intervalMs);
    const throughput: PhaseResult[] = [];
    for (const [i, rate] of RATES.entries()) {
      throughput.push(await runPhase(nodes, 2 + i, rate * RATE_SECONDS, 1000 / rate));
    }
    console.error(`${mode}: done ${Date.now() - spawned} ms after spawn`);
    return { mode, latency, throughput };
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));

function merge(results: PhaseResult[]): PhaseResult {
  return {
    sent: results.reduce((a, r) => a + r.sent, 0),
    sendRate: Number.NaN,
    received: results.flatMap((r) => r.received),
    deliveredRates: results.flatMap((r) => r.deliveredRates),
    latenciesMs: results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b),
    cpuPercent: results.reduce((a, r) => a + r.cpuPercent, 0) / results.length,
    otherCpuPercent: results.reduce((a, r) => a + r.otherCpuPercent, 0) / results.length,
  };
}

const cpu = (r: PhaseResult) => `${r.cpuPercent.toFixed(0)} / ${r.otherCpuPercent.toFixed(0)}`;

function latencyRow(label: string, r: PhaseResult): string {
  const expected = r.sent * (NODES - 1);
  const received = r.received.reduce((a, b) => a + b, 0);
  const l = r.latenciesMs;
  return `| ${label} | ${received}/${expected} | ${ms(percentile(l, 0.5))} | ${ms(percentile(l, 0.9))} | ${ms(percentile(l, 0.99))} | ${ms(l.at(-1) ?? Number.NaN)} | ${cpu(r)} |`;
}

function throughputRow(rate: number, label: string, r: PhaseResult): string {
  const received = r.received.reduce((a, b) => a + b, 0);
  const loss = 1 - received / (r.sent * (NODES - 1));
  const delivered = `${Math.min(...r.deliveredRates).toFixed(0)}–${Math.max(...r.deliveredRates).toFixed(0)}`;
  const l = r.latenciesMs;
  return `| ${rate} | ${label} | ${r.sendRate.toFixed(0)} | ${delivered} | ${(loss * 100).toFixed(1)} % | ${ms(percentile(l, 0.5))} | ${ms(percentile(l, 0.99))} | ${cpu(r)} |`;
}

function ratioRow(label: string, ours: PhaseResult, bare: PhaseResult, ps: number[]): string {
  const ratios = ps.map(
    (p) => `${(percentile(ours.latenciesMs, p) / percentile(bare.latenciesMs, p)).toFixed(2)}×`,
  );
  return `| ${label} | ${ratios.join(' | ')} |`;
}

const started = Date.now();
const results: ModeResult[] = [];
for (const mode of ORDER) results.push(await runMode(mode));
const runs = (mode: Mode) => results.filter((r) => r.mode === mode);
const label = (r: ModeResult) => `${r.mode} #${runs(r.mode).indexOf(r) + 1}`;
const pooled = (mode: Mode, pick: (r: ModeResult) => PhaseResult) => merge(runs(mode).map(pick));

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}`);
console.log(
  `${NODES} processes on 127.0.0.1, node 0 publishes 1 KiB payloads to ${NODES - 1} subscribers; runs in order ${ORDER.join(', ')}\n`,
);
console.log(`Latency, publish → deliver: ${LATENCY.count} messages, one every ${LATENCY.intervalMs} ms\n`);
console.log(
  '| run | delivered | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | CPU % of a core: 5 nodes / rest of machine |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of results) console.log(latencyRow(label(r), r.latency));
const bareLatency = pooled('bare', (r) => r.latency);
const oursLatency = pooled('ours', (r) => r.latency);
console.log(latencyRow('bare, all runs', bareLatency));
console.log(latencyRow('ours, all runs', oursLatency));

console.log(`\nThroughput: ${RATE_SECONDS} s at each offered rate\n`);
console.log(
  '| offered msg/s | run | sent msg/s | delivered msg/s per subscriber (min–max) | loss | p50 (ms) | p99 (ms) | CPU %: nodes / rest |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const [i, rate] of RATES.entries()) {
  for (const r of results) console.log(throughputRow(rate, label(r), r.throughput[i]!));
}

console.log('\nRatio ours / bare (all runs pooled)\n');
console.log('| phase | p50 | p90 | p99 |');
console.log('|---|---|---|---|');
const ps = [0.5, 0.9, 0.99];
console.log(ratioRow(`latency, ${1000 / LATENCY.intervalMs} msg/s`, oursLatency, bareLatency, ps));
for (const [i, rate] of RATES.entries()) {
  const ours = pooled('ours', (r) => r.throughput[i]!);
  const bare = pooled('bare', (r) => r.throughput[i]!);
  console.log(ratioRow(`throughput, ${rate} msg/s`, ours, bare, ps));
}
console.error(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
