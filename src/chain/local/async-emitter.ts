import type { Unsubscribe } from '../types.js';

/**
 * Chain events: each listener is called in its own microtask after the transaction that
 * emitted the event, never inside the sender's call stack, and its errors stay its own.
 */
export class AsyncEmitter<T> {
  private readonly listeners = new Set<{ readonly listener: (event: T) => void }>();

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  on(listener: (event: T) => void): Unsubscribe {
    const entry = { listener };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  emit(event: T): void {
    for (const entry of this.listeners) {
      queueMicrotask(() => {
        if (!this.listeners.has(entry)) return; // unsubscribed before delivery
        try {
          entry.listener(event);
        } catch (error) {
          this.onListenerError(error);
        }
      });
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
