import type { BlockCounter } from '../../chain/types.js';
import type { BroadcastChannel, MessageCodec, Subscription } from '../../net/types.js';

/**
 * Collects one message per (type, sender operator) on a protocol channel, from the moment the
 * protocol starts (messages may arrive before the local member reaches their phase).
 */
export class Inbox {
  private readonly messages = new Map<string, Map<string, unknown>>();
  private readonly waiters = new Set<() => void>();
  private readonly subscription: Subscription;

  constructor(
    channel: BroadcastChannel,
    private readonly session: string,
    name: string,
  ) {
    this.subscription = channel.recv(
      (message) => {
        const payload = message.payload as { session?: string };
        if (payload.session !== session) return;
        let byType = this.messages.get(message.type);
        if (!byType) {
          byType = new Map();
          this.messages.set(message.type, byType);
        }
        if (byType.has(message.sender.operatorAddress)) return; // first one counts
        byType.set(message.sender.operatorAddress, payload);
        for (const wake of [...this.waiters]) wake();
      },
      { name },
    );
  }

  /** Messages of a type from the expected senders, once all arrived or the deadline block passed. */
  async collect<T>(
    codec: MessageCodec<T>,
    senders: ReadonlySet<string>,
    deadlineBlock: number,
    blocks: BlockCounter,
    signal: AbortSignal,
  ): Promise<Map<string, T>> {
    const received = () => {
      const byType = this.messages.get(codec.type) ?? new Map<string, unknown>();
      return new Map([...byType].filter(([sender]) => senders.has(sender))) as Map<string, T>;
    };
    if (received().size === senders.size) return received();
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        this.waiters.delete(check);
        stopBlocks();
        signal.removeEventListener('abort', aborted);
      };
      const check = () => {
        if (received().size === senders.size) {
          done();
          resolve();
        }
      };
      const stopBlocks = blocks.watchBlocks((height) => {
        if (height >= deadlineBlock) {
          done();
          resolve();
        }
      });
      const aborted = () => {
        done();
        reject(signal.reason);
      };
      signal.addEventListener('abort', aborted);
      this.waiters.add(check);
    });
    return received();
  }

  close(): void {
    this.subscription.cancel();
  }
}
