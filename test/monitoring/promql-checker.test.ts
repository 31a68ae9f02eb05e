import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkQueries, knownMetrics, metricOf, parseQuery, slug } from '../helpers/promql.js';

// The checker the monitoring tests rely on must be able to fail: these are the mistakes it exists for.
describe('the PromQL metric-name checker', () => {
  const known = knownMetrics();
  const check = (expr: string) => checkQueries([{ where: 'test', expr }], known);

  test('lists the series a query selects, through functions, aggregations and binary operators', () => {
    const { series, errors } = parseQuery(
      'sum by (le) (rate(a_bucket{x="1"}[5m])) / on (instance) group_left (z) (b offset 5m > 0) and ignoring (y) c',
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(series, ['a_bucket', 'b', 'c']);
  });

  test('accepts catalog metrics, histogram series, process metrics and Prometheus’s own series', () => {
    const { problems, used } = check(
      'histogram_quantile(0.95, sum by (le) (rate(performance_signing_duration_seconds_bucket[5m])))' +
        ' + rate(performance_signing_duration_seconds_sum[5m]) / rate(performance_signing_duration_seconds_count[5m])' +
        ' + performance_signing_attempt_rolling_sample_count + connected_peers_count' +
        ' + rate(process_cpu_seconds_total[5m]) + up + count(ALERTS)',
    );
    assert.deepEqual(problems, []);
    assert.ok(used.has('performance_signing_duration_seconds'));
    assert.ok(used.has('process_cpu_seconds_total'));
  });

  test('reports a metric name that is not exported (a typo)', () => {
    const { problems } = check('rate(performance_signing_sucess_total[5m])');
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /performance_signing_sucess_total is not a metric the node exports/);
  });

  test('reports a histogram selected by its bare name and _bucket on a counter', () => {
    assert.equal(metricOf('performance_dkg_duration_seconds', known), undefined);
    assert.equal(metricOf('performance_dkg_joined_total_bucket', known), undefined);
    assert.equal(
      metricOf('performance_dkg_duration_seconds_bucket', known),
      'performance_dkg_duration_seconds',
    );
    assert.equal(check('performance_dkg_duration_seconds > 1').problems.length, 1);
  });

  test('reports a non-exported prom-client default metric', () => {
    // removed from /metrics because promtool rejects its name
    assert.equal(check('nodejs_active_handles_total').problems.length, 1);
  });

  test('reports syntax errors and selectors without a literal metric name', () => {
    assert.match(check('sum(rate(performance_signing_success_total[5m])').problems.join(), /syntax error/);
    assert.match(check('rate(performance_signing_success_total[5m]) /').problems.join(), /syntax error/);
    assert.match(check('{__name__=~"performance_.*"}').problems.join(), /selector without a metric name/);
  });

  test('replaces Grafana variables in ranges, keeps them in label matchers', () => {
    const { problems } = check('rate(performance_ping_test_total{instance=~"$instance"}[$__rate_interval])');
    assert.deepEqual(problems, []);
  });

  test('computes GitHub heading anchors', () => {
    assert.equal(slug('KeepSigningSlow'), 'keepsigningslow');
    assert.equal(slug('Run Prometheus with the kit'), 'run-prometheus-with-the-kit');
    assert.equal(slug('Load the dashboard (Grafana 10+)'), 'load-the-dashboard-grafana-10');
  });
});
