import type { ChainEventName, ChainEvents, LoggedEvent } from '../events.js';
import type { Unsubscribe } from '../types.js';

export interface EventLogBounds {
  /** At most this many events are kept (the oldest go first). */
  readonly maxEvents: number;
  /** Events older than this many blocks are dropped. */
  readonly maxAgeBlocks: number;
}

export const DEFAULT_EVENT_LOG_BOUNDS: EventLogBounds = { maxEvents: 4096, maxAgeBlocks: 20_000 };

export interface EventLogState {
  readonly nextSeq: number;
  readonly events: readonly LoggedEvent[];
}

/**
 * The chain's recent events in order, so that a client that was away can ask for the events
 * after the last one it saw. Bounded by count and by age in blocks; listeners hear each
 * appended event synchronously, in subscription order.
 */
export class EventLog {
  private events: LoggedEvent[] = [];
  private nextSeq = 1;
  private readonly listeners = new Set<{ readonly listener: (event: LoggedEvent) => void }>();

  constructor(
    private readonly bounds: EventLogBounds,
    private readonly onListenerError: (error: unknown) => void,
  ) {
    for (const [name, value] of Object.entries(bounds)) {
      if (!Number.isInteger(value) || value < 1)
        throw new RangeError(`event log ${name} must be a positive integer, got ${value}`);
    }
  }

  /** Seq of the newest event (0 before the first). */
  get head(): number {
    return this.nextSeq - 1;
  }

  append<K extends ChainEventName>(name: K, data: ChainEvents[K], block: number): LoggedEvent<K> {
    const event: LoggedEvent<K> = { seq: this.nextSeq++, block, name, data };
    this.events.push(event);
    this.prune(block);
    for (const entry of [...this.listeners]) {
      try {
        entry.listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
    return event;
  }

  onAppend(listener: (event: LoggedEvent) => void): Unsubscribe {
    const entry = { listener };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /**
   * The kept events with seq > `after`. `truncated` when some of those were already pruned:
   * the caller has a gap it cannot fill from here.
   */
  since(after: number): { events: LoggedEvent[]; truncated: boolean } {
    const oldest = this.events[0]?.seq ?? this.nextSeq;
    return {
      events: this.events.filter((event) => event.seq > after),
      truncated: after + 1 < oldest,
    };
  }

  snapshot(): EventLogState {
    return { nextSeq: this.nextSeq, events: [...this.events] };
  }

  restore(state: EventLogState): void {
    this.nextSeq = state.nextSeq;
    this.events = [...state.events];
  }

  clear(): void {
    this.listeners.clear();
  }

  private prune(block: number): void {
    const { maxEvents, maxAgeBlocks } = this.bounds;
    let drop = Math.max(0, this.events.length - maxEvents);
    while (drop < this.events.length && this.events[drop]!.block < block - maxAgeBlocks) drop++;
    if (drop > 0) this.events.splice(0, drop);
  }
}
