import type { FrostPublic } from '@noble/curves/abstract/frost.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { identifierOf, type Seat } from '../../crypto/frost-dkg.js';
import { FrostSigningSession } from '../../crypto/frost-signing.js';
import { fromWire, type WireCommitment } from './messages.js';

/**
 * The digest of a signing session's content (its signers' commitments in the coordinator's
 * order). A share names the digest it was computed for, so a share can only ever be checked
 * against the very session its signer saw: a coordinator that shows different members
 * different sessions under one number cannot make an honest share look bad.
 */
export function sessionDigest(commitments: readonly WireCommitment[]): string {
  return bytesToHex(
    sha256(
      concatBytes(
        ...commitments.map((c) =>
          concatBytes(utf8ToBytes(`${c.seat}:`), hexToBytes(c.hiding), hexToBytes(c.binding)),
        ),
      ),
    ),
  );
}

/**
 * What one member of a signing operation saw with its own eyes: the seats that offered valid
 * commitments or shares (its activity report), the sessions coordinators started and the
 * shares signers sent for them. A coordinator's claim that a seat sent a bad share is believed
 * only when this member holds that seat's share (from the seat's own signed message) and the
 * share fails verification against the session it names; one coordinator cannot forge either.
 */
export class SigningEvidence {
  private readonly active = new Set<Seat>();
  private readonly sessions = new Map<string, readonly WireCommitment[]>();
  private readonly shares = new Map<string, Map<Seat, Uint8Array>>();
  private readonly checked = new Map<string, FrostSigningSession | null>();
  private readonly claimed = new Set<Seat>();
  /** Seats whose bad share this member verified itself. */
  readonly confirmedBad = new Set<Seat>();

  constructor(
    private readonly pub: FrostPublic,
    private readonly message: Uint8Array,
    /** At most this many sessions are kept as evidence (a bound on what a coordinator can make a member store). */
    private readonly maxSessions: number,
  ) {}

  /** A seat offered commitments or a share (the caller has checked the sender holds it). */
  sawActive(seat: Seat): void {
    this.active.add(seat);
  }

  activeSeats(): Seat[] {
    return [...this.active].sort((a, b) => a - b);
  }

  /** A session as a coordinator started it. */
  sawSession(commitments: readonly WireCommitment[]): string {
    const digest = sessionDigest(commitments);
    if (!this.sessions.has(digest) && this.sessions.size < this.maxSessions)
      this.sessions.set(digest, commitments);
    return digest;
  }

  /** A seat's share for the session of `digest` (the caller has checked the sender holds the seat). */
  sawShare(digest: string, seat: Seat, share: Uint8Array): void {
    this.active.add(seat);
    if (!this.sessions.has(digest) && this.shares.size >= this.maxSessions) return;
    const bySeat = this.shares.get(digest) ?? new Map<Seat, Uint8Array>();
    if (!bySeat.has(seat)) bySeat.set(seat, share);
    this.shares.set(digest, bySeat);
  }

  /** A coordinator says these seats sent bad shares; it stays a claim until `confirm` finds proof. */
  claim(seats: readonly Seat[]): void {
    for (const seat of seats) if (!this.confirmedBad.has(seat)) this.claimed.add(seat);
  }

  /** Checks the open claims against the shares seen so far; returns the seats newly confirmed bad. */
  confirm(): Seat[] {
    const found: Seat[] = [];
    for (const seat of this.claimed) {
      if (this.isBad(seat)) {
        this.claimed.delete(seat);
        this.confirmedBad.add(seat);
        found.push(seat);
      }
    }
    return found;
  }

  private isBad(seat: Seat): boolean {
    for (const [digest, bySeat] of this.shares) {
      const share = bySeat.get(seat);
      if (!share) continue;
      const session = this.session(digest);
      if (session && !session.verifyShare(identifierOf(seat), share)) return true;
    }
    return false;
  }

  private session(digest: string): FrostSigningSession | null {
    if (this.checked.has(digest)) return this.checked.get(digest)!;
    const commitments = this.sessions.get(digest);
    if (!commitments) return null; // not seen (yet): no proof
    let session: FrostSigningSession | null;
    try {
      session = new FrostSigningSession(this.pub, commitments.map(fromWire), this.message);
    } catch {
      session = null; // a malformed session proves nothing against its signers
    }
    this.checked.set(digest, session);
    return session;
  }
}
