import { HANDLER_QUEUE_CAPACITY, INCOMING_QUEUE_CAPACITY } from '../net/types.js';
import { catalog, FAMILIES, FREE, METRIC_NAMES, type MetricSpec } from './catalog.js';

const cell = (text: string) => text.replace(/\|/g, '\\|');
const code = (text: string) => `\`${cell(text)}\``;

function labelsOf(spec: MetricSpec): string {
  const entries = Object.entries(spec.labels);
  if (entries.length === 0) return '—';
  return entries
    .map(([label, domain]) => (domain === FREE ? `\`${label}\`` : `\`${label}\` (${domain.join(', ')})`))
    .join('<br>');
}

function typeOf(spec: MetricSpec): string {
  if (spec.type !== 'histogram') return spec.type;
  return `histogram<br>buckets: ${(spec.buckets ?? []).join(', ')}`;
}

/** Recommended alerting and dashboard queries, over real counters and histograms. */
const RECOMMENDED: [string, string][] = [
  [
    'Signing success ratio (alert below 0.9)',
    'sum(rate(performance_signing_success_total[1h])) / sum(rate(performance_signing_operations_total[1h]))',
  ],
  [
    'Wallet action failure ratio (alert above 0.05)',
    'sum(rate(performance_wallet_action_failed_total[1h])) / sum(rate(performance_wallet_actions_total[1h]))',
  ],
  [
    'Dispatcher rejection ratio (alert above 0.05)',
    'sum(rate(performance_wallet_dispatcher_rejected_total[1h])) / (sum(rate(performance_wallet_actions_total[1h])) + sum(rate(performance_wallet_dispatcher_rejected_total[1h])))',
  ],
  [
    `Incoming queue saturation (alert above 0.75 of ${INCOMING_QUEUE_CAPACITY})`,
    `max by (channel) (performance_incoming_message_queue_size) / ${INCOMING_QUEUE_CAPACITY}`,
  ],
  [
    `Handler queue saturation (alert above 0.75 of ${HANDLER_QUEUE_CAPACITY})`,
    `max by (channel, handler) (performance_message_handler_queue_size) / ${HANDLER_QUEUE_CAPACITY}`,
  ],
  [
    'Ping failure ratio (alert above 0.1)',
    'sum(rate(performance_ping_test_failed_total[1h])) / sum(rate(performance_ping_test_total[1h]))',
  ],
  [
    'p95 signing duration',
    'histogram_quantile(0.95, sum by (le) (rate(performance_signing_duration_seconds_bucket[1h])))',
  ],
  [
    'p95 DKG duration',
    'histogram_quantile(0.95, sum by (le) (rate(performance_dkg_duration_seconds_bucket[1d])))',
  ],
  ['Chain unreachable', 'min_over_time(eth_connectivity[1m]) == 0'],
  [
    'Connected peers dropped by more than 20 % in 10 minutes',
    'connected_peers_count < 0.8 * max_over_time(connected_peers_count[10m])',
  ],
  ['Relay entry timeouts reported', 'increase(performance_relay_entry_timeout_reported_total[1h]) > 0'],
];

/** docs/metrics.md, rendered from the catalog. */
export function renderMetricsDoc(): string {
  const lines = [
    '# Metrics reference',
    '',
    '<!-- Generated from src/clientinfo/catalog.ts by `npm run docs:metrics`. Do not edit by hand: a test fails when this file and the catalog disagree. -->',
    '',
    'The node serves these metrics at `http://<[ClientInfo] Address>:<[ClientInfo] Port>/metrics`',
    '(default `http://127.0.0.1:9601/metrics`) in the Prometheus text format 0.0.4, or in',
    'OpenMetrics 1.0 when the scraper’s `Accept` header prefers it (Prometheus does).',
    '',
    '- Counters end in `_total`, durations are histograms in seconds with `_bucket`, `_sum` and `_count`.',
    '- Series of label values known in advance (every wallet action, every outcome) exist from start-up at 0.',
    '- Queue sizes and the active-actions gauge are read when scraped, never sampled with a lag.',
    '- The node-info gauges are sampled at start and on the `[ClientInfo]` ticks.',
    '- With `[ClientInfo] Port = 0` nothing listens and nothing is recorded; the node behaves the same.',
    '- The server also exports the Node.js process metrics of prom-client (`process_*`, `nodejs_*`).',
    '',
    `${METRIC_NAMES.length} metrics in ${FAMILIES.length} families.`,
    '',
  ];
  for (const family of FAMILIES) {
    lines.push(`## ${family}`, '');
    lines.push('| metric | type | labels | meaning | moves | example query |', '|---|---|---|---|---|---|');
    for (const name of METRIC_NAMES) {
      const spec: MetricSpec = catalog[name];
      if (spec.family !== family) continue;
      lines.push(
        `| ${code(name)} | ${typeOf(spec)} | ${labelsOf(spec)} | ${cell(spec.help)} | ${cell(spec.moves)} | ${spec.promql ? code(spec.promql) : '—'} |`,
      );
    }
    lines.push('');
  }
  const exceptions = METRIC_NAMES.filter((name) => (catalog[name] as MetricSpec).lintException);
  lines.push('## Names that knowingly break a naming rule', '');
  for (const name of exceptions)
    lines.push(`- ${code(name)}: ${(catalog[name] as MetricSpec).lintException}`);
  lines.push('');
  lines.push('## Recommended queries', '');
  lines.push('| what | PromQL |', '|---|---|');
  for (const [what, query] of RECOMMENDED) lines.push(`| ${what} | ${code(query)} |`);
  lines.push('');
  return lines.join('\n');
}
