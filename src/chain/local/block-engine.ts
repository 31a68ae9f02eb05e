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

/** Hashes of this many latest blocks are kept (older ones are answered with a ChainError). */
export const DEFAULT_KEPT_BLOCK_HASHES = 1024;

/** What a restart needs: the height and the hashes of the latest blocks, oldest first. */
export interface BlockEngineState {
  readonly height: number;
  readonly hashes: readonly Uint8Array[];
}

/**
 * Produces the local chain's blocks: one every `intervalMs` (timer unref'd), or only when
 * `mine()` is called when `intervalMs` is 0. Height starts at 0 (genesis).
 */
export class BlockEngine implements BlockCounter {
  /** Hashes of blocks `tip - hashes.length + 1 … tip`. */
  private hashes: Uint8Array[] = [GENESIS_HASH];
  private tip = 0;
  private readonly notifier: BlockNotifier;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly intervalMs: number,
    onListenerError: (error: unknown) => void = () => {},
    private readonly keptHashes = DEFAULT_KEPT_BLOCK_HASHES,
  ) {
    this.notifier = new BlockNotifier(onListenerError);
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new RangeError(`block interval must be a non-negative number of ms, got ${intervalMs}`);
    }
    if (!Number.isInteger(keptHashes) || keptHashes < 1) {
      throw new RangeError(`kept block hashes must be a positive integer, got ${keptHashes}`);
    }
    if (intervalMs > 0) {
      this.timer = setInterval(() => this.advance(), intervalMs);
      this.timer.unref();
    }
  }

  /** The current height, synchronously (for the chain's own checks). */
  get height(): number {
    return this.tip;
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
    const oldest = this.tip - this.hashes.length + 1;
    if (Number.isInteger(height) && height >= 0 && height < oldest) {
      throw new ChainError(
        `block ${height} is older than the ${this.keptHashes} latest blocks kept (current block is ${this.tip})`,
      );
    }
    const hash = Number.isInteger(height) ? this.hashes[height - oldest] : undefined;
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

  snapshot(): BlockEngineState {
    return { height: this.tip, hashes: this.hashes.map((hash) => hash.slice()) };
  }

  /** Continues from a saved state (before any block of this engine was produced). */
  restore(state: BlockEngineState): void {
    if (state.hashes.length === 0 || state.hashes.length > state.height + 1) {
      throw new RangeError(`${state.hashes.length} block hashes cannot end at height ${state.height}`);
    }
    this.tip = state.height;
    this.hashes = state.hashes.slice(-this.keptHashes).map((hash) => hash.slice());
  }

  private advance(): void {
    const previous = this.hashes[this.hashes.length - 1]!;
    this.tip++;
    this.hashes.push(nextBlockHash(previous, this.tip));
    if (this.hashes.length > this.keptHashes) this.hashes.shift();
    this.notifier.announce(this.tip);
  }
}
