/**
 * The relay requests a node has settled (entry accepted, timed out or abandoned), so that a
 * late or replayed event for one starts no work. Request ids only grow, so it keeps the last
 * `kept` ids and remembers everything older as one floor: memory stays bounded however many
 * entries the beacon produces.
 */
export class SettledRequests {
  private readonly recent = new Set<number>();
  /** Every id at or below this one is settled. */
  private floor = -1;

  constructor(private readonly kept = 64) {}

  add(requestId: number): void {
    if (this.has(requestId)) return;
    this.recent.add(requestId);
    while (this.recent.size > this.kept) {
      const oldest = Math.min(...this.recent);
      this.recent.delete(oldest);
      this.floor = Math.max(this.floor, oldest);
    }
  }

  has(requestId: number): boolean {
    return requestId <= this.floor || this.recent.has(requestId);
  }

  /** Ids held individually (at most `kept`). */
  get size(): number {
    return this.recent.size;
  }
}
