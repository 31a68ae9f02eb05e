import type { FrostPublic } from '@noble/curves/abstract/frost.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import type { Address, BlockCounter } from '../../chain/types.js';
import type { Seat } from '../../crypto/frost-dkg.js';
import type { Logger } from '../../log.js';
import type { SessionRouter } from '../../net/session-router.js';
import { byType, type MessageOf } from '../../net/typed-messages.js';
import type { BroadcastChannel, MessageCodec, Sender } from '../../net/types.js';
import type { WalletKeys } from '../wallet-keys.js';
import { SIGNING_CODECS } from './messages.js';
import { RoastCoordinator } from './roast-coordinator.js';
import type { SigningContext } from './signing-context.js';
import { SigningDone, type SigningResult } from './signing-done.js';
import { SigningFailedError, SigningTimeoutError } from './signing-errors.js';
import { SigningEvidence } from './signing-evidence.js';
import type { SigningLiveness } from './signing-liveness.js';
import { SigningMember } from './signing-member.js';

/** What one operation needs from its executor. */
export interface SigningOperationSetup {
  readonly wallet: WalletKeys;
  readonly channel: BroadcastChannel;
  readonly router: SessionRouter<typeof SIGNING_CODECS>;
  readonly blocks: BlockCounter;
  readonly log: Logger;
  readonly pub: FrostPublic;
  readonly localSeats: readonly Seat[];
  readonly timeoutBlocks: number;
  readonly coordinatorTurnBlocks: number;
  readonly liveness?: SigningLiveness;
  readonly tamperShare?: (seat: Seat, share: Uint8Array) => Uint8Array;
}

/**
 * One signing operation of this node, from its start block to the signature or the failure.
 * Time is cut into epochs of `coordinatorTurnBlocks`, each coordinated by the next seat of an
 * order derived from the operation; this node takes part as a member in every epoch and as the
 * ROAST coordinator in the epochs of its seats. It hands each message to the role it is for.
 */
export class SigningOperation implements SigningContext {
  readonly session: string;
  readonly threshold: number;
  readonly qualified: readonly Seat[];
  readonly excluded = new Set<Seat>();
  private currentEpoch = -1;
  private finished = false;
  private readonly order: Seat[];
  private readonly deadline: number;
  /** Ends the retransmissions of this operation's messages, a little after it ended. */
  private readonly stop = new AbortController();
  private retransmissionsEnded!: () => void;
  readonly lastRetransmission = new Promise<void>((resolve) => {
    this.retransmissionsEnded = resolve;
  });
  // The signature keeps being retransmitted until the deadline, so that a member that
  // started late still learns it (keep-core keeps its done messages alive the same way).
  private readonly untilDeadline = new AbortController();
  private readonly member: SigningMember;
  private readonly done: SigningDone;
  /** Set in the epochs this node coordinates. */
  private coordinator: RoastCoordinator | undefined;
  private resolve: (result: SigningResult) => void = () => {};
  private reject: (error: Error) => void = () => {};
  private unrouted = () => {};
  private stopBlocks = () => {};

  constructor(
    private readonly setup: SigningOperationSetup,
    readonly message: Uint8Array,
    private readonly startBlock: number,
  ) {
    const { wallet, timeoutBlocks } = setup;
    this.session = signingSessionId(wallet.groupPublicKey, message, startBlock);
    this.threshold = setup.pub.signers.min;
    this.qualified = [...wallet.qualifiedSeats];
    this.order = coordinatorOrder(this.session, this.qualified);
    this.deadline = startBlock + timeoutBlocks;
    const evidence = new SigningEvidence(setup.pub, message, 4 * this.qualified.length);
    this.member = new SigningMember(this, wallet.keys, setup.localSeats, evidence, setup.tamperShare);
    this.done = new SigningDone(this, wallet.groupPublicKey, evidence);
  }

  get pub(): FrostPublic {
    return this.setup.pub;
  }

