import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { BlockNotifier } from '../block-notifier.js';
import { type BlockCounter, ChainError } from '../types.js';

const GENESIS_HASH = sha256(utf8ToBytes('keep-core-ts/genesis'));

export function nextBlockHash(previous: Uint8Array, height: number): Uint8Array {
  const bytes = new Uint8Array(previous.length + 8);
  bytes.set(previous);
  new DataView(bytes.buffer).setBigUint64(previous.length, BigInt(height));
  return sha256(bytes);
}

/**
 * Produces the local chain's blocks: one every `intervalMs` (timer unref'd), or only when
 * `mine()` is called when `intervalMs` is 0. Height starts at 0 (genesis).
 */
export class BlockEngine implements BlockCounter {
  private readonly hashes: Uint8Array[] = [GENESIS_HASH];
  private readonly notifier: BlockNotifier;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly intervalMs: number,
    onListenerError: (error: unknown) => void = () => {},
  ) {
    this.notifier = new BlockNotifier(onListenerError);
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new RangeError(`block interval must be a non-negative number of ms, got ${intervalMs}`);
    }
    if (intervalMs > 0) {
      this.timer = setInterval(() => this.advance(), intervalMs);
      this.timer.unref();
    }
  }

  /** The current height, synchronously (for the chain's own checks). */
  get height(): number {
    return this.hashes.length - 1;
  }

  async currentBlock(): Promise<number> {
    return this.height;
  }

  waitForBlock(height: number, signal?: AbortSignal): Promise<void> {
    return this.notifier.wait(this.height, height, signal);
  }

  watchBlocks(listener: (height: number) => void): () => void {
    return this.notifier.watch(listener);
  }

  async blockHash(height: number): Promise<Uint8Array> {
    return this.hashAt(height);
  }

  /** `blockHash`, synchronously (for the chain's own use). */
  hashAt(height: number): Uint8Array {
    const hash = Number.isInteger(height) ? this.hashes[height] : undefined;
    if (!hash) throw new ChainError(`block ${height} does not exist (current block is ${this.height})`);
    return hash.slice();
  }

  /** Advances `count` blocks at once, notifying waiters and watchers of each. */
  mine(count = 1): void {
    if (this.closed) throw new ChainError('local chain is closed');
    for (let i = 0; i < count; i++) this.advance();
  }

  /** Stops block production; pending waits reject. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.notifier.close('local chain is closed');
  }

  private advance(): void {
    const previous = this.hashes[this.hashes.length - 1]!;
    this.hashes.push(nextBlockHash(previous, this.hashes.length));
    this.notifier.announce(this.height);
  }
}
