import {
  catalog,
  FAMILIES,
  type Family,
  METRIC_NAMES,
  type MetricName,
  type MetricSpec,
} from '../src/clientinfo/catalog.js';
import { HANDLER_QUEUE_CAPACITY, INCOMING_QUEUE_CAPACITY } from '../src/net/types.js';

/**
 * monitoring/grafana-dashboard.json, generated from the catalog: one row per metric family with
 * rates, success ratios, p50/p95 from the histograms, queue sizes per channel, peers and relay
 * entries. Hand-written panels below cover the catalog; a metric that none of them names (a
 * metric added to the catalog later) still gets a panel of its own, chosen by its type, so the
 * dashboard never misses a metric. A test fails when the committed file is not this output.
 */

/** Grafana unit ids. */
type Unit = 'short' | 'ops' | 'percentunit' | 's' | 'none';

interface Target {
  readonly expr: string;
  readonly legend: string;
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: Unit;
  readonly targets: readonly Target[];
  readonly table?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** A line at the alert threshold; `below` when values under it are the bad ones. */
  readonly threshold?: { readonly value: number; readonly below?: boolean };
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** A selector of the metric on the instances chosen in the dashboard. */
const sel = (name: string, matchers = '') =>
  `${name}{instance=~"$instance"${matchers ? `, ${matchers}` : ''}}`;
const by = (labels: string) => (labels ? ` by (${labels})` : '');

/** Per-second rate of a counter, summed over the chosen instances. */
const rate = (name: MetricName, labels = '') => `sum${by(labels)} (rate(${sel(name)}[$__rate_interval]))`;
/** Events in the chosen window (the `window` variable, 1h by default like the alert rules). */
const inWindow = (name: MetricName, labels = 'instance') =>
  `sum${by(labels)} (increase(${sel(name)}[$window]))`;
/** Share of `part` in `whole` per instance over the window; no traffic gives no point, not 0/0. */
const ratio = (part: MetricName, whole: MetricName) =>
  `sum by (instance) (increase(${sel(part)}[$window])) / (sum by (instance) (increase(${sel(whole)}[$window])) > 0)`;
const quantile = (q: number, histogram: MetricName, labels = '') =>
  `histogram_quantile(${q}, sum by (le${labels ? `, ${labels}` : ''}) (rate(${sel(`${histogram}_bucket`)}[$window])))`;

/** p50 and p95 of a histogram over the chosen instances (and per label when given). */
function quantiles(histogram: MetricName, labels = ''): Target[] {
  const prefix = labels
    ? `${labels
        .split(',')
        .map((label) => `{{${label.trim()}}}`)
        .join(' ')} `
    : '';
  return [
    { expr: quantile(0.5, histogram, labels), legend: `${prefix}p50` },
    { expr: quantile(0.95, histogram, labels), legend: `${prefix}p95` },
  ];
}

const durationPanel = (title: string, histogram: MetricName, labels = ''): PanelSpec => ({
  title,
  description: `p50 and p95 of ${histogram} over $window, from its histogram buckets.`,
  unit: 's',
  targets: quantiles(histogram, labels),
});

const FAMILY_PANELS: Record<Family, PanelSpec[]> = {
  'wallet dispatcher': [
    {
      title: 'Wallet actions started per $window',
      description: 'Actions the dispatcher accepted and started, by action type.',
      unit: 'short',
      targets: [{ expr: inWindow('performance_wallet_actions_total', 'action'), legend: '{{action}}' }],
    },
    {
      title: 'Wallet action outcomes per $window',
      description:
        'Started actions that succeeded or failed, and dispatches refused because the wallet was busy.',
      unit: 'short',
      targets: [
        { expr: inWindow('performance_wallet_action_success_total', ''), legend: 'succeeded' },
        { expr: inWindow('performance_wallet_action_failed_total', ''), legend: 'failed' },
        { expr: inWindow('performance_wallet_dispatcher_rejected_total', ''), legend: 'rejected (busy)' },
      ],
    },
    {
      title: 'Wallet action success ratio ($window)',
      description:
        'Succeeded / started wallet actions per node. KeepWalletActionFailureRatioHigh fires when failures exceed 5 %.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      threshold: { value: 0.95, below: true },
      targets: [
        {
          expr: ratio('performance_wallet_action_success_total', 'performance_wallet_actions_total'),
          legend: '{{instance}}',
        },
      ],
    },
    {
      title: 'Dispatcher rejection ratio ($window)',
      description:
        'Rejected / (started + rejected) dispatches per node. KeepWalletDispatcherRejectionRatioHigh fires above 5 %.',
      unit: 'percentunit',
      min: 0,
      threshold: { value: 0.05 },
      targets: [
        {
          expr: `sum by (instance) (increase(${sel('performance_wallet_dispatcher_rejected_total')}[$window])) / ((sum by (instance) (increase(${sel('performance_wallet_actions_total')}[$window])) + sum by (instance) (increase(${sel('performance_wallet_dispatcher_rejected_total')}[$window]))) > 0)`,
          legend: '{{instance}}',
        },
      ],
    },
    {
      title: 'Wallets running an action',
      description: 'performance_wallet_dispatcher_active_actions per node, read at scrape time.',
      unit: 'short',
      min: 0,
      targets: [
        {
          expr: `sum by (instance) (${sel('performance_wallet_dispatcher_active_actions')})`,
          legend: '{{instance}}',
        },
      ],
    },
    durationPanel('Wallet action duration by action', 'performance_wallet_action_duration_seconds', 'action'),
    {
      title: 'Failed heartbeats per $window',
      description: 'Heartbeats that failed or had fewer active members than the minimum, per node.',
      unit: 'short',
      min: 0,
      targets: [{ expr: inWindow('performance_wallet_heartbeat_failures_total'), legend: '{{instance}}' }],
    },
  ],
  DKG: [
    {
      title: 'DKG participations per $window',
      description: 'Seats joined in wallet DKGs and participations that ended without a key.',
      unit: 'short',
      min: 0,
      targets: [
        { expr: inWindow('performance_dkg_joined_total', ''), legend: 'seats joined' },
        { expr: inWindow('performance_dkg_failed_total', ''), legend: 'failed' },
      ],
    },
    {
      title: 'DKG results validated, challenged, approved per $window',
      description:
        'Submitted results this node validated, and the challenges and approvals the chain accepted from it.',
      unit: 'short',
      min: 0,
      targets: [
        { expr: inWindow('performance_dkg_validation_total', ''), legend: 'validated' },
        { expr: inWindow('performance_dkg_challenges_submitted_total', ''), legend: 'challenged' },
        { expr: inWindow('performance_dkg_approvals_submitted_total', ''), legend: 'approved' },
      ],
    },
    durationPanel('DKG duration', 'performance_dkg_duration_seconds'),
  ],
  signing: [
    {
      title: 'Signing operations per $window',
      description: 'Signing operations started, succeeded, failed, and failed by their deadline.',
      unit: 'short',
      min: 0,
      targets: [
        { expr: inWindow('performance_signing_operations_total', ''), legend: 'started' },
        { expr: inWindow('performance_signing_success_total', ''), legend: 'succeeded' },
        { expr: inWindow('performance_signing_failed_total', ''), legend: 'failed' },
        { expr: inWindow('performance_signing_timeouts_total', ''), legend: 'timed out' },
      ],
    },
    {
      title: 'Signing success ratio ($window)',
      description:
        'Succeeded / started signing operations per node. KeepSigningFailureRatioHigh fires when failures exceed 10 %.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      threshold: { value: 0.9, below: true },
      targets: [
        {
          expr: ratio('performance_signing_success_total', 'performance_signing_operations_total'),
          legend: '{{instance}}',
        },
      ],
    },
    durationPanel('Signing duration', 'performance_signing_duration_seconds'),
    {
      title: 'Signing sessions per operation',
      description: 'p50 and p95 of the sessions a successful signing needed (1 when no member misbehaves).',
      unit: 'short',
      targets: quantiles('performance_signing_attempts_per_operation'),
    },
    {
      title: 'Rolling signing session success rate',
      description:
        'Share of the last 50 sessions each node coordinated that produced a signature. KeepSigningLivenessLow fires below 50 % over at least 10 sessions.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      threshold: { value: 0.5, below: true },
      targets: [{ expr: sel('performance_signing_attempt_rolling_success_rate'), legend: '{{instance}}' }],
    },
    {
      title: 'Sessions behind the rolling rate',
      description: 'How many sessions (at most 50) the rolling success rate is over, per node.',
      unit: 'short',
      min: 0,
      targets: [{ expr: sel('performance_signing_attempt_rolling_sample_count'), legend: '{{instance}}' }],
    },
  ],
  coordination: [
    {
      title: 'Coordination per $window',
      description: 'Windows detected, procedures executed (one per local wallet per window) and failed.',
      unit: 'short',
      min: 0,
      targets: [
        { expr: inWindow('performance_coordination_windows_detected_total', ''), legend: 'windows' },
        { expr: inWindow('performance_coordination_procedures_executed_total', ''), legend: 'procedures' },
        { expr: inWindow('performance_coordination_failed_total', ''), legend: 'failed' },
      ],
    },
    {
      title: 'Coordination success ratio ($window)',
      description: '1 − failed / executed coordination procedures per node.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      targets: [
        {
          expr: `1 - ${ratio('performance_coordination_failed_total', 'performance_coordination_procedures_executed_total')}`,
          legend: '{{instance}}',
        },
      ],
    },
    durationPanel('Coordination duration', 'performance_coordination_duration_seconds'),
    {
      title: 'Leader faults per $window',
      description: 'Faults followers recorded against coordination leaders, by kind.',
      unit: 'short',
      min: 0,
      targets: [
        { expr: inWindow('performance_coordination_leader_faults_total', 'fault'), legend: '{{fault}}' },
      ],
    },
  ],
  network: [
    {
      title: 'Peer connections / s',
      description:
        'Peers connected and disconnected, connections the firewall refused, and peers blocked for invalid messages or an excessive message rate.',
      unit: 'ops',
      min: 0,
      targets: [
        { expr: rate('performance_peer_connections_total'), legend: 'connected' },
        { expr: rate('performance_peer_disconnections_total'), legend: 'disconnected' },
        { expr: rate('performance_firewall_rejections_total'), legend: 'refused by firewall' },
        { expr: rate('performance_peers_blocked_total', 'reason'), legend: 'blocked: {{reason}}' },
      ],
    },
    {
      title: 'Messages / s',
      description:
        'Protocol messages broadcast, received (accepted) and re-published on retransmission ticks.',
      unit: 'ops',
      min: 0,
      targets: [
        { expr: rate('performance_message_broadcast_total'), legend: 'broadcast' },
        { expr: rate('performance_message_received_total'), legend: 'received' },
        { expr: rate('performance_message_retransmitted_total'), legend: 'retransmitted' },
      ],
    },
    {
      title: 'Messages dropped / s by reason',
      description: 'Received messages dropped before reaching a handler.',
      unit: 'ops',
      min: 0,
      targets: [{ expr: rate('performance_message_dropped_total', 'reason'), legend: '{{reason}}' }],
    },
    {
      title: 'Incoming message queue per channel',
      description: `Messages waiting in each channel’s incoming queue (capacity ${INCOMING_QUEUE_CAPACITY}). KeepIncomingMessageQueueFilling fires above ${INCOMING_QUEUE_CAPACITY * 0.75} for 5 minutes.`,
      unit: 'short',
      min: 0,
      threshold: { value: INCOMING_QUEUE_CAPACITY * 0.75 },
      targets: [
        {
          expr: `max by (instance, channel) (${sel('performance_incoming_message_queue_size')})`,
          legend: '{{instance}} {{channel}}',
        },
      ],
    },
    {
      title: 'Handler queue per channel and handler',
      description: `Messages waiting in each handler’s queue (capacity ${HANDLER_QUEUE_CAPACITY}). KeepMessageHandlerQueueFilling fires above ${HANDLER_QUEUE_CAPACITY * 0.75} for 5 minutes.`,
      unit: 'short',
      min: 0,
      threshold: { value: HANDLER_QUEUE_CAPACITY * 0.75 },
      targets: [
        {
          expr: `max by (instance, channel, handler) (${sel('performance_message_handler_queue_size')})`,
          legend: '{{instance}} {{channel}} {{handler}}',
        },
      ],
    },
    {
      title: 'Ping tests per $window',
      description: 'Ping tests started (one per new connection), succeeded and failed.',
      unit: 'short',
      min: 0,
      targets: [
        { expr: inWindow('performance_ping_test_total', ''), legend: 'started' },
        { expr: inWindow('performance_ping_test_success_total', ''), legend: 'succeeded' },
        { expr: inWindow('performance_ping_test_failed_total', ''), legend: 'failed' },
      ],
    },
    {
      title: 'Ping success ratio ($window)',
      description:
        'Succeeded / started ping tests per node. KeepPingFailureRatioHigh fires when failures exceed 10 %.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      threshold: { value: 0.9, below: true },
      targets: [
        {
          expr: ratio('performance_ping_test_success_total', 'performance_ping_test_total'),
          legend: '{{instance}}',
        },
      ],
    },
    durationPanel('Ping round trip time', 'performance_ping_test_duration_seconds'),
  ],
  'relay entry (beacon)': [
    {
      title: 'Relay entries per $window',
      description:
        'Relay entries started as a member of the selected group, accepted, failed, and timeouts reported.',
      unit: 'short',
      min: 0,
      targets: [
        { expr: inWindow('performance_relay_entry_generation_total', ''), legend: 'started' },
        { expr: inWindow('performance_relay_entry_success_total', ''), legend: 'accepted' },
        { expr: inWindow('performance_relay_entry_failed_total', ''), legend: 'failed' },
        { expr: inWindow('performance_relay_entry_timeout_reported_total', ''), legend: 'timeouts reported' },
      ],
    },
    {
      title: 'Relay entry success ratio ($window)',
      description: 'Accepted / started relay entries per node.',
      unit: 'percentunit',
      min: 0,
      max: 1,
      targets: [
        {
          expr: ratio('performance_relay_entry_success_total', 'performance_relay_entry_generation_total'),
          legend: '{{instance}}',
        },
      ],
    },
    durationPanel('Relay entry duration', 'performance_relay_entry_duration_seconds'),
  ],
  'node info': [
    {
      title: 'Connected peers',
      description:
        'Connected peers and connected bootstrap peers per node, sampled every NetworkMetricsTick.',
      unit: 'short',
      min: 0,
      targets: [
        { expr: sel('connected_peers_count'), legend: '{{instance}} peers' },
        { expr: sel('connected_bootstrap_count'), legend: '{{instance}} bootstrap' },
      ],
    },
    {
      title: 'Chain connectivity',
      description:
        '1 when the chain answered the last check, 0 when not (sampled every Ethereum/BitcoinMetricsTick).',
      unit: 'none',
      min: 0,
      max: 1,
      targets: [
        { expr: sel('eth_connectivity'), legend: '{{instance}} eth' },
        { expr: sel('btc_connectivity'), legend: '{{instance}} btc' },
      ],
    },
    {
      title: 'Client versions',
      description: 'Version and revision of the running clients.',
      unit: 'none',
      table: true,
      targets: [{ expr: `count by (version, revision) (${sel('client_info')})`, legend: '' }],
    },
  ],
};

