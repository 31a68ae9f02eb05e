/**
 * The metric catalog: the single source of truth for every metric the node exports.
 * The recorder, the `/metrics` exposition and `docs/metrics.md` are all derived from it.
 *
 * A label is either a closed set of values (pre-initialised to zero at start-up, checked at
 * compile time) or `FREE` (values known only at run time, such as channel names).
 */

import {
  HANDLER_QUEUE_CAPACITY,
  INCOMING_QUEUE_CAPACITY,
  MESSAGE_DROP_REASONS,
  PEER_BLOCK_REASONS,
} from '../net/types.js';
import { EXCLUSION_REASONS } from '../dkg/exclusions.js';
import { LEADER_FAULTS } from '../tbtc/leader-faults.js';
import { WALLET_ACTIONS } from '../tbtc/wallet-actions.js';

export const FREE = 'free' as const;
type LabelDomain = readonly string[] | typeof FREE;

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  readonly type: MetricType;
  readonly family: Family;
  readonly help: string;
  readonly labels: Readonly<Record<string, LabelDomain>>;
  readonly buckets?: readonly number[];
  /** When the value changes, in words an operator can check. */
  readonly moves: string;
  /** An example query, shown in docs/metrics.md. */
  readonly promql?: string;
  /** Why this name knowingly breaks a Prometheus naming rule (kept for keep-core compatibility). */
  readonly lintException?: string;
}

export const FAMILIES = [
  'wallet dispatcher',
  'DKG',
  'signing',
  'coordination',
  'network',
  'relay entry (beacon)',
  'node info',
] as const;
export type Family = (typeof FAMILIES)[number];

export const OUTCOMES = ['success', 'failure'] as const;

export type Outcome = (typeof OUTCOMES)[number];

// Buckets, in seconds, sized to each operation's real range.
/** Ping round trips: sub-millisecond on loopback up to the 60 s ping timeout. */
const PING_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** DKG: seconds on the devnet, up to ~107 min (536 blocks) with production timeouts. */
const DKG_BUCKETS = [0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 5400, 7200];
/** Signing: sub-second when all members are online, up to the heartbeat's signing deadline. */
const SIGNING_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];
/** Coordination: the active phase is 80 blocks (~16 min) in production. */
const COORDINATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800];
/** Wallet actions: a heartbeat is seconds; a sweep with Bitcoin confirmations takes hours. */
const WALLET_ACTION_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];
/** Relay entries: sub-second combination up to the relay-entry timeout (64 blocks ≈ 13 min). */
const RELAY_ENTRY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200];
/** Signing sessions per signature: 1 with no faults, at most n − t + 1 (50 for 100/51). */
const SESSION_COUNT_BUCKETS = [1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 50];

const action = { action: WALLET_ACTIONS } as const;
const outcome = { outcome: OUTCOMES } as const;
const none = {} as const;

// An operation started before the window can end inside it, so the raw quotient of two
// increases can exceed 1 over a short history: a ratio is capped at 1.
const ratio = (success: string, total: string) =>
  `clamp_max(sum(rate(${success}[1h])) / sum(rate(${total}[1h])), 1)`;
const p95 = (histogram: string) => `histogram_quantile(0.95, sum by (le) (rate(${histogram}_bucket[1h])))`;

