/** Milliseconds from a monotonic clock; injectable so tests step time by hand. */
export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();

export interface Rate {
  /** Tokens available at once (the burst). */
  readonly burst: number;
  /** Tokens added back per second, up to `burst`. */
  readonly perSecond: number;
}

/**
 * A token bucket: starts full, refills continuously at `perSecond`, never above `burst`.
 * `take` spends one token or reports that none is left; it allocates nothing.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rate: Rate,
    private readonly clock: Clock,
  ) {
    this.tokens = rate.burst;
    this.updatedAt = clock();
  }

  take(): boolean {
    const now = this.clock();
    this.tokens = Math.min(
      this.rate.burst,
      this.tokens + ((now - this.updatedAt) / 1000) * this.rate.perSecond,
    );
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