const OVERVIEW_PANELS: PanelSpec[] = [
  {
    title: 'Scrape targets up',
    description:
      'up is 1 when Prometheus scraped the node’s /metrics; KeepNodeDown fires after 2 minutes at 0.',
    unit: 'none',
    min: 0,
    max: 1,
    targets: [{ expr: 'up{instance=~"$instance"}', legend: '{{instance}}' }],
  },
  {
    title: 'Firing alerts',
    description:
      'Alerts of monitoring/alerts.yml firing now; each has a runbook section in docs/operations.md.',
    unit: 'none',
    table: true,
    targets: [{ expr: 'ALERTS{alertstate="firing", instance=~"$instance"}', legend: '' }],
  },
];

/** Whether an expression names the metric (itself, or its histogram series). */
function names(expr: string, name: string): boolean {
  return new RegExp(`\\b${name}(_bucket|_sum|_count)?\\b`).test(expr);
}

/** A panel for a catalog metric that no hand-written panel shows, chosen by its type. */
export function fallbackPanel(name: MetricName): PanelSpec {
  const spec: MetricSpec = catalog[name];
  const labels = Object.keys(spec.labels).join(', ');
  const legend = labels
    ? labels
        .split(', ')
        .map((l) => `{{${l}}}`)
        .join(' ')
    : name;
  switch (spec.type) {
    case 'counter':
      return {
        title: name,
        description: spec.help,
        unit: 'ops',
        min: 0,
        targets: [{ expr: rate(name, labels), legend }],
      };
    case 'histogram':
      return durationPanel(name, name);
    case 'gauge':
      return {
        title: name,
        description: spec.help,
        unit: 'short',
        targets: [{ expr: sel(name), legend: labels ? `{{instance}} ${legend}` : '{{instance}}' }],
      };
  }
}

