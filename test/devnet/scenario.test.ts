import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { catalog, FAMILIES, METRIC_NAMES } from '../../src/clientinfo/catalog.js';
import { readState, startDevnet } from '../helpers/devnet.js';
import { eventually } from '../helpers/wait.js';
import { tempDir } from '../helpers/process.js';
import { toolSkipReason } from '../helpers/tools.js';

interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function query(prometheus: string, expr: string): Promise<QueryResult> {
  const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await response.json()) as QueryResult;
}

/** The values of an instant vector query (empty when nothing matches). */
async function values(prometheus: string, expr: string): Promise<number[]> {
  const result = await query(prometheus, expr);
  assert.equal(result.status, 'success', `${expr}: ${result.error}`);
  return (result.data?.result ?? []).map((r) => Number(r.value[1]));
}

/**
 * Whether the metric moved anywhere on the devnet: every node started from zero, so a counter
 * or a histogram count above zero on any node (stopped nodes included, by their last samples)
 * moved; a gauge moved if it was ever above zero.
 */
function moved(name: string): string {
  const series = catalog[name as keyof typeof catalog].type === 'histogram' ? `${name}_count` : name;
  return `max(max_over_time(${series}[15m])) > 0`;
}

test('the scenario on 4 node processes moves every metric family, failure paths included, as Prometheus sees it', {
  skip: toolSkipReason('prometheus'),
  timeout: 420_000,
}, async () => {
  const dir = tempDir();
  const devnet = startDevnet(['--scenario', '--dir', join(dir.path, 'devnet')]);
  after(async () => {
    // Its children also stop by themselves once the devnet is gone (KEEP_PARENT_PID).
    await devnet.stop();
    dir.remove();
  });
  await devnet.line(/scenario complete/, 240_000);
  const state = readState(join(dir.path, 'devnet'));
  assert.ok(state.prometheus, 'the devnet started Prometheus');
  assert.equal(state.nodes.length, 4);
  const prometheus = state.prometheus.url;

  // The failure paths the scenario drove, once Prometheus has scraped them.
  const expectations = [
    'sum(performance_wallet_dispatcher_rejected_total) > 0',
    'sum(performance_signing_timeouts_total) > 0',
    'sum(performance_relay_entry_timeout_reported_total) > 0',
    'sum(increase(performance_peer_disconnections_total[15m])) > 0',
    'sum(increase(performance_signing_success_total[15m])) > 0',
    'sum(increase(performance_relay_entry_success_total[15m])) > 0',
    'max(eth_connectivity) == 1',
  ];
  for (const expr of expectations) {
    await eventually(
      () => values(prometheus, expr),
      (v) => v.length > 0,
      30_000,
      expr,
    );
  }

  // Every family moved: at least one of its metrics, on the devnet as a whole.
  const movedByFamily = new Map<string, string[]>();
  for (const name of METRIC_NAMES) {
    if ((await values(prometheus, moved(name))).length > 0) {
      const family = catalog[name].family;
      movedByFamily.set(family, [...(movedByFamily.get(family) ?? []), name]);
    }
  }
  for (const family of FAMILIES) {
    assert.ok(movedByFamily.has(family), `no metric of the ${family} family moved`);
  }

  // The DKG duration's p95 is a number.
  const [p95] = await values(
    prometheus,
    'histogram_quantile(0.95, sum by (le) (rate(performance_dkg_duration_seconds_bucket[10m])))',
  );
  assert.ok(Number.isFinite(p95) && p95! > 0, `DKG p95 ${p95}`);

  // Every query the catalog documents runs, and the success ratios have values.
  for (const name of METRIC_NAMES) {
    const result = await query(prometheus, catalog[name].promql);
    assert.equal(result.status, 'success', `${name}: ${catalog[name].promql}: ${result.error}`);
  }
  for (const name of [
    'performance_wallet_action_success_total',
    'performance_signing_success_total',
    'performance_ping_test_success_total',
    'performance_relay_entry_success_total',
  ] as const) {
    const expr = catalog[name].promql;
    const [ratio] = await eventually(
      () => values(prometheus, expr),
      (v) => v.length === 1 && Number.isFinite(v[0]) && v[0]! > 0,
      30_000,
      `${expr} has a value`,
    );
    assert.ok(ratio! > 0 && ratio! <= 1, `${name} ratio ${ratio}`);
  }

  devnet.child.kill('SIGINT');
  assert.deepEqual(await devnet.exited, { code: 0, signal: null });
});
