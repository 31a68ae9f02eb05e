/**
 * Recorder overhead vs direct prom-client calls, and /metrics render time with 2 000 series.
 * Run: npm run bench:metrics
 */
import { cpus } from 'node:os';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { catalog } from '../src/clientinfo/catalog.js';
import { MetricsRegistries } from '../src/clientinfo/exposition.js';
import { PromRecorder } from '../src/clientinfo/prom-recorder.js';
import { noopRecorder } from '../src/clientinfo/recorder.js';

const ITERATIONS = 1_000_000;
const ROUNDS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function nsPerOp(op: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) op();
  return Number(process.hrtime.bigint() - start) / ITERATIONS;
}

async function msPerCall(op: () => Promise<unknown>, calls: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = process.hrtime.bigint();
    await op();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples;
}

// Direct prom-client metrics, configured exactly like the catalog's.
const direct = new Registry();
const spec = (name: keyof typeof catalog) => catalog[name] as { help: string; buckets?: readonly number[] };
const directCounter = new Counter({ name: 'd_counter_total', help: 'x', registers: [direct] });
const directLabelled = new Counter({
  name: 'd_labelled_total',
  help: 'x',
  labelNames: ['action'],
  registers: [direct],
});
const directHistogram = new Histogram({
  name: 'd_duration_seconds',
  help: 'x',
  labelNames: ['outcome'],
  buckets: [...(spec('performance_signing_duration_seconds').buckets ?? [])],
  registers: [direct],
});
const directGauge = new Gauge({
  name: 'd_queue_size',
  help: 'x',
  labelNames: ['channel'],
  registers: [direct],
});

const registries = new MetricsRegistries({ processMetrics: false });
const recorder = new PromRecorder(registries.registry);

const cases: [string, () => void, () => void][] = [
  ['counter inc (no labels)', () => directCounter.inc(), () => recorder.inc('performance_dkg_joined_total')],
  [
    'counter inc {action}',
    () => directLabelled.inc({ action: 'heartbeat' }),
    () => recorder.inc('performance_wallet_actions_total', { action: 'heartbeat' }),
  ],
  [
    'histogram observe {outcome}',
    () => directHistogram.observe({ outcome: 'success' }, 0.3),
    () => recorder.observe('performance_signing_duration_seconds', 0.3, { outcome: 'success' }),
  ],
  [
    'gauge set {channel}',
    () => directGauge.set({ channel: 'tbtc-1' }, 5),
    () => recorder.set('performance_incoming_message_queue_size', 5, { channel: 'tbtc-1' }),
  ],
];

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}`);
console.log(`${ITERATIONS} calls per round, median of ${ROUNDS} interleaved rounds\n`);
console.log('| operation | prom-client direct (ns/op) | recorder (ns/op) | ratio | no-op recorder (ns/op) |');
console.log('|---|---|---|---|---|');
for (const [label, baseline, ours] of cases) {
  const baseRuns: number[] = [];
  const ourRuns: number[] = [];
  const noopRuns: number[] = [];
  nsPerOp(baseline);
  nsPerOp(ours);
  for (let round = 0; round < ROUNDS; round++) {
    baseRuns.push(nsPerOp(baseline));
    ourRuns.push(nsPerOp(ours));
    noopRuns.push(
      nsPerOp(() => noopRecorder.inc('performance_wallet_actions_total', { action: 'heartbeat' })),
    );
  }
  const base = median(baseRuns);
  const mine = median(ourRuns);
  console.log(
    `| ${label} | ${base.toFixed(1)} | ${mine.toFixed(1)} | ${(mine / base).toFixed(2)}× | ${median(noopRuns).toFixed(1)} |`,
  );
}

// Scrape: 2 000 handler-queue series fed by scrape-time sources, plus the whole catalog.
const SERIES = 2000;
for (let i = 0; i < SERIES; i++) {
  const channel = `tbtc-${i % 40}`;
  recorder.gaugeSource(
    'performance_message_handler_queue_size',
    { channel, handler: `h${i}` },
    () => i % 512,
  );
  directGauge.set({ channel: `c${i}` }, i % 512);
}
const CALLS = 60;
await msPerCall(() => registries.render(undefined), 10);
const textMs = await msPerCall(() => registries.render(undefined), CALLS);
const openMetricsMs = await msPerCall(() => registries.render('application/openmetrics-text'), CALLS);
const directMs = await msPerCall(() => direct.metrics(), CALLS);
const body = (await registries.render(undefined)).body;
const seriesCount = body.split('\n').filter((line) => line.length > 0 && !line.startsWith('#')).length;
console.log(`\n| scrape (${CALLS} renders) | p50 (ms) | p95 (ms) |`);
console.log('|---|---|---|');
const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)]!;
console.log(
  `| ours, text, ${seriesCount} series | ${median(textMs).toFixed(2)} | ${p95(textMs).toFixed(2)} |`,
);
console.log(
  `| ours, OpenMetrics, ${seriesCount} series | ${median(openMetricsMs).toFixed(2)} | ${p95(openMetricsMs).toFixed(2)} |`,
);
console.log(
  `| prom-client direct registry, ${SERIES + 3} series (baseline) | ${median(directMs).toFixed(2)} | ${p95(directMs).toFixed(2)} |`,
);
