const YIELD_EVERY = 64;

/**
 * A FIFO with a fixed capacity drained by one asynchronous consumer, one item at a time.
 * `push` never blocks: when the queue is full it refuses the item and the caller counts
 * the drop. A consumer that throws does not stop the queue.
 */
export class BoundedQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private draining = false;
  private closed = false;

  constructor(
    readonly capacity: number,
    private readonly consume: (item: T) => void | Promise<void>,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): boolean {
    if (this.closed || this.size >= this.capacity) return false;
    this.items.push(item);
    if (!this.draining) {
      this.draining = true;
      // Start at once (a microtask), not on a later event-loop turn: every received message
      // passes through two queues, and each turn waited costs latency behind network I/O.
      queueMicrotask(() => void this.drain());
    }
    return true;
  }

  close(): void {
    this.closed = true;
    this.items = [];
    this.head = 0;
  }

  private async drain(): Promise<void> {
    let sinceYield = 0;
    while (!this.closed && this.size > 0) {
      // A long burst yields to I/O now and then instead of holding the event loop.
      if (++sinceYield > YIELD_EVERY) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
        if (this.closed || this.size === 0) break;
      }
      const item = this.items[this.head] as T;
      this.items[this.head] = undefined;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      try {
        await this.consume(item);
      } catch {
        // one bad item must not stop the queue
      }
    }
    this.draining = false;
  }
}