  get log(): Logger {
    return this.setup.log;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  run(): Promise<SigningResult> {
    const { blocks } = this.setup;
    void blocks
      .waitForBlock(this.deadline)
      .catch(() => undefined)
      .finally(() => this.untilDeadline.abort());
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.stopBlocks = blocks.watchBlocks((height) => this.onBlock(height));
      // Messages of other members that started first wait in the router until this member is
      // in its epoch; then they are replayed.
      void blocks
        .currentBlock()
        .catch(() => this.startBlock)
        .then((height) => {
          if (this.finished) return;
          if (this.currentEpoch < 0) this.enterEpoch(this.epochAt(height));
          this.unrouted = this.setup.router.handle(this.session, this.onMessage);
        })
        .catch((err: Error) =>
          this.finish(new SigningFailedError(`signing could not start: ${err.message}`)),
        );
    });
  }

  ownerOf(seat: Seat): Address | undefined {
    return this.setup.wallet.group[seat - 1];
  }

  ownsSeat(sender: Sender, seat: Seat): boolean {
    return this.ownerOf(seat) === sender.operatorAddress && this.qualified.includes(seat);
  }

  coordinates(sender: Sender, epoch: number): boolean {
    return this.ownerOf(this.coordinatorOf(epoch)) === sender.operatorAddress;
  }

  send<T>(codec: MessageCodec<T>, payload: T): void {
    this.broadcast(codec, payload, this.stop.signal);
  }

  sendUntilDeadline<T>(codec: MessageCodec<T>, payload: T): void {
    this.broadcast(codec, payload, this.untilDeadline.signal);
  }

  exclude(seat: Seat, why: string): void {
    this.excluded.add(seat);
    this.coordinator?.forget(seat);
    this.log.warn({ seat, operator: this.ownerOf(seat) }, why);
  }

  enoughSignersLeft(): boolean {
    const honestLeft = this.qualified.filter((seat) => !this.excluded.has(seat)).length;
    if (honestLeft >= this.threshold) return true;
    const reason = `only ${honestLeft} signers without a bad share remain`;
    this.coordinator?.abort(reason);
    this.finish(new SigningFailedError(reason));
    return false;
  }

  /**
   * The router hands over only this operation's messages (by the payload's `session`). Once
   * the operation is over, ready messages still count as activity until the last
   * retransmissions end.
   */
  private readonly onMessage = (m: MessageOf<typeof SIGNING_CODECS>): void => {
    if (!this.finished) this.toRole(m);
    else this.afterTheEnd(m);
  };

  private readonly afterTheEnd = byType(SIGNING_CODECS, {
    ready: (m) => this.member.onReady(m),
    session: () => {},
    share: () => {},
    done: () => {},
    abort: () => {},
  });

  /** Each message type to the role (or roles) it is for. */
  private readonly toRole = byType(SIGNING_CODECS, {
    ready: (m) => {
      this.member.onReady(m);
      this.coordinator?.onReady(m);
    },
    session: (m) => this.member.onSession(m, m.local ? this.coordinator?.frostOf(m.payload.sid) : undefined),
    share: (m) => {
      this.member.onShare(m);
      if (!this.finished) this.coordinator?.onShare(m);
    },
    done: (m) => {
      const result = this.done.onDone(m);
      if (result) this.finish(result);
    },
    abort: (m) => this.member.onAbort(m),
  });

  private onBlock(height: number): void {
    if (height >= this.deadline) {
      this.finish(
        new SigningTimeoutError(`signing deadline (block ${this.deadline}) passed without a signature`),
      );
      return;
    }
    const current = this.epochAt(height);
    if (current > this.currentEpoch) this.enterEpoch(current);
    else this.coordinator?.startSessions();
  }

  private enterEpoch(epoch: number): void {
    this.currentEpoch = epoch;
    const mine = this.setup.localSeats.includes(this.coordinatorOf(epoch));
    this.coordinator = mine ? new RoastCoordinator(this, epoch, this.done) : undefined;
    this.member.enterEpoch(epoch);
  }

  private finish(outcome: SigningResult | Error): void {
    if (this.finished) return;
    this.finished = true;
    const result = outcome instanceof Error ? undefined : outcome;
    // Every session this node coordinated: the one that signed succeeded, the rest did not.
    for (const success of this.coordinator?.sessionOutcomes(result?.sessions) ?? [])
      this.setup.liveness?.record(success);
    this.stopBlocks();
    // Keep retransmitting our last messages for a few blocks so late members finish too, and
    // keep counting who shows up meanwhile.
    void this.setup.blocks
      .waitForBlock(Math.min(this.deadline, this.epochStart(this.currentEpoch + 1)))
      .catch(() => undefined)
      .finally(() => {
        this.unrouted();
        this.stop.abort();
        this.retransmissionsEnded();
      });
    if (outcome instanceof Error) this.reject(outcome);
    else this.resolve(outcome);
  }

  private broadcast<T>(codec: MessageCodec<T>, payload: T, until: AbortSignal): void {
    this.setup.channel
      .send(codec, payload, { retransmit: { until, strategy: 'backoff' } })
      .catch((err) => this.log.warn({ err: (err as Error).message }, 'send failed'));
  }

  private coordinatorOf(epoch: number): Seat {
    return this.order[epoch % this.order.length]!;
  }

  private epochStart(epoch: number): number {
    return this.startBlock + epoch * this.setup.coordinatorTurnBlocks;
  }

  private epochAt(height: number): number {
    return Math.max(0, Math.floor((height - this.startBlock) / this.setup.coordinatorTurnBlocks));
  }
}

/** The id of one signing operation: the wallet, the message and the block it started at. */
export function signingSessionId(
  groupPublicKey: Uint8Array,
  message: Uint8Array,
  startBlock: number,
): string {
  return bytesToHex(sha256(concatBytes(groupPublicKey, message, u64(startBlock))));
}

/** The seats in the order they coordinate the operation's epochs (epoch e: order[e mod n]). */
export function coordinatorOrder(session: string, qualified: readonly Seat[]): Seat[] {
  const keyOf = (seat: Seat) => bytesToHex(sha256(concatBytes(hexToBytes(session), u64(seat))));
  return [...qualified].sort((a, b) => {
    const ka = keyOf(a);
    const kb = keyOf(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

function u64(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value));
  return bytes;
}
