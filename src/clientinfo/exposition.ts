import { collectDefaultMetrics, type Metric, type OpenMetricsContentType, Registry } from 'prom-client';

export const TEXT_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;

/**
 * prom-client default metrics whose names break Prometheus naming rules (gauges named
 * `_total`); `promtool check metrics` rejects them, so they are not exported.
 */
const NON_CONFORMING_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export interface Exposition {
  contentType: string;
  body: string;
}

/** What prom-client's registry reads from a metric object when rendering it. */
interface Collectable {
  name: string;
  type: string;
  help: string;
  get(): Promise<{ name: string }>;
}

/**
 * The registry behind `/metrics`, rendered in the format the scraper's Accept header prefers.
 *
 * prom-client renders OpenMetrics by renaming counter objects in place (dropping `_total`),
 * which would corrupt every later text scrape of the same objects. So metrics live in the
 * text registry only, and an OpenMetrics answer renders throw-away views of them.
 */
export class MetricsRegistries {
  readonly registry = new Registry();

  constructor(options: { processMetrics: boolean }) {
    if (options.processMetrics) {
      collectDefaultMetrics({ register: this.registry });
      for (const name of NON_CONFORMING_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    }
  }

  async render(accept: string | undefined): Promise<Exposition> {
    if (!prefersOpenMetrics(accept)) {
      return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    }
    const view = new Registry<OpenMetricsContentType>();
    view.setContentType(OPENMETRICS_CONTENT_TYPE);
    for (const metric of this.registry.getMetricsAsArray() as unknown as Collectable[]) {
      const counterFamily = metric.type === 'counter' ? metric.name.replace(/_total$/, '') : undefined;
      view.registerMetric({
        name: metric.name,
        type: metric.type,
        help: metric.help,
        get: async () => {
          const snapshot = await metric.get();
          return counterFamily ? { ...snapshot, name: counterFamily } : snapshot;
        },
      } as unknown as Metric);
    }
    return { contentType: view.contentType, body: await view.metrics() };
  }
}

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [rawType, ...rawParams] = part.split(';');
    const type = rawType?.trim().toLowerCase();
    if (!type) continue;
    const params = new Map<string, string>();
    for (const param of rawParams) {
      const eq = param.indexOf('=');
      if (eq < 0) continue;
      params.set(
        param.slice(0, eq).trim().toLowerCase(),
        param
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, ''),
      );
    }
    const q = params.has('q') ? Number(params.get('q')) : 1;
    ranges.push({ type, params, q: Number.isFinite(q) ? q : 0 });
  }
  return ranges;
}

/**
 * True when the Accept header ranks OpenMetrics 1.0 strictly above the Prometheus text
 * format; with no header, an empty one or a tie the text format is served.
 */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let openMetrics = 0;
  let text = 0;
  for (const range of parseAccept(accept)) {
    const version = range.params.get('version');
    if (range.type === 'application/openmetrics-text' && (version === undefined || version === '1.0.0')) {
      openMetrics = Math.max(openMetrics, range.q);
    } else if (range.type === 'text/plain' && (version === undefined || version === '0.0.4')) {
      text = Math.max(text, range.q);
    } else if (range.type === '*/*' || range.type === 'text/*') {
      text = Math.max(text, range.q);
    }
  }
  return openMetrics > 0 && openMetrics > text;
}
