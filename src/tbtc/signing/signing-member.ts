import type { Key } from '@noble/curves/abstract/frost.js';
import { schnorr_FROST } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { Seat } from '../../crypto/frost-dkg.js';
import { FrostSigningSession, validCommitment } from '../../crypto/frost-signing.js';
import type { Message } from '../../net/types.js';
import {
  type AbortPayload,
  fromWire,
  type ReadyPayload,
  readyCodec,
  type SessionPayload,
  type SharePayload,
  sameCommitment,
  shareCodec,
  toWire,
  type WireCommitment,
} from './messages.js';
import type { SigningContext } from './signing-context.js';
import type { SigningEvidence } from './signing-evidence.js';

type Nonce = ReturnType<typeof schnorr_FROST.commit>;

/**
 * This node's seats as signers in one signing operation: they offer fresh nonce commitments
 * each epoch, sign the sessions the epoch's coordinator starts with them, and record what they
 * saw themselves (activity, sessions, shares), so a coordinator is trusted with nothing beyond
 * its turn: its abort ends only its own epoch unless the shares it names prove bad here.
 */
export class SigningMember {
  /** Local seat → its unused nonce for the current epoch. */
  private readonly pending = new Map<Seat, Nonce>();
  /** Epochs whose coordinator aborted: this member signs nothing more in them. */
  private readonly abortedEpochs = new Set<number>();

  constructor(
    private readonly ctx: SigningContext,
    private readonly keys: ReadonlyMap<Seat, Key>,
    private readonly localSeats: readonly Seat[],
    private readonly evidence: SigningEvidence,
    /** Fault injection for tests: rewrites this node's signature shares. */
    private readonly tamperShare?: (seat: Seat, share: Uint8Array) => Uint8Array,
  ) {}

  /** A new coordinator's turn: earlier nonces are dropped and fresh commitments offered. */
  enterEpoch(epoch: number): void {
    this.pending.clear();
    this.ctx.send(readyCodec, { session: this.ctx.session, epoch, commitments: this.fresh(this.localSeats) });
  }

  onReady(m: Message<ReadyPayload>): void {
    const { ctx } = this;
    if (m.payload.epoch > ctx.epoch + 1) return;
    for (const commitment of m.payload.commitments)
      if (ctx.ownsSeat(m.sender, commitment.seat) && validCommitment(fromWire(commitment)))
        this.evidence.sawActive(commitment.seat);
  }

  /**
   * Signs with the seats the session names with this member's pending commitments.
   * `prepared` is the session's public work when this node's coordinator started it.
   */
  onSession(m: Message<SessionPayload>, prepared?: FrostSigningSession): void {
    const { ctx } = this;
    const started = m.payload;
    if (started.epoch !== ctx.epoch || !ctx.coordinates(m.sender, started.epoch)) return;
    if (started.commitments.length !== ctx.threshold) return;
    const digest = this.evidence.sawSession(started.commitments);
    this.confirmClaims();
    if (this.abortedEpochs.has(started.epoch)) return;
    const mine = started.commitments.filter((commitment) => {
      const nonce = this.pending.get(commitment.seat);
      return nonce !== undefined && sameCommitment(toWire(nonce.commitments, commitment.seat), commitment);
    });
    if (mine.length === 0) return;
    let frost = prepared;
    try {
      frost ??= new FrostSigningSession(ctx.pub, started.commitments.map(fromWire), ctx.message);
    } catch (err) {
      ctx.log.warn({ err: (err as Error).message }, 'malformed signing session dropped');
      return;
    }
    const shares: { seat: Seat; share: string }[] = [];
    for (const { seat } of mine) {
      const nonce = this.pending.get(seat)!;
      this.pending.delete(seat); // a nonce is used once
      const computed = frost.signShare(this.keys.get(seat)!.secret, nonce.nonces);
      const share = this.tamperShare ? this.tamperShare(seat, computed) : computed;
      shares.push({ seat, share: bytesToHex(share) });
    }
    ctx.send(shareCodec, {
      session: ctx.session,
      epoch: started.epoch,
      sid: started.sid,
      digest,
      shares,
      next: this.fresh(shares.map(({ seat }) => seat)),
    });
  }

  onShare(m: Message<SharePayload>): void {
    const { digest, shares } = m.payload;
    for (const { seat, share } of shares)
      if (this.ctx.ownsSeat(m.sender, seat)) this.evidence.sawShare(digest, seat, hexToBytes(share));
    this.confirmClaims();
  }

  onAbort(m: Message<AbortPayload>): void {
    const { ctx } = this;
    const abort = m.payload;
    if (abort.epoch > ctx.epoch || !ctx.coordinates(m.sender, abort.epoch)) return;
    if (!this.abortedEpochs.has(abort.epoch)) {
      this.abortedEpochs.add(abort.epoch);
      ctx.log.info(
        { epoch: abort.epoch, reason: abort.reason, operator: m.sender.operatorAddress },
        'the signing coordinator ended its epoch',
      );
    }
    this.evidence.claim(abort.bad.filter((seat) => ctx.qualified.includes(seat)));
    this.confirmClaims();
  }

  /** Excludes the seats a coordinator named bad that this member's own copies of their shares prove bad. */
  private confirmClaims(): void {
    for (const seat of this.evidence.confirm())
      this.ctx.exclude(seat, 'bad signature share confirmed; the signer is excluded');
    this.ctx.enoughSignersLeft();
  }

  /** New nonces for the seats; their commitments go on the wire. */
  private fresh(seats: readonly Seat[]): WireCommitment[] {
    return seats.map((seat) => {
      const nonce = schnorr_FROST.commit(this.keys.get(seat)!.secret);
      this.pending.set(seat, nonce);
      return toWire(nonce.commitments, seat);
    });
  }
}