export const catalog = {
  // --- wallet dispatcher -------------------------------------------------------------
  performance_wallet_dispatcher_active_actions: {
    type: 'gauge',
    family: 'wallet dispatcher',
    help: 'Number of wallets that currently have a running action.',
    labels: none,
    moves: 'Read at scrape time: +1 while a wallet runs an action, back when the action ends.',
    promql: 'max_over_time(performance_wallet_dispatcher_active_actions[1h])',
  },
  performance_wallet_dispatcher_rejected_total: {
    type: 'counter',
    family: 'wallet dispatcher',
    help: 'Wallet actions rejected because the wallet was already running an action.',
    labels: action,
    moves: 'Once per dispatch refused because the wallet is busy (never queued).',
    promql:
      'sum(rate(performance_wallet_dispatcher_rejected_total[1h])) / (sum(rate(performance_wallet_actions_total[1h])) + sum(rate(performance_wallet_dispatcher_rejected_total[1h])))',
  },
  performance_wallet_actions_total: {
    type: 'counter',
    family: 'wallet dispatcher',
    help: 'Wallet actions accepted by the dispatcher and started.',
    labels: action,
    moves: 'Once per action the dispatcher starts.',
    promql: 'sum by (action) (increase(performance_wallet_actions_total[1h]))',
  },
  performance_wallet_action_success_total: {
    type: 'counter',
    family: 'wallet dispatcher',
    help: 'Wallet actions that completed successfully.',
    labels: action,
    moves: 'Once per started action that ends without error.',
    promql: ratio('performance_wallet_action_success_total', 'performance_wallet_actions_total'),
  },
  performance_wallet_action_failed_total: {
    type: 'counter',
    family: 'wallet dispatcher',
    help: 'Wallet actions that ended with an error.',
    labels: action,
    moves: 'Once per started action that ends with an error.',
    promql: ratio('performance_wallet_action_failed_total', 'performance_wallet_actions_total'),
  },
  performance_wallet_action_duration_seconds: {
    type: 'histogram',
    family: 'wallet dispatcher',
    help: 'Duration of wallet actions, from dispatch to completion or failure.',
    labels: action,
    buckets: WALLET_ACTION_BUCKETS,
    moves: 'Observed once per started action when it ends, successful or not.',
    promql:
      'histogram_quantile(0.95, sum by (le, action) (rate(performance_wallet_action_duration_seconds_bucket[1h])))',
  },
  performance_wallet_heartbeat_failures_total: {
    type: 'counter',
    family: 'wallet dispatcher',
    help: 'Heartbeats that failed or had fewer active members than the minimum.',
    labels: none,
    moves: 'Once per heartbeat counted as failed by the heartbeat failure counter.',
    promql: 'increase(performance_wallet_heartbeat_failures_total[6h])',
  },

  // --- DKG -----------------------------------------------------------------------------
  performance_dkg_joined_total: {
    type: 'counter',
    family: 'DKG',
    help: 'Seats this node joined in wallet DKGs (an operator may hold several seats per DKG).',
    labels: none,
    moves: 'By the number of local seats when the node joins a DKG.',
    promql: 'increase(performance_dkg_joined_total[1d])',
  },
  performance_dkg_failed_total: {
    type: 'counter',
    family: 'DKG',
    help: 'DKG participations that ended without a key (not cancellations after another member’s accepted result).',
    labels: none,
    moves: 'Once per DKG in which this node ended without a registered key.',
    promql: 'increase(performance_dkg_failed_total[1d])',
  },
  performance_dkg_duration_seconds: {
    type: 'histogram',
    family: 'DKG',
    help: 'Duration of DKG participations, from start to registered key or failure, including publication.',
    labels: outcome,
    buckets: DKG_BUCKETS,
    moves: 'Observed once per DKG participation when it ends.',
    promql: p95('performance_dkg_duration_seconds'),
  },
  performance_dkg_validation_total: {
    type: 'counter',
    family: 'DKG',
    help: 'Submitted DKG results this node validated.',
    labels: none,
    moves: 'Once per DKG result submission event the node validates.',
    promql: 'increase(performance_dkg_validation_total[1d])',
  },
  performance_dkg_challenges_submitted_total: {
    type: 'counter',
    family: 'DKG',
    help: 'Challenges this node submitted against invalid DKG results.',
    labels: none,
    moves: 'Once per challenge transaction the chain accepted from this node.',
    promql: 'increase(performance_dkg_challenges_submitted_total[1d])',
  },
  performance_dkg_approvals_submitted_total: {
    type: 'counter',
    family: 'DKG',
    help: 'Approvals of valid DKG results this node submitted.',
    labels: none,
    moves: 'Once per approval transaction the chain accepted from this node.',
    promql: 'increase(performance_dkg_approvals_submitted_total[1d])',
  },
  performance_dkg_result_signatures_rejected_total: {
    type: 'counter',
    family: 'DKG',
    help: 'Members’ DKG result signatures left out of this node’s result because they do not sign it under the member’s operator key.',
    labels: none,
    moves:
      'Once per member whose result-signature message signs another result or does not verify, per wallet DKG.',
    promql: 'increase(performance_dkg_result_signatures_rejected_total[1d]) > 0',
  },
  performance_dkg_members_excluded_total: {
    type: 'counter',
    family: 'DKG',
    help: 'Seats this node excluded from a wallet DKG, by the fault of their operator.',
    labels: { reason: EXCLUSION_REASONS },
    moves:
      'Once per seat of each operator this node excluded in a wallet DKG it computed shares for: missing or invalid announcement or round 1, missing round 2, two different messages of one type, an upheld complaint against it, or a false complaint of its own.',
    promql: 'sum by (reason) (increase(performance_dkg_members_excluded_total[1d]))',
  },
  performance_seats_without_key_share: {
    type: 'gauge',
    family: 'DKG',
    help: 'Seats this operator holds in registered wallets or beacon groups for which it has no key share on disk.',
    labels: { group: ['wallet', 'beacon'] },
    moves:
      'Set at start and whenever a wallet or beacon group is registered; nonzero means those seats cannot sign.',
    promql: 'max by (group) (performance_seats_without_key_share) > 0',
  },

  // --- signing -------------------------------------------------------------------------
  performance_signing_operations_total: {
    type: 'counter',
    family: 'signing',
    help: 'Threshold signing operations started by this node.',
    labels: none,
    moves: 'Once per message the signing executor starts to sign.',
    promql: 'rate(performance_signing_operations_total[1h])',
  },
  performance_signing_success_total: {
    type: 'counter',
    family: 'signing',
    help: 'Signing operations that produced a valid signature.',
    labels: none,
    moves: 'Once per signing operation that ends with an agreed, valid signature.',
    promql: ratio('performance_signing_success_total', 'performance_signing_operations_total'),
  },
  performance_signing_failed_total: {
    type: 'counter',
    family: 'signing',
    help: 'Signing operations that ended without a signature (any cause, timeouts included).',
    labels: none,
    moves: 'Once per signing operation that ends without a signature.',
    promql: ratio('performance_signing_failed_total', 'performance_signing_operations_total'),
  },
  performance_signing_duration_seconds: {
    type: 'histogram',
    family: 'signing',
    help: 'Duration of signing operations, from start to signature or failure.',
    labels: outcome,
    buckets: SIGNING_BUCKETS,
    moves: 'Observed once per signing operation when it ends.',
    promql: p95('performance_signing_duration_seconds'),
  },
  performance_signing_timeouts_total: {
    type: 'counter',
    family: 'signing',
    help: 'Signing operations that failed because their block deadline expired.',
    labels: none,
    moves: 'Once per signing operation whose deadline expired; other failures do not move it.',
    promql: 'increase(performance_signing_timeouts_total[1h])',
  },
  performance_signing_attempts_per_operation: {
    type: 'histogram',
    family: 'signing',
    help: 'Signing sessions needed per signing operation (1 when no member misbehaves).',
    labels: none,
    buckets: SESSION_COUNT_BUCKETS,
    moves: 'Observed once per successful signing operation with the number of sessions used.',
    promql:
      'histogram_quantile(0.95, sum by (le) (rate(performance_signing_attempts_per_operation_bucket[6h])))',
  },

  performance_signing_attempt_rolling_success_rate: {
    type: 'gauge',
    family: 'signing',
    help: 'Share of the last 50 signing sessions this node coordinated that produced a signature.',
    labels: none,
    moves: 'Read at scrape time; changes when a coordinated session completes or is abandoned.',
    promql: 'min_over_time(performance_signing_attempt_rolling_success_rate[1h]) < 0.5',
  },
  performance_signing_attempt_rolling_sample_count: {
    type: 'gauge',
    family: 'signing',
    help: 'Number of sessions (at most 50) behind the rolling signing success rate.',
    labels: none,
    moves: 'Read at scrape time; grows to 50 as this node coordinates sessions.',
    promql: 'performance_signing_attempt_rolling_sample_count',
    lintException:
      'the name keep-core gave this ROAST liveness gauge; promtool warns that only histograms and summaries should end in _count.',
  },

  // --- coordination --------------------------------------------------------------------
  performance_coordination_windows_detected_total: {
    type: 'counter',
    family: 'coordination',
    help: 'Coordination windows detected by this node.',
    labels: none,
    moves: 'Once per coordination window block seen.',
    promql: 'increase(performance_coordination_windows_detected_total[1h])',
  },
  performance_coordination_procedures_executed_total: {
    type: 'counter',
    family: 'coordination',
    help: 'Coordination procedures executed (one per local wallet per window).',
    labels: none,
    moves: 'Once per wallet coordination procedure that runs.',
    promql: 'increase(performance_coordination_procedures_executed_total[1h])',
  },
  performance_coordination_failed_total: {
    type: 'counter',
    family: 'coordination',
    help: 'Coordination procedures that ended without an agreed action (a busy executor is not a failure).',
    labels: none,
    moves: 'Once per procedure that ends without an agreed action.',
    promql: ratio(
      'performance_coordination_failed_total',
      'performance_coordination_procedures_executed_total',
    ),
  },
  performance_coordination_duration_seconds: {
    type: 'histogram',
    family: 'coordination',
    help: 'Duration of coordination procedures.',
    labels: outcome,
    buckets: COORDINATION_BUCKETS,
    moves: 'Observed once per procedure when it ends.',
    promql: p95('performance_coordination_duration_seconds'),
  },

  performance_coordination_leader_faults_total: {
    type: 'counter',
    family: 'coordination',
    help: 'Faults followers recorded against coordination leaders, by kind.',
    labels: { fault: LEADER_FAULTS },
    moves:
      'Once per fault: a proposal from a non-leader, a forbidden action type, or no proposal in the active phase.',
    promql: 'sum by (fault) (increase(performance_coordination_leader_faults_total[1d]))',
  },

  // --- network -------------------------------------------------------------------------
  performance_peer_connections_total: {
    type: 'counter',
    family: 'network',
    help: 'Peer connections established.',
    labels: none,
    moves: 'Once per peer that becomes connected.',
    promql: 'increase(performance_peer_connections_total[1h])',
  },
  performance_peer_disconnections_total: {
    type: 'counter',
    family: 'network',
    help: 'Peer disconnections.',
    labels: none,
    moves: 'Once per peer that becomes disconnected.',
    promql: 'increase(performance_peer_disconnections_total[1h])',
  },
  performance_message_broadcast_total: {
    type: 'counter',
    family: 'network',
    help: 'Protocol messages this node broadcast (retransmissions excluded).',
    labels: none,
    moves: 'Once per protocol message sent on a broadcast channel.',
    promql: 'rate(performance_message_broadcast_total[5m])',
  },
  performance_message_received_total: {
    type: 'counter',
    family: 'network',
    help: 'Protocol messages received from other nodes, accepted and decoded (no own echoes, no duplicates).',
    labels: none,
    moves: 'Once per accepted protocol message from another node.',
    promql: 'rate(performance_message_received_total[5m])',
  },
  performance_message_retransmitted_total: {
    type: 'counter',
    family: 'network',
    help: 'Re-publications of already broadcast protocol messages on retransmission ticks.',
    labels: none,
    moves:
      'Once per re-publication on a retransmission tick (standard: every tick, backoff: ticks 1, 3, 6, 11, ...).',
    promql:
      'rate(performance_message_retransmitted_total[5m]) / rate(performance_message_broadcast_total[5m])',
  },
  performance_message_dropped_total: {
    type: 'counter',
    family: 'network',
    help: 'Received messages dropped before reaching a handler, by reason.',
    labels: { reason: MESSAGE_DROP_REASONS },
    moves:
      'Once per dropped copy: malformed bytes, a payload over 1 MiB, bad signature, sender not a member, unknown type, a full queue, a channel already closed, the relaying peer over its message budget, the signing operator over its budget, or a blocked peer.',
    promql: 'sum by (reason) (rate(performance_message_dropped_total[5m]))',
  },
  performance_peers_blocked_total: {
    type: 'counter',
    family: 'network',
    help: 'Peers disconnected and refused for a while because of invalid messages or an excessive message rate.',
    labels: { reason: PEER_BLOCK_REASONS },
    moves:
      'Once per block: a peer that relayed too many invalid messages (bad signature, malformed, oversized), or an operator that kept publishing its own messages over its budget.',
    promql: 'sum by (reason) (increase(performance_peers_blocked_total[1h]))',
  },
  performance_firewall_rejections_total: {
    type: 'counter',
    family: 'network',
    help: 'Peers refused or disconnected because their operator is not allowed.',
    labels: none,
    moves: 'Once per connection refused or closed by the firewall.',
    promql: 'increase(performance_firewall_rejections_total[1h])',
  },
  performance_incoming_message_queue_size: {
    type: 'gauge',
    family: 'network',
    help: `Messages waiting in a channel’s incoming queue (capacity ${INCOMING_QUEUE_CAPACITY}).`,
    labels: { channel: FREE },
    moves: 'Read at scrape time; the series disappears when the channel closes.',
    promql: `max by (channel) (performance_incoming_message_queue_size) / ${INCOMING_QUEUE_CAPACITY}`,
  },
  performance_message_handler_queue_size: {
    type: 'gauge',
    family: 'network',
    help: `Messages waiting in a handler’s queue (capacity ${HANDLER_QUEUE_CAPACITY}).`,
    labels: { channel: FREE, handler: FREE },
    moves: 'Read at scrape time; the series disappears when the handler is cancelled.',
    promql: `max by (channel, handler) (performance_message_handler_queue_size) / ${HANDLER_QUEUE_CAPACITY}`,
  },
  performance_ping_test_total: {
    type: 'counter',
    family: 'network',
    help: 'Ping tests started (exactly one per new connection).',
    labels: none,
    moves: 'Once per new peer connection, when its ping test starts.',
    promql: 'increase(performance_ping_test_total[1h])',
  },
  performance_ping_test_success_total: {
    type: 'counter',
    family: 'network',
    help: 'Ping tests that returned a round trip time.',
    labels: none,
    moves: 'Once per ping test that succeeds.',
    promql: ratio('performance_ping_test_success_total', 'performance_ping_test_total'),
  },
  performance_ping_test_failed_total: {
    type: 'counter',
    family: 'network',
    help: 'Ping tests that failed (error, zero round trip time or timeout).',
    labels: none,
    moves: 'Once per ping test that fails.',
    promql: ratio('performance_ping_test_failed_total', 'performance_ping_test_total'),
  },
  performance_ping_test_duration_seconds: {
    type: 'histogram',
    family: 'network',
    help: 'Round trip time of successful ping tests.',
    labels: none,
    buckets: PING_BUCKETS,
    moves: 'Observed once per successful ping test.',
    promql: 'histogram_quantile(0.95, sum by (le) (rate(performance_ping_test_duration_seconds_bucket[1h])))',
  },

  // --- relay entry (beacon) ------------------------------------------------------------
  performance_relay_entry_generation_total: {
    type: 'counter',
    family: 'relay entry (beacon)',
    help: 'Relay entries this node started producing as a member of the selected group.',
    labels: none,
    moves: 'Once per relay entry request this node’s group members start working on.',
    promql: 'increase(performance_relay_entry_generation_total[1h])',
  },
  performance_relay_entry_success_total: {
    type: 'counter',
    family: 'relay entry (beacon)',
    help: 'Relay entries this node produced or helped produce that the chain accepted.',
    labels: none,
    moves: 'Once per accepted entry this node worked on.',
    promql: ratio('performance_relay_entry_success_total', 'performance_relay_entry_generation_total'),
  },
  performance_relay_entry_failed_total: {
    type: 'counter',
    family: 'relay entry (beacon)',
    help: 'Relay entry attempts of this node that ended without an accepted entry.',
    labels: none,
    moves: 'Once per attempt that ends without an accepted entry.',
    promql: ratio('performance_relay_entry_failed_total', 'performance_relay_entry_generation_total'),
  },
  performance_relay_entry_duration_seconds: {
    type: 'histogram',
    family: 'relay entry (beacon)',
    help: 'Duration from a relay entry request seen to the entry accepted or the attempt failed.',
    labels: outcome,
    buckets: RELAY_ENTRY_BUCKETS,
    moves: 'Observed once per attempt when it ends.',
    promql: p95('performance_relay_entry_duration_seconds'),
  },
  performance_relay_entry_timeout_reported_total: {
    type: 'counter',
    family: 'relay entry (beacon)',
    help: 'Relay entry timeout reports this node submitted and the chain accepted.',
    labels: none,
    moves: 'Once per timeout report of this node that the chain accepted.',
    promql: 'increase(performance_relay_entry_timeout_reported_total[1d])',
  },

  // --- node info (sampled on the [ClientInfo] ticks) -----------------------------------
  connected_peers_count: {
    type: 'gauge',
    family: 'node info',
    help: 'Number of connected peers, sampled every NetworkMetricsTick.',
    labels: none,
    moves: 'Sampled at start and on every NetworkMetricsTick.',
    promql: 'connected_peers_count < 0.8 * max_over_time(connected_peers_count[10m])',
    lintException:
      'keep-core’s name, kept so existing dashboards work; promtool warns that only histograms and summaries should end in _count.',
  },
  connected_bootstrap_count: {
    type: 'gauge',
    family: 'node info',
    help: 'Number of configured bootstrap peers currently connected, sampled every NetworkMetricsTick.',
    labels: none,
    moves: 'Sampled at start and on every NetworkMetricsTick.',
    promql: 'connected_bootstrap_count == 0',
    lintException:
      'keep-core’s name, kept so existing dashboards work; promtool warns that only histograms and summaries should end in _count.',
  },
  eth_connectivity: {
    type: 'gauge',
    family: 'node info',
    help: 'Whether the host chain answers (1) or not (0), sampled every EthereumMetricsTick.',
    labels: none,
    moves: 'Sampled at start and on every EthereumMetricsTick.',
    promql: 'min_over_time(eth_connectivity[1m]) == 0',
  },
  btc_connectivity: {
    type: 'gauge',
    family: 'node info',
    help: 'Whether the Bitcoin chain answers (1) or not (0), sampled every BitcoinMetricsTick.',
    labels: none,
    moves: 'Sampled at start and on every BitcoinMetricsTick.',
    promql: 'min_over_time(btc_connectivity[30m]) == 0',
  },
  client_info: {
    type: 'gauge',
    family: 'node info',
    help: 'Build information of the running client; the value is always 1.',
    labels: { version: FREE, revision: FREE },
    moves: 'Set once at start-up.',
    promql: 'count by (version) (client_info)',
  },
} as const satisfies Record<string, MetricSpec>;

export type Catalog = typeof catalog;
export type MetricName = keyof Catalog;
export const METRIC_NAMES = Object.keys(catalog) as MetricName[];
