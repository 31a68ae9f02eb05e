import type { FrostPublic } from '@noble/curves/abstract/frost.js';
import type { Address } from '../../chain/types.js';
import type { Seat } from '../../crypto/frost-dkg.js';
import type { Logger } from '../../log.js';
import type { MessageCodec, Sender } from '../../net/types.js';

/** What the roles of one signing operation share: what is signed, by whom, and how to speak. */
export interface SigningContext {
  /** The operation's id (`signingSessionId`); every message carries it. */
  readonly session: string;
  readonly message: Uint8Array;
  readonly pub: FrostPublic;
  readonly threshold: number;
  /** The wallet's qualified seats: the only seats that may sign. */
  readonly qualified: readonly Seat[];
  readonly log: Logger;
  /** The coordinator turn this member is in; −1 before the first. */
  readonly epoch: number;
  /** Seats excluded for a bad share, found by this node's coordinator or confirmed by its member. */
  readonly excluded: ReadonlySet<Seat>;
  ownerOf(seat: Seat): Address | undefined;
  /** The sender operates `seat` and the seat is qualified. */
  ownsSeat(sender: Sender, seat: Seat): boolean;
  /** The sender operates the seat that coordinates `epoch`. */
  coordinates(sender: Sender, epoch: number): boolean;
  /** Broadcasts, retransmitting until the operation has ended. */
  send<T>(codec: MessageCodec<T>, payload: T): void;
  /** Broadcasts, retransmitting until the signing deadline, so members that started late learn it. */
  sendUntilDeadline<T>(codec: MessageCodec<T>, payload: T): void;
  exclude(seat: Seat, why: string): void;
  /** False, and the operation fails, once too few seats without a bad share remain. */
  enoughSignersLeft(): boolean;
  /** Settles when the operation's last retransmissions end, a little after it ended. */
  readonly lastRetransmission: Promise<void>;
}