/** The panels of one family: the hand-written ones, then one per catalog metric they miss. */
export function familyPanels(family: Family): PanelSpec[] {
  const panels = [...FAMILY_PANELS[family]];
  const shown = (name: string) => panels.some((p) => p.targets.some((t) => names(t.expr, name)));
  for (const name of METRIC_NAMES) {
    if (catalog[name].family === family && !shown(name)) panels.push(fallbackPanel(name));
  }
  return panels;
}

const WIDTH = 8;
const HEIGHT = 8;

function panelJson(spec: PanelSpec, id: number, x: number, y: number): Record<string, unknown> {
  const thresholdSteps = spec.threshold
    ? spec.threshold.below
      ? [
          { color: 'red', value: null },
          { color: 'green', value: spec.threshold.value },
        ]
      : [
          { color: 'green', value: null },
          { color: 'red', value: spec.threshold.value },
        ]
    : [{ color: 'green', value: null }];
  const targets = spec.targets.map((target, i) => ({
    datasource: DATASOURCE,
    expr: target.expr,
    legendFormat: target.legend || '__auto',
    refId: String.fromCharCode(65 + i),
    ...(spec.table ? { instant: true, range: false, format: 'table' } : { range: true }),
  }));
  const defaults: Record<string, unknown> = {
    unit: spec.unit,
    ...(spec.min !== undefined ? { min: spec.min } : {}),
    ...(spec.max !== undefined ? { max: spec.max } : {}),
    thresholds: { mode: 'absolute', steps: thresholdSteps },
  };
  if (!spec.table) {
    defaults.color = { mode: 'palette-classic' };
    defaults.custom = {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: 10,
      showPoints: 'never',
      spanNulls: false,
      thresholdsStyle: { mode: spec.threshold ? 'line' : 'off' },
    };
  }
  return {
    id,
    type: spec.table ? 'table' : 'timeseries',
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos: { h: HEIGHT, w: WIDTH, x, y },
    fieldConfig: { defaults, overrides: [] },
    options: spec.table
      ? { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } }
      : {
          legend: { displayMode: 'list', placement: 'bottom', showLegend: true, calcs: [] },
          tooltip: { mode: 'multi', sort: 'desc' },
        },
    ...(spec.table
      ? { transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }] }
      : {}),
    targets,
  };
}

