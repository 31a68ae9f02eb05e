import type { BlockCounter } from '../chain/types.js';
import type { BroadcastChannel, MessageCodec, Subscription } from '../net/types.js';
import { canonicalJson } from './canonical-json.js';

interface First {
  readonly payload: unknown;
  readonly canonical: string;
}

/**
 * Collects one message per (type, sender operator) on a protocol channel, from the moment the
 * protocol starts (messages may arrive before the local member reaches their phase).
 *
 * The first payload of each (type, sender) counts. A second one of the same type and session
 * with different content (compared canonically) makes the sender an equivocator: a member
 * must say one thing to everyone, and gossip relays every valid message to every subscriber,
 * so honest members all end up seeing both versions (see `equivocators`).
 */
export class Inbox {
  private readonly messages = new Map<string, Map<string, First>>();
  private readonly equivocating = new Set<string>();
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
        const sender = message.sender.operatorAddress;
        const canonical = canonicalJson(payload);
        const first = byType.get(sender);
        if (first) {
          if (first.canonical !== canonical) this.equivocating.add(sender);
          return; // the first one counts
        }
        byType.set(sender, { payload, canonical });
        for (const wake of [...this.waiters]) wake();
      },
      { name },
    );
  }

  /** Operators that sent two different messages of one type in this session, so far. */
  equivocators(): ReadonlySet<string> {
    return new Set(this.equivocating);
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
      const byType = this.messages.get(codec.type) ?? new Map<string, First>();
      return new Map(
        [...byType]
          .filter(([sender]) => senders.has(sender))
          .map(([sender, first]) => [sender, first.payload]),
      ) as Map<string, T>;
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
