import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { type Seat, xOnly } from '../../crypto/frost-dkg.js';
import type { Message } from '../../net/types.js';
import { type DonePayload, doneCodec } from './messages.js';
import type { SigningContext } from './signing-context.js';
import type { SigningEvidence } from './signing-evidence.js';

export interface SigningResult {
  readonly signature: Uint8Array;
  /** Sessions used: the number of the session that completed (ROAST may run others). */
  readonly sessions: number;
  /** The qualified seats this member itself saw offer commitments or shares by the signature. */
  readonly activeSeats: Seat[];
  /**
   * The same, counted until the operation's last retransmissions end (the end of the epoch):
   * a member that started late still shows up, though the signature did not need it.
   */
  readonly activity: Promise<Seat[]>;
}

/**
 * The done phase of one signing operation: the coordinator that aggregated the signature
 * announces it, and every member that verifies it passes it on once and ends with it.
 */
export class SigningDone {
  private readonly groupKey: Uint8Array;

  constructor(
    private readonly ctx: SigningContext,
    groupPublicKey: Uint8Array,
    private readonly evidence: SigningEvidence,
  ) {
    this.groupKey = xOnly(groupPublicKey);
  }

  announce(epoch: number, signature: Uint8Array, sessions: number): void {
    this.ctx.sendUntilDeadline(doneCodec, {
      session: this.ctx.session,
      epoch,
      signature: bytesToHex(signature),
      sessions,
      active: this.evidence.activeSeats(),
    });
  }

  /** The operation's result once the message's signature verifies; undefined otherwise. */
  onDone(m: Message<DonePayload>): SigningResult | undefined {
    const { ctx } = this;
    const done = m.payload;
    const signature = hexToBytes(done.signature);
    if (!schnorr.verify(signature, ctx.message, this.groupKey)) return undefined;
    if (!m.local) ctx.sendUntilDeadline(doneCodec, done);
    // The signature verifies, whoever sent it; the activity is this member's own view
    // (a coordinator's report could name honest seats inactive and get them claimed).
    const fromCoordinator = ctx.coordinates(m.sender, done.epoch);
    const qualifiedActive = () => this.evidence.activeSeats().filter((seat) => ctx.qualified.includes(seat));
    return {
      signature,
      sessions: fromCoordinator ? done.sessions : Math.min(done.sessions, ctx.qualified.length),
      activeSeats: qualifiedActive(),
      activity: ctx.lastRetransmission.then(qualifiedActive),
    };
  }
}
