import type { Logger } from '../log.js';
import { type MessageOf, receive } from './typed-messages.js';
import type { BroadcastChannel, Message, MessageCodec, Subscription } from './types.js';

/** Codecs whose payloads name the session (operation, DKG, relay request) they belong to. */
export type SessionCodecMap = { readonly [name: string]: MessageCodec<{ readonly session: string }> };

export interface SessionRouterOptions {
  readonly log?: Logger;
  /** Early messages kept in all (default 256). */
  readonly capacity?: number;
  /** Early messages kept per sender, so one member cannot push the others' out (default 32). */
  readonly perSender?: number;
}

const CAPACITY = 256;
const PER_SENDER = 32;
/** Recently finished sessions: their late retransmissions are dropped, not kept. */
const FINISHED_REMEMBERED = 64;

/**
 * The node's one buffer for early messages: a long-lived subscription to a protocol's message
 * types that hands each message to the handler of its session (the payload's `session`).
 * Messages of a session nobody handles yet are kept (bounded, the sender's oldest dropped
 * first) and replayed when its handler registers: members start an operation a moment apart,
 * and without this the first messages of the faster ones would only reach the slower ones on
 * a retransmission, a tick or more later.
 */
export class SessionRouter<M extends SessionCodecMap> {
  private readonly handlers = new Map<string, (message: MessageOf<M>) => void>();
  private readonly early: MessageOf<M>[] = [];
  private readonly finished: string[] = [];
  private readonly subscription: Subscription;
  private readonly capacity: number;
  private readonly perSender: number;
  private readonly log: Logger | undefined;

  constructor(channel: BroadcastChannel, name: string, codecs: M, options: SessionRouterOptions = {}) {
    this.capacity = options.capacity ?? CAPACITY;
    this.perSender = options.perSender ?? PER_SENDER;
    this.log = options.log;
    this.subscription = receive(channel, codecs, (message) => this.route(message), { name });
  }

  /**
   * Registers the session's handler; what arrived for it before is replayed on a microtask,
   * after the caller holds the returned unregister function.
   */
  handle(session: string, handler: (message: MessageOf<M>) => void): () => void {
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

  /** Early messages kept, over all sessions. */
  get size(): number {
    return this.early.length;
  }

  close(): void {
    this.subscription.cancel();
    this.handlers.clear();
    this.early.length = 0;
  }

  private route(message: MessageOf<M>): void {
    const session = sessionOf(message);
    const handler = this.handlers.get(session);
    if (handler) {
      this.deliver(handler, message);
      return;
    }
    if (this.finished.includes(session)) return;
    const sender = message.sender.operatorAddress;
    const fromSender = this.early.filter((m) => m.sender.operatorAddress === sender);
    if (fromSender.length >= this.perSender) this.early.splice(this.early.indexOf(fromSender[0]!), 1);
    else if (this.early.length >= this.capacity) this.early.shift();
    this.early.push(message);
  }

  /** A handler that throws on a peer's message must not take the node down. */
  private deliver(handler: (message: MessageOf<M>) => void, message: MessageOf<M>): void {
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

function sessionOf(message: Message<{ readonly session: string }>): string {
  return message.payload.session;
}
