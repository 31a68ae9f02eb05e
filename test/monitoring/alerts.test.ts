import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { METRIC_NAMES } from '../../src/clientinfo/catalog.js';
import { tempDir } from '../helpers/process.js';
import { alertRules, checkQueries, readRepoFile, ROOT } from '../helpers/promql.js';
import { toolSkipReason } from '../helpers/tools.js';

const MONITORING = fileURLToPath(new URL('monitoring/', ROOT));
const promtool = (...args: string[]) =>
  spawnSync('promtool', args, { encoding: 'utf8', cwd: fileURLToPath(ROOT), timeout: 60_000 });

/** The recommendations of the specification, each turned into one alert. */
const REQUIRED_ALERTS = {
  KeepSigningFailureRatioHigh: ['performance_signing_failed_total', 'performance_signing_operations_total'],
  KeepWalletActionFailureRatioHigh: [
    'performance_wallet_action_failed_total',
    'performance_wallet_actions_total',
  ],
  KeepWalletDispatcherRejectionRatioHigh: [
    'performance_wallet_dispatcher_rejected_total',
    'performance_wallet_actions_total',
  ],
  KeepIncomingMessageQueueFilling: ['performance_incoming_message_queue_size'],
  KeepMessageHandlerQueueFilling: ['performance_message_handler_queue_size'],
  KeepPingFailureRatioHigh: ['performance_ping_test_failed_total', 'performance_ping_test_total'],
  KeepSigningSlow: ['performance_signing_duration_seconds'],
  KeepDkgSlow: ['performance_dkg_duration_seconds'],
  KeepEthConnectivityLost: ['eth_connectivity'],
  KeepConnectedPeersDropped: ['connected_peers_count'],
  KeepRelayEntryTimeoutReported: ['performance_relay_entry_timeout_reported_total'],
  KeepSigningLivenessLow: [
    'performance_signing_attempt_rolling_success_rate',
    'performance_signing_attempt_rolling_sample_count',
  ],
  KeepNodeDown: ['up'],
} as const;

interface RuleTest {
  name: string;
  alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
}

describe('monitoring/alerts.yml', () => {
  const rules = alertRules();

  test('has the alerts of the specification’s recommendations, over the metrics they are about', () => {
    assert.deepEqual(rules.map((rule) => rule.alert).sort(), Object.keys(REQUIRED_ALERTS).sort());
    for (const rule of rules) {
      const { problems, used } = checkQueries([{ where: rule.alert, expr: rule.expr }]);
      assert.deepEqual(problems, []);
      assert.deepEqual(
        [...used].sort(),
        [...REQUIRED_ALERTS[rule.alert as keyof typeof REQUIRED_ALERTS]].sort(),
        rule.alert,
      );
    }
  });

  test('every rule expression parses and names only exported metrics', () => {
    const { problems, used } = checkQueries(rules.map((rule) => ({ where: rule.alert, expr: rule.expr })));
    assert.deepEqual(problems, []);
    assert.ok([...used].every((name) => name === 'up' || (METRIC_NAMES as string[]).includes(name)));
  });

  test('every alert has a severity, a summary, a description and a runbook anchor in docs/operations.md', () => {
    for (const rule of rules) {
      assert.match(rule.labels?.severity ?? '', /^(warning|critical)$/, rule.alert);
      assert.ok(rule.annotations?.summary, `${rule.alert} summary`);
      assert.ok(rule.annotations?.description, `${rule.alert} description`);
      assert.equal(rule.annotations?.runbook_url, `docs/operations.md#${rule.alert.toLowerCase()}`);
    }
  });

  test('ratios cannot divide by zero: every division is by a denominator filtered with > 0', () => {
    for (const rule of rules) {
      if (!/\s\/\s/.test(rule.expr)) continue;
      assert.match(rule.expr, /\/ \([\s\S]*\) > 0\s*\)/, `${rule.alert} divides by an unguarded denominator`);
    }
  });

  test('alerts.test.yml has, for every alert, a test that fires it and one that does not', () => {
    const tests = (parseYaml(readRepoFile('monitoring/alerts.test.yml')) as { tests: RuleTest[] }).tests;
    const names = new Set(rules.map((rule) => rule.alert));
    const fires = new Map<string, string[]>();
    const quiet = new Map<string, string[]>();
    for (const t of tests) {
      for (const check of t.alert_rule_test ?? []) {
        assert.ok(names.has(check.alertname), `${t.name}: no alert ${check.alertname}`);
        const into = (check.exp_alerts ?? []).length > 0 ? fires : quiet;
        into.set(check.alertname, [...(into.get(check.alertname) ?? []), t.name]);
      }
    }
    for (const name of names) {
      assert.ok(fires.get(name)?.length, `no test fires ${name}`);
      assert.ok(quiet.get(name)?.length, `no test keeps ${name} quiet`);
      // two different input series sets, not one test expecting both
      assert.ok(
        quiet.get(name)!.some((t) => !fires.get(name)!.includes(t)),
        `${name} fires and stays quiet only in the same test`,
      );
    }
  });

  test('promtool check rules accepts the rules', { skip: toolSkipReason('promtool') }, () => {
    const run = promtool('check', 'rules', 'monitoring/alerts.yml');
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    assert.match(run.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  test('promtool test rules passes every test in alerts.test.yml', {
    skip: toolSkipReason('promtool'),
  }, () => {
    const run = promtool('test', 'rules', 'monitoring/alerts.test.yml');
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /SUCCESS/);
  });

  test('the example Prometheus config is valid and loads the rules', {
    skip: toolSkipReason('promtool'),
  }, () => {
    const run = promtool('check', 'config', 'monitoring/prometheus.yml');
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /SUCCESS: 1 rule files found/);
    assert.match(run.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  test('the unit tests catch a broken rule: without its zero guard a quiet test fires', {
    skip: toolSkipReason('promtool'),
  }, () => {
    const dir = tempDir('keep-alerts-');
    try {
      const original = readRepoFile('monitoring/alerts.yml');
      const guard = '/ (increase(performance_signing_operations_total[1h]) > 0)';
      assert.ok(original.includes(guard));
      writeFileSync(
        join(dir.path, 'alerts.yml'),
        original.replace(guard, '/ increase(performance_signing_operations_total[1h])'),
      );
      copyFileSync(join(MONITORING, 'alerts.test.yml'), join(dir.path, 'alerts.test.yml'));
      const run = promtool('test', 'rules', join(dir.path, 'alerts.test.yml'));
      assert.notEqual(run.status, 0);
      assert.match(`${run.stdout}${run.stderr}`, /KeepSigningFailureRatioHigh stays quiet/);
      assert.match(`${run.stdout}${run.stderr}`, /\+Inf%/);

      // and a threshold off by a factor: the firing test no longer fires
      writeFileSync(join(dir.path, 'alerts.yml'), original.replace('> 0.75 * 512', '> 0.9 * 512'));
      const loose = promtool('test', 'rules', join(dir.path, 'alerts.test.yml'));
      assert.notEqual(loose.status, 0);
      assert.match(`${loose.stdout}${loose.stderr}`, /KeepMessageHandlerQueueFilling fires/);
    } finally {
      dir.remove();
    }
  });
});
