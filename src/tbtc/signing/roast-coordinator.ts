import type { NonceCommitments } from '@noble/curves/abstract/frost.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { identifierOf, type Seat } from '../../crypto/frost-dkg.js';
import { FrostSigningSession, validCommitment } from '../../crypto/frost-signing.js';
import type { Message, Sender } from '../../net/types.js';
import {
  abortCodec,
  fromWire,
  type ReadyPayload,
  type SharePayload,
  sessionCodec,
  toWire,
  type WireCommitment,
} from './messages.js';
import type { SigningContext } from './signing-context.js';
import type { SigningDone } from './signing-done.js';
import { sessionDigest } from './signing-evidence.js';

/** One signing session this coordinator started. */
interface RoastSession {
  readonly commitments: NonceCommitments[];
  readonly digest: string;
  readonly frost: FrostSigningSession;
  readonly shares: Map<Seat, Uint8Array>;
  /** A share failed verification: the session cannot complete. */
  failed: boolean;
}

/**
 * The ROAST coordinator of one epoch of a signing operation (not to be confused with tBTC's
 * coordination windows): it collects fresh nonce commitments, starts a session with the first
 * `threshold` responsive signers, verifies every share, drops a signer after a bad share, and
 * starts new sessions as signers come back with fresh commitments.
 */
export class RoastCoordinator {
  /** Fresh commitments offered for the next sessions, by seat. */
  private readonly ready = new Map<Seat, NonceCommitments>();
  private readonly sessions = new Map<number, RoastSession>();
  private nextSid = 1;
  private abortSent = false;

  constructor(
    private readonly ctx: SigningContext,
    readonly epoch: number,
    private readonly done: SigningDone,
  ) {}

  onReady(m: Message<ReadyPayload>): void {
    if (m.payload.epoch !== this.epoch) return;
    this.offer(m.sender, m.payload.commitments);
    this.startSessions();
  }

  onShare(m: Message<SharePayload>): void {
    const answer = m.payload;
    const started = this.sessions.get(answer.sid);
    if (!started || answer.epoch !== this.epoch) return;
    if (started.failed || answer.digest !== started.digest) {
      this.offer(m.sender, answer.next);
      return;
    }
    for (const { seat, share } of answer.shares) {
      if (
        this.ctx.ownsSeat(m.sender, seat) &&
        started.commitments.some((x) => x.identifier === identifierOf(seat))
      )
        started.shares.set(seat, hexToBytes(share));
    }
    if (started.shares.size === this.ctx.threshold) {
      const result = started.frost.aggregate(
        new Map([...started.shares].map(([seat, share]) => [identifierOf(seat), share])),
      );
      if ('signature' in result) {
        this.done.announce(this.epoch, result.signature, answer.sid);
        return;
      }
      for (const seat of started.shares.keys())
        if (result.bad.includes(identifierOf(seat)))
          this.ctx.exclude(seat, 'bad signature share; the signer is excluded');
      started.shares.clear();
      started.failed = true;
      if (!this.ctx.enoughSignersLeft()) return;
    }
    this.offer(m.sender, answer.next);
    // While a session is still collecting shares, further sessions wait for the next
    // block: in the common case the running one completes first and no work is wasted.
    if (![...this.sessions.values()].some((x) => !x.failed)) this.startSessions();
  }

  /** Starts sessions while `threshold` signers have offered fresh commitments. */
  startSessions(): void {
    const { ctx } = this;
    if (!ctx.enoughSignersLeft()) return;
    while (this.ready.size >= ctx.threshold) {
      const signers = [...this.ready.keys()].sort((a, b) => a - b).slice(0, ctx.threshold);
      const commitments = signers.map((seat) => this.ready.get(seat)!);
      for (const seat of signers) this.ready.delete(seat);
      const sid = this.nextSid++;
      const frost = new FrostSigningSession(ctx.pub, commitments, ctx.message);
      const wire = commitments.map((commitment, i) => toWire(commitment, signers[i]!));
      this.sessions.set(sid, {
        commitments,
        digest: sessionDigest(wire),
        frost,
        shares: new Map(),
        failed: false,
      });
      ctx.send(sessionCodec, { session: ctx.session, epoch: this.epoch, sid, commitments: wire });
    }
  }

  /** A seat found bad offers nothing more to this coordinator. */
  forget(seat: Seat): void {
    this.ready.delete(seat);
  }

  /** The session's public work, done when it started (this node's member signs with it). */
  frostOf(sid: number): FrostSigningSession | undefined {
    return this.sessions.get(sid)?.frost;
  }

  /** Tells the members which seats this node found bad (once); the operation fails anyway. */
  abort(reason: string): void {
    if (this.abortSent) return;
    this.abortSent = true;
    const bad = [...this.ctx.excluded].sort((a, b) => a - b);
    this.ctx.sendUntilDeadline(abortCodec, { session: this.ctx.session, epoch: this.epoch, reason, bad });
  }

  /** Per session started, whether it is the one that produced the signature (numbered `completed`). */
  sessionOutcomes(completed: number | undefined): boolean[] {
    return [...this.sessions].map(
      ([sid, started]) => started.shares.size === this.ctx.threshold && sid === completed,
    );
  }

  /** Fresh commitments a member offers for this coordinator's next sessions. */
  private offer(sender: Sender, commitments: readonly WireCommitment[]): void {
    for (const commitment of commitments) {
      if (!this.ctx.ownsSeat(sender, commitment.seat) || this.ctx.excluded.has(commitment.seat)) continue;
      const parsed = fromWire(commitment);
      if (validCommitment(parsed)) this.ready.set(commitment.seat, parsed);
    }
  }
}
