import type { Recorder } from './recorder.js';

export type NodeInfoMetric =
  | 'connected_peers_count'
  | 'connected_bootstrap_count'
  | 'eth_connectivity'
  | 'btc_connectivity';

export type NodeInfoSource = () => number | Promise<number>;

export interface NodeInfoTicks {
  networkMs: number;
  ethereumMs: number;
  bitcoinMs: number;
}

const TICK_OF: Record<NodeInfoMetric, keyof NodeInfoTicks> = {
  connected_peers_count: 'networkMs',
  connected_bootstrap_count: 'networkMs',
  eth_connectivity: 'ethereumMs',
  btc_connectivity: 'bitcoinMs',
};

/**
 * Samples the node-info gauges on the configured `[ClientInfo]` ticks: once at start, then on
 * every tick. Subsystems register the source for what they own (the network its peer
 * counts, the chain client its connectivity); a metric without a source reports 0, and so
 * does a source that fails.
 */
export class NodeInfoObservers {
  private readonly sources = new Map<NodeInfoMetric, NodeInfoSource>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly recorder: Recorder,
    private readonly ticks: NodeInfoTicks,
  ) {}

  setSource(metric: NodeInfoMetric, source: NodeInfoSource): void {
    this.sources.set(metric, source);
    if (this.timers.length > 0) void this.sample(metric);
  }

  start(): void {
    if (this.timers.length > 0) return;
    for (const metric of Object.keys(TICK_OF) as NodeInfoMetric[]) {
      void this.sample(metric);
      const timer = setInterval(() => void this.sample(metric), this.ticks[TICK_OF[metric]]);
      timer.unref();
      this.timers.push(timer);
    }
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  async sample(metric: NodeInfoMetric): Promise<number> {
    let value = 0;
    try {
      const read = this.sources.get(metric);
      const sampled = read ? await read() : 0;
      value = Number.isFinite(sampled) ? sampled : 0;
    } catch {
      value = 0;
    }
    this.recorder.set(metric, value);
    return value;
  }
}
