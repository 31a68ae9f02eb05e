import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catalog, FREE, METRIC_NAMES, type MetricSpec } from '../../src/clientinfo/catalog.js';

const spec = (name: string): MetricSpec => catalog[name as keyof typeof catalog];

test('the catalog holds the 36 seed metrics, the two declared-but-never-emitted ones and node info', () => {
  const seed = [
    'performance_wallet_dispatcher_active_actions',
    'performance_wallet_dispatcher_rejected_total',
    'performance_wallet_actions_total',
    'performance_wallet_action_success_total',
    'performance_wallet_action_failed_total',
    'performance_wallet_action_duration_seconds',
    'performance_dkg_joined_total',
    'performance_dkg_failed_total',
    'performance_dkg_duration_seconds',
    'performance_dkg_validation_total',
    'performance_dkg_challenges_submitted_total',
    'performance_dkg_approvals_submitted_total',
    'performance_signing_operations_total',
    'performance_signing_success_total',
    'performance_signing_failed_total',
    'performance_signing_duration_seconds',
    'performance_signing_timeouts_total',
    'performance_coordination_windows_detected_total',
    'performance_coordination_procedures_executed_total',
    'performance_coordination_failed_total',
    'performance_coordination_duration_seconds',
    'performance_peer_connections_total',
    'performance_peer_disconnections_total',
    'performance_message_broadcast_total',
    'performance_message_received_total',
    'performance_incoming_message_queue_size',
    'performance_message_handler_queue_size',
    'performance_ping_test_total',
    'performance_ping_test_success_total',
    'performance_ping_test_failed_total',
    'performance_ping_test_duration_seconds',
    'performance_relay_entry_generation_total',
    'performance_relay_entry_success_total',
    'performance_relay_entry_failed_total',
    'performance_relay_entry_duration_seconds',
    'performance_relay_entry_timeout_reported_total',
  ];
  assert.equal(new Set(seed).size, 36);
  for (const name of [
    ...seed,
    'performance_wallet_heartbeat_failures_total',
    'performance_signing_attempts_per_operation',
    'connected_peers_count',
    'connected_bootstrap_count',
    'eth_connectivity',
    'btc_connectivity',
    'client_info',
  ]) {
    assert.ok(METRIC_NAMES.includes(name as never), `${name} is in the catalog`);
  }
});

test('types follow the Prometheus naming rules', () => {
  for (const name of METRIC_NAMES) {
    const { type } = spec(name);
    assert.match(name, /^[a-z][a-z0-9_]*$/);
    if (name.endsWith('_total')) assert.equal(type, 'counter', name);
    if (type === 'counter') assert.ok(name.endsWith('_total'), name);
    if (name.endsWith('_seconds')) assert.equal(type, 'histogram', name);
  }
});

test('histograms have increasing buckets that fit their operation', () => {
  for (const name of METRIC_NAMES) {
    const { type, buckets } = spec(name);
    if (type !== 'histogram') {
      assert.equal(buckets, undefined, name);
      continue;
    }
    assert.ok(buckets && buckets.length >= 8, name);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]! > buckets[i - 1]!, name);
  }
  const top = (name: keyof typeof catalog) => Math.max(...(spec(name).buckets ?? []));
  assert.ok(top('performance_dkg_duration_seconds') >= 536 * 12, 'DKG reaches the production timeout');
  assert.ok(top('performance_signing_duration_seconds') >= 600, 'signing reaches minutes');
  assert.ok(
    top('performance_coordination_duration_seconds') >= 80 * 12,
    'coordination reaches its active phase',
  );
  assert.ok(top('performance_wallet_action_duration_seconds') >= 3600, 'wallet actions reach hours');
  assert.ok(
    Math.min(...(spec('performance_ping_test_duration_seconds').buckets ?? [])) <= 0.001,
    'ping resolves ms',
  );
});

test('every metric has help, a when-it-moves line and a label domain per label', () => {
  for (const name of METRIC_NAMES) {
    const s = spec(name);
    assert.ok(s.help.length > 10 && s.moves.length > 5, name);
    for (const domain of Object.values(s.labels)) {
      assert.ok(domain === FREE || domain.length > 0, name);
    }
  }
});
