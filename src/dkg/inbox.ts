import type { BlockCounter } from '../chain/types.js';
import type { SessionRouter } from '../net/session-router.js';
import type { MessageOf } from '../net/typed-messages.js';
import type { MessageCodec } from '../net/types.js';
import { canonicalJson } from './canonical-json.js';
import type { DKG_CODECS } from './messages.js';
import { waitForMessages } from './wait-for-messages.js';

interface First {
  readonly payload: unknown;
  readonly canonical: string;
}

/**
 * Collects one message per (type, sender operator) of a DKG session, from the moment the
 * protocol starts (messages may arrive before the local member reaches their phase); the
 * session router hands over the session's messages, including those that came before.
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
  private readonly unrouted: () => void;

  constructor(router: SessionRouter<typeof DKG_CODECS>, session: string) {
    this.unrouted = router.handle(session, (message) => this.add(message));
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
    await waitForMessages(
      () => received().size === senders.size,
      this.waiters,
      deadlineBlock,
      blocks,
      signal,
    );
    return received();
  }

  close(): void {
    this.unrouted();
  }

  private add(message: MessageOf<typeof DKG_CODECS>): void {
    let byType = this.messages.get(message.type);
    if (!byType) {
      byType = new Map();
      this.messages.set(message.type, byType);
    }
    const sender = message.sender.operatorAddress;
    const canonical = canonicalJson(message.payload);
    const first = byType.get(sender);
    if (first) {
      if (first.canonical !== canonical) this.equivocating.add(sender);
      return; // the first one counts
    }
    byType.set(sender, { payload: message.payload, canonical });
    for (const wake of [...this.waiters]) wake();
  }
}
