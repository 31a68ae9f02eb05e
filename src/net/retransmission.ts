import type { RetransmissionStrategy } from './types.js';

/** The clock of retransmissions: one tick per block in production, a timer otherwise. */
export interface RetransmissionTicker {
  onTick(listener: () => void): () => void;
}

export class IntervalTicker implements RetransmissionTicker {
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  onTick(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.timer = setInterval(() => {
        for (const l of [...this.listeners]) l();
      }, this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }
}

/** A ticker driven by hand, for tests and for block watchers. */
export class ManualTicker implements RetransmissionTicker {
  private readonly listeners = new Set<() => void>();

  onTick(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  tick(): void {
    for (const l of [...this.listeners]) l();
  }
}

/**
 * Whether a message is re-published on its n-th tick (n ≥ 1). Standard: every tick.
 * Backoff: ticks 1, 3, 6, 11, 20, 37, ... (each gap doubles, minus one), as in keep-core.
 */
export function retransmitsOnTick(strategy: RetransmissionStrategy, tick: number): boolean {
  if (strategy === 'standard') return true;
  let due = 1;
  let gap = 2;
  while (due < tick) {
    due += gap;
    gap = gap * 2 - 1;
  }
  return due === tick;
}
