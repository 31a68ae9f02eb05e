/**
 * Share messages that arrived before this node saw their request, by session: the first
 * message of each sender only (the attempt reads only a sender's first message anyway), at
 * most `perSession` senders per session and `sessions` sessions (the oldest forgotten first).
 */
export class EarlyShares<T> {
  private readonly bySession = new Map<string, Map<string, T>>();

  constructor(
    private readonly sessions: number,
    private readonly perSession: number,
  ) {}

  /** Keeps the message; false when it is not kept (the sender already has one, or the session is full). */
  add(session: string, sender: string, message: T): boolean {
    let senders = this.bySession.get(session);
    if (!senders) {
      senders = new Map();
      this.bySession.set(session, senders);
      while (this.bySession.size > this.sessions) this.bySession.delete(this.bySession.keys().next().value!);
    }
    if (senders.has(sender) || senders.size >= this.perSession) return false;
    senders.set(sender, message);
    return true;
  }

  /** The session's messages, removed from the buffer. */
  take(session: string): T[] {
    const senders = this.bySession.get(session);
    this.bySession.delete(session);
    return senders ? [...senders.values()] : [];
  }

  /** Messages kept, over all sessions. */
  get size(): number {
    let n = 0;
    for (const senders of this.bySession.values()) n += senders.size;
    return n;
  }
}
