import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { catalog, FREE, METRIC_NAMES, type MetricName, type MetricSpec } from './catalog.js';
import type {
  CounterName,
  GaugeName,
  HistogramName,
  IncArgs,
  LabelArgs,
  Labels,
  Recorder,
  Unregister,
} from './recorder.js';

type AnyLabels = Record<string, string>;

interface SourcedGauge {
  readonly gauge: Gauge<string>;
  readonly sources: Set<{ labels: AnyLabels; read: () => number }>;
}

/**
 * The recorder over prom-client. Every catalog metric is created once, at construction,
 * and registered in the given registry.
 */
export class PromRecorder implements Recorder {
  readonly enabled = true;
  // Plain objects, not Maps: the lookup is on every recording call.
  private readonly counters: Record<string, Counter<string>> = Object.create(null);
  private readonly histograms: Record<string, Histogram<string>> = Object.create(null);
  private readonly gauges: Record<string, Gauge<string>> = Object.create(null);
  private readonly sourced = new Map<MetricName, SourcedGauge>();

  constructor(registry: Registry) {
    for (const name of METRIC_NAMES) this.create(name, catalog[name], [registry]);
  }

  // The implementations take plain optional parameters (no rest arrays) to stay close to
  // direct prom-client cost; the interface's typed signatures are what callers see.
  inc<N extends CounterName>(name: N, ...args: IncArgs<N>): void;
  inc(name: CounterName, first?: unknown, by?: number): void {
    try {
      if (typeof first === 'object') this.counters[name]!.inc(first as AnyLabels, by ?? 1);
      else this.counters[name]!.inc((first as number | undefined) ?? 1);
    } catch {
      // Recording must never disturb the caller.
    }
  }

  observe<N extends HistogramName>(name: N, value: number, ...labels: LabelArgs<N>): void;
  observe(name: HistogramName, value: number, labels?: unknown): void {
    try {
      if (labels) this.histograms[name]!.observe(labels as AnyLabels, value);
      else this.histograms[name]!.observe(value);
    } catch {
      // Recording must never disturb the caller.
    }
  }

  set<N extends GaugeName>(name: N, value: number, ...labels: LabelArgs<N>): void;
  set(name: GaugeName, value: number, labels?: unknown): void {
    try {
      if (labels) this.gauges[name]!.set(labels as AnyLabels, value);
      else this.gauges[name]!.set(value);
    } catch {
      // Recording must never disturb the caller.
    }
  }

  gaugeSource<N extends GaugeName>(name: N, labels: Labels<N>, read: () => number): Unregister {
    const entry = this.sourcedGauge(name);
    const source = { labels: { ...(labels as AnyLabels) }, read };
    entry.sources.add(source);
    return () => {
      entry.sources.delete(source);
    };
  }

  private sourcedGauge(name: MetricName): SourcedGauge {
    let entry = this.sourced.get(name);
    if (!entry) {
      entry = { gauge: this.gauges[name]!, sources: new Set() };
      this.sourced.set(name, entry);
    }
    return entry;
  }

  /** Called by prom-client at scrape time: a sourced gauge shows exactly its live sources. */
  private collectSources(name: MetricName): void {
    const entry = this.sourced.get(name);
    if (!entry) return;
    entry.gauge.reset();
    for (const { labels, read } of entry.sources) {
      try {
        const value = read();
        if (Number.isFinite(value)) entry.gauge.set(labels, value);
      } catch {
        // A failing source is left out of this scrape; the others are still served.
      }
    }
  }

  private create(name: MetricName, spec: MetricSpec, registers: Registry[]): void {
    const labelNames = Object.keys(spec.labels);
    const base = { name, help: spec.help, labelNames, registers };
    switch (spec.type) {
      case 'counter': {
        const counter = new Counter(base);
        for (const labels of closedLabelSets(spec)) counter.inc(labels, 0);
        this.counters[name] = counter;
        break;
      }
      case 'histogram': {
        const histogram = new Histogram({ ...base, buckets: [...(spec.buckets ?? [])] });
        for (const labels of closedLabelSets(spec)) histogram.zero(labels);
        this.histograms[name] = histogram;
        break;
      }
      case 'gauge': {
        const recorder = this;
        const gauge = new Gauge({
          ...base,
          collect() {
            recorder.collectSources(name);
          },
        });
        for (const labels of closedLabelSets(spec)) gauge.set(labels, 0);
        this.gauges[name] = gauge;
        break;
      }
    }
  }
}

/**
 * Every combination of a metric's label values when all its labels are closed sets;
 * nothing when any label is free (its values are only known at run time). An unlabelled
 * metric yields nothing either: prom-client already exports it as 0.
 */
export function closedLabelSets(spec: MetricSpec): AnyLabels[] {
  const entries = Object.entries(spec.labels);
  if (entries.length === 0) return [];
  let sets: AnyLabels[] = [{}];
  for (const [label, domain] of entries) {
    if (domain === FREE) return [];
    sets = sets.flatMap((set) => domain.map((value) => ({ ...set, [label]: value })));
  }
  return sets;
}
