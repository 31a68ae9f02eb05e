import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus.js';
import { freePort, type NodeProcess, startNodeProcess, tempDir } from '../helpers/process.js';
import { alertRules, dashboardFile, dashboardQueries, ROOT } from '../helpers/promql.js';
import { toolSkipReason } from '../helpers/tools.js';

/** A dashboard query as Grafana sends it with every node chosen and the default window. */
const asGrafanaSends = (expr: string) =>
  expr.replaceAll('$instance', '.+').replaceAll('[$window]', '[1h]').replaceAll('[$__rate_interval]', '[1m]');

interface RuleState {
  name: string;
  health: string;
  lastError?: string;
  lastEvaluation: string;
}

describe('the monitoring kit against a real node and a real Prometheus', {
  skip: toolSkipReason('prometheus'),
}, () => {
  const storage = tempDir();
  let node: NodeProcess;
  let prometheus: PrometheusServer;
  let instance: string;

  before(async () => {
    const port = await freePort();
    instance = `127.0.0.1:${port}`;
    node = await startNodeProcess(['--clientInfo.port', String(port), '--storage.dir', storage.path]);
    prometheus = await startPrometheus([instance], {
      ruleFiles: [fileURLToPath(new URL('monitoring/alerts.yml', ROOT))],
    });
    await prometheus.waitFor('client_info', (result) => (result.length > 0 ? result : undefined));
  });
  after(async () => {
    await prometheus?.stop();
    await node?.stop();
    storage.remove();
  });

  test('Prometheus loads every alert rule and evaluates it without error', async () => {
    const names = alertRules().map((rule) => rule.alert);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const response = await fetch(`${prometheus.url}/api/v1/rules?type=alert`);
      const body = (await response.json()) as { data: { groups: { rules: RuleState[] }[] } };
      const rules = body.data.groups.flatMap((group) => group.rules);
      assert.deepEqual(rules.map((rule) => rule.name).sort(), [...names].sort());
      const evaluated = rules.every((rule) => !rule.lastEvaluation.startsWith('0001-'));
      if (evaluated) {
        for (const rule of rules) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError}`);
        return;
      }
      if (Date.now() > deadline) assert.fail('the rules were not evaluated in 30 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  test('the dashboard’s node variable lists the node', async () => {
    const response = await fetch(`${prometheus.url}/api/v1/label/instance/values?match[]=client_info`);
    const body = (await response.json()) as { data: string[] };
    assert.deepEqual(body.data, [instance]);
  });

  test('every dashboard query runs in Prometheus', async () => {
    const queries = dashboardQueries(dashboardFile()).filter((q) => q.where.startsWith('panel'));
    for (const { where, expr } of queries) {
      await assert.doesNotReject(prometheus.query(asGrafanaSends(expr)), `${where}: ${expr}`);
    }
    // the per-node panels have data from the start
    for (const expr of [
      'up{instance=~"$instance"}',
      'connected_peers_count{instance=~"$instance"}',
      'sum by (instance) (performance_wallet_dispatcher_active_actions{instance=~"$instance"})',
    ]) {
      assert.ok(
        queries.some((q) => q.expr === expr),
        expr,
      );
      const result = await prometheus.query(asGrafanaSends(expr));
      assert.deepEqual(
        result.map((sample) => sample.metric.instance),
        [instance],
        expr,
      );
    }
  });
});
