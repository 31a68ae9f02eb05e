import type { Logger } from '../log.js';
import type { BroadcastChannel, Message, Subscription } from './types.js';

/** Early messages kept in all, and per sender (one member cannot push the others' out). */
const CAPACITY = 256;
const PER_SENDER = 32;
/** Recently finished sessions: their late retransmissions are dropped, not kept. */
const FINISHED_REMEMBERED = 64;

/**
 * One long-lived subscription that hands each message to the handler of its session (the
 * payload's `session` field). Messages of a session nobody handles yet are kept (bounded, the
 * sender's oldest dropped first) and replayed when its handler registers: members start an
 * operation a moment apart, and without this the first messages of the faster ones would only
 * reach the slower ones on a retransmission, a tick or more later.
 */
export class SessionRouter {
  private readonly handlers = new Map<string, (message: Message) => void>();
  private readonly early: Message[] = [];
  private readonly finished: string[] = [];
  private readonly subscription: Subscription;

  constructor(
    channel: BroadcastChannel,
    name: string,
    types: readonly string[],
    private readonly log?: Logger,
  ) {
    this.subscription = channel.recv((message) => this.route(message), { name, types });
  }

  /**
   * Registers the session's handler; what arrived for it before is replayed on a microtask,
   * after the caller holds the returned unregister function.
   */
  handle(session: string, handler: (message: Message) => void): () => void {
    this.handlers.set(session, handler);
    const mine = this.early.filter((message) => sessionOf(message) === session);
    if (mine.length > 0) {
      const others = this.early.filter((message) => sessionOf(message) !== session);
      this.early.splice(0, this.early.length, ...others);
      queueMicrotask(() => {
        for (const message of mine)
          if (this.handlers.get(session) === handler) this.deliver(handler, message);
      });
    }
    return () => {
      if (this.handlers.get(session) !== handler) return;
      this.handlers.delete(session);
      this.finished.push(session);
      if (this.finished.length > FINISHED_REMEMBERED) this.finished.shift();
    };
  }

  close(): void {
    this.subscription.cancel();
    this.handlers.clear();
    this.early.length = 0;
  }

  private route(message: Message): void {
    const session = sessionOf(message);
    if (session === undefined) return;
    const handler = this.handlers.get(session);
    if (handler) {
      this.deliver(handler, message);
      return;
    }
    if (this.finished.includes(session)) return;
    const sender = message.sender.operatorAddress;
    const fromSender = this.early.filter((m) => m.sender.operatorAddress === sender);
    if (fromSender.length >= PER_SENDER) this.early.splice(this.early.indexOf(fromSender[0]!), 1);
    else if (this.early.length >= CAPACITY) this.early.shift();
    this.early.push(message);
  }

  /** A handler that throws on a peer's message must not take the node down. */
  private deliver(handler: (message: Message) => void, message: Message): void {
    try {
      handler(message);
    } catch (err) {
      this.log?.warn(
        { err: (err as Error).message, type: message.type, operator: message.sender.operatorAddress },
        'message handler failed; message dropped',
      );
    }
  }
}

function sessionOf(message: Message): string | undefined {
  const session = (message.payload as { session?: unknown } | null)?.session;
  return typeof session === 'string' ? session : undefined;
}
