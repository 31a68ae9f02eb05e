import type { BroadcastChannel, Message, Subscription } from './types.js';

/**
 * One long-lived subscription that hands each message to the handler of its session (the
 * payload's `session` field). Messages of a session nobody handles yet are kept, up to
 * `capacity` of them (oldest dropped first), and replayed when its handler registers: members
 * start an operation a moment apart, and without this the first messages of the faster ones
 * would only reach the slower ones on a retransmission, a tick or more later.
 */
export class SessionRouter {
  private readonly handlers = new Map<string, (message: Message) => void>();
  private readonly early: Message[] = [];
  /** Recently finished sessions: their late retransmissions are dropped, not kept. */
  private readonly finished: string[] = [];
  private readonly subscription: Subscription;

  constructor(
    channel: BroadcastChannel,
    name: string,
    types: readonly string[],
    private readonly capacity = 1024,
  ) {
    this.subscription = channel.recv((message) => this.route(message), { name, types });
  }

  /** Registers the session's handler and replays what arrived for it before; returns the unregister. */
  handle(session: string, handler: (message: Message) => void): () => void {
    this.handlers.set(session, handler);
    const mine = this.early.filter((message) => sessionOf(message) === session);
    if (mine.length > 0) {
      const others = this.early.filter((message) => sessionOf(message) !== session);
      this.early.splice(0, this.early.length, ...others);
      for (const message of mine) handler(message);
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
    this.early.length = 0;
  }

  private route(message: Message): void {
    const session = sessionOf(message);
    if (session === undefined) return;
    const handler = this.handlers.get(session);
    if (handler) {
      handler(message);
      return;
    }
    if (this.finished.includes(session)) return;
    this.early.push(message);
    if (this.early.length > this.capacity) this.early.shift();
  }
}

const FINISHED_REMEMBERED = 64;

function sessionOf(message: Message): string | undefined {
  const session = (message.payload as { session?: unknown } | null)?.session;
  return typeof session === 'string' ? session : undefined;
}
