import { ChainError } from './types.js';

interface Waiter {
  readonly height: number;
  resolve(): void;
  reject(reason: unknown): void;
}

/**
 * The waiting side of a block counter: `waitForBlock` promises and `watchBlocks` listeners,
 * released as new heights are announced. Shared by the local chain and the chain client.
 */
export class BlockNotifier {
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<{ readonly listener: (height: number) => void }>();
  private closedReason: string | undefined;

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  wait(currentHeight: number, height: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (currentHeight >= height) return Promise.resolve();
    if (this.closedReason) return Promise.reject(new ChainError(this.closedReason));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(waiter);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        height,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (reason) => {
          signal?.removeEventListener('abort', onAbort);
          reject(reason);
        },
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  watch(listener: (height: number) => void): () => void {
    const entry = { listener };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** A new height: releases the waiters it reaches, then tells every watcher. */
  announce(height: number): void {
    for (const waiter of this.waiters) {
      if (waiter.height > height) continue;
      this.waiters.delete(waiter);
      waiter.resolve();
    }
    for (const entry of [...this.listeners]) {
      if (!this.listeners.has(entry)) continue;
      try {
        entry.listener(height);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  /** Rejects every pending wait (and later ones) with a ChainError of this reason. */
  close(reason: string): void {
    this.closedReason = reason;
    for (const waiter of this.waiters) waiter.reject(new ChainError(reason));
    this.waiters.clear();
    this.listeners.clear();
  }
}