/** The dashboard as a JSON object. */
export function dashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  const row = (title: string, specs: PanelSpec[]) => {
    panels.push({
      id: id++,
      type: 'row',
      title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    specs.forEach((spec, i) => {
      const x = (i % 3) * WIDTH;
      if (i > 0 && x === 0) y += HEIGHT;
      panels.push(panelJson(spec, id++, x, y));
    });
    y += HEIGHT;
  };
  row('Overview', OVERVIEW_PANELS);
  for (const family of FAMILIES) row(family, familyPanels(family));

  return {
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    description:
      'keep-client performance metrics (docs/metrics.md), one row per metric family. Generated from src/clientinfo/catalog.ts by `npm run monitoring:dashboard`.',
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [],
    panels,
    refresh: '30s',
    schemaVersion: 39,
    tags: ['keep', 'tbtc', 'keep-client'],
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
          includeAll: false,
          multi: false,
          options: [],
          refresh: 1,
          regex: '',
        },
        {
          name: 'instance',
          label: 'Node',
          type: 'query',
          datasource: DATASOURCE,
          definition: 'label_values(client_info, instance)',
          query: 'label_values(client_info, instance)',
          current: {},
          hide: 0,
          includeAll: true,
          allValue: '.+',
          multi: true,
          options: [],
          refresh: 2,
          regex: '',
          sort: 1,
        },
        {
          name: 'window',
          label: 'Window',
          description: 'Range of the ratios, quantiles and counts (the alert rules use 1h).',
          type: 'custom',
          query: '5m,15m,1h,6h,1d',
          current: { selected: true, text: '1h', value: '1h' },
          hide: 0,
          includeAll: false,
          multi: false,
          options: ['5m', '15m', '1h', '6h', '1d'].map((value) => ({
            selected: value === '1h',
            text: value,
            value,
          })),
        },
      ],
    },
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    title: 'keep-client',
    uid: 'keep-client',
    version: 1,
    weekStart: '',
  };
}

/** monitoring/grafana-dashboard.json, as committed. */
export function renderDashboard(): string {
  return `${JSON.stringify(dashboard(), null, 2)}\n`;
}
