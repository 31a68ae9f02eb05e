import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';
import { catalog, METRIC_NAMES } from '../../src/clientinfo/catalog.js';
import { MetricsRegistries } from '../../src/clientinfo/exposition.js';

/** The repository root, from dist/test/helpers/. */
export const ROOT = new URL('../../../', import.meta.url);
export const readRepoFile = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');

export type SeriesType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/**
 * Series names a query may select that are not in the catalog: the Node.js process metrics the
 * node exports beside the catalog (prom-client's defaults, as `/metrics` serves them), and the
 * series Prometheus itself writes (`up` per scrape target, `ALERTS` per alert).
 */
export function knownMetrics(): Map<string, SeriesType> {
  const known = new Map<string, SeriesType>();
  for (const name of METRIC_NAMES) known.set(name, catalog[name].type);
  const process = new MetricsRegistries({ processMetrics: true });
  for (const metric of process.registry.getMetricsAsArray() as unknown as { name: string; type: string }[])
    if (!known.has(metric.name)) known.set(metric.name, metric.type as SeriesType);
  process.registry.clear();
  known.set('up', 'gauge');
  known.set('ALERTS', 'gauge');
  return known;
}

/**
 * The exported metric a series name belongs to: itself, or for `_bucket`, `_sum` and `_count`
 * the histogram (or summary) it is part of. Undefined when nothing exports it, which includes
 * a histogram's bare name (only its three series exist).
 */
export function metricOf(series: string, known: Map<string, SeriesType>): string | undefined {
  const type = known.get(series);
  if (type && type !== 'histogram' && type !== 'summary') return series;
  const suffix = /_(bucket|sum|count)$/.exec(series);
  if (!suffix) return undefined;
  const base = series.slice(0, -suffix[0].length);
  const baseType = known.get(base);
  if (baseType === 'histogram') return base;
  if (baseType === 'summary' && suffix[1] !== 'bucket') return base;
  return undefined;
}

/** Grafana's variables in range brackets replaced by a duration, so the query parses as PromQL. */
export function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\[\$\{?\w+\}?\]/g, '[5m]');
}

export interface QueryCheck {
  /** Series names selected by the query. */
  readonly series: string[];
  /** Parse errors and selectors without a literal metric name. */
  readonly errors: string[];
}

/** Parses a PromQL expression with the Prometheus (lezer) grammar and lists the series it selects. */
export function parseQuery(expr: string): QueryCheck {
  const series: string[] = [];
  const errors: string[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        errors.push(`syntax error at ${node.from}: ${JSON.stringify(expr.slice(node.from, node.from + 30))}`);
        return;
      }
      if (node.name !== 'VectorSelector') return;
      const identifier = node.node.getChild('Identifier');
      if (identifier) series.push(expr.slice(identifier.from, identifier.to));
      else errors.push(`selector without a metric name: ${expr.slice(node.from, node.to)}`);
    },
  });
  return { series, errors };
}

/**
 * Checks queries against the exported metrics. Returns the problems (empty when all is well)
 * and the exported metrics the queries use.
 */
export function checkQueries(
  queries: readonly { where: string; expr: string }[],
  known = knownMetrics(),
): { problems: string[]; used: Set<string> } {
  const problems: string[] = [];
  const used = new Set<string>();
  for (const { where, expr } of queries) {
    const { series, errors } = parseQuery(withoutGrafanaVariables(expr));
    for (const error of errors) problems.push(`${where}: ${error} in ${expr}`);
    if (series.length === 0 && errors.length === 0) problems.push(`${where}: selects no metric: ${expr}`);
    for (const name of series) {
      const metric = metricOf(name, known);
      if (metric) used.add(metric);
      else problems.push(`${where}: ${name} is not a metric the node exports (docs/metrics.md)`);
    }
  }
  return { problems, used };
}

// --- the monitoring kit's files ------------------------------------------------------------

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export function alertRules(text = readRepoFile('monitoring/alerts.yml')): AlertRule[] {
  const doc = parseYaml(text) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((group) => group.rules);
}

interface Panel {
  readonly title?: string;
  readonly type: string;
  readonly targets?: { expr?: string }[];
  readonly panels?: Panel[];
}

export interface Dashboard {
  readonly schemaVersion: number;
  readonly panels: Panel[];
  readonly templating: { list: { name: string; type: string; query?: unknown; definition?: string }[] };
}

export function dashboardFile(): Dashboard {
  return JSON.parse(readRepoFile('monitoring/grafana-dashboard.json')) as Dashboard;
}

/** Every PromQL expression of the dashboard: panel targets and query variables. */
export function dashboardQueries(dashboard: Dashboard): { where: string; expr: string }[] {
  const queries: { where: string; expr: string }[] = [];
  const visit = (panels: Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? [])
        if (target.expr !== undefined) queries.push({ where: `panel "${panel.title}"`, expr: target.expr });
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels);
  for (const variable of dashboard.templating.list) {
    if (variable.type !== 'query') continue;
    const definition = variable.definition ?? '';
    // label_values(<selector>, <label>) is Grafana's, not PromQL: check the selector.
    const labelValues = /^label_values\((.*),\s*\w+\)$/.exec(definition);
    queries.push({ where: `variable ${variable.name}`, expr: labelValues ? labelValues[1]! : definition });
  }
  return queries;
}

/** GitHub's anchor of a Markdown heading. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The `##`/`###` sections of a Markdown file by anchor, each with its text up to the next heading. */
export function markdownSections(text: string): Map<string, { heading: string; body: string }> {
  const sections = new Map<string, { heading: string; body: string }>();
  let current: { heading: string; body: string } | undefined;
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^#{1,4} (.*)$/.exec(line);
    if (heading) {
      current = { heading: heading[1]!, body: '' };
      sections.set(slug(heading[1]!), current);
    } else if (current) {
      current.body += `${line}\n`;
    }
  }
  return sections;
}

/** The contents of the ```promql blocks of a Markdown text. */
export function promqlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```promql\n([\s\S]*?)```/g)].map((match) => match[1]!.trim());
}
