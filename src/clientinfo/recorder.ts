import type { Catalog, MetricName } from './catalog.js';

type LabelDomains<N extends MetricName> = Catalog[N]['labels'];
type LabelValue<D> = D extends readonly (infer V)[] ? V : string;

/** The label set of metric N: exactly its declared labels, each with its allowed values. */
export type Labels<N extends MetricName> = {
  readonly [L in keyof LabelDomains<N>]: LabelValue<LabelDomains<N>[L]>;
};
type HasLabels<N extends MetricName> = [keyof LabelDomains<N>] extends [never] ? false : true;
/** Labelled metrics take their labels; unlabelled metrics take none. */
export type LabelArgs<N extends MetricName> = HasLabels<N> extends true ? [labels: Labels<N>] : [];
export type IncArgs<N extends MetricName> =
  HasLabels<N> extends true ? [labels: Labels<N>, by?: number] : [by?: number];

type NamesOfType<T> = { [K in MetricName]: Catalog[K]['type'] extends T ? K : never }[MetricName];
export type CounterName = NamesOfType<'counter'>;
export type GaugeName = NamesOfType<'gauge'>;
export type HistogramName = NamesOfType<'histogram'>;

/** Stops a scrape-time gauge source; its series disappears from the next scrape. */
export type Unregister = () => void;

/**
 * What components use to record performance metrics. Every method is typed against the
 * catalog: an unknown metric name or a wrong label is a compile error. No method throws,
 * blocks or logs.
 */
export interface Recorder {
  /** False for the no-op recorder used when metrics are disabled. */
  readonly enabled: boolean;
  inc<N extends CounterName>(name: N, ...args: IncArgs<N>): void;
  observe<N extends HistogramName>(name: N, value: number, ...labels: LabelArgs<N>): void;
  set<N extends GaugeName>(name: N, value: number, ...labels: LabelArgs<N>): void;
  /**
   * Reads a point-in-time value (a queue size, a peer count) when the gauge is scraped.
   * A gauge fed by sources shows exactly the series of its registered sources.
   */
  gaugeSource<N extends GaugeName>(name: N, labels: Labels<N>, read: () => number): Unregister;
}

const noop = (): void => {};

/** Used when `[ClientInfo] Port = 0`: every call does nothing. */
export const noopRecorder: Recorder = Object.freeze({
  enabled: false,
  inc: noop,
  observe: noop,
  set: noop,
  gaugeSource: () => noop,
});

/** Seconds elapsed since the stopwatch started, for duration histograms. */
export function stopwatch(): () => number {
  const start = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - start) / 1e9;
}
