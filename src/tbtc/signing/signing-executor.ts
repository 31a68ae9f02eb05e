import type { FrostPublic } from '@noble/curves/abstract/frost.js';
import type { BlockCounter } from '../../chain/types.js';
import { type Recorder, stopwatch } from '../../clientinfo/recorder.js';
import type { Seat } from '../../crypto/frost-dkg.js';
import type { Logger } from '../../log.js';
import { SessionRouter } from '../../net/session-router.js';
import type { BroadcastChannel } from '../../net/types.js';
import type { WalletKeys } from '../wallet-keys.js';
import { SIGNING_CODECS } from './messages.js';
import type { SigningResult } from './signing-done.js';
import { SigningBusyError, SigningTimeoutError } from './signing-errors.js';
import type { SigningLiveness } from './signing-liveness.js';
import { SigningOperation } from './signing-operation.js';

export { SigningBusyError, SigningFailedError, SigningTimeoutError } from './signing-errors.js';
export { coordinatorOrder, signingSessionId } from './signing-operation.js';

export interface SigningExecutorOptions {
  readonly wallet: WalletKeys;
  /** The wallet's channel; the executor registers its message types on it. */
  readonly channel: BroadcastChannel;
  readonly blocks: BlockCounter;
  readonly recorder: Recorder;
  readonly log: Logger;
  /** The whole operation must end within this many blocks of its start block. */
  readonly timeoutBlocks: number;
  /** Each coordinator gets this many blocks before the next one takes over. */
  readonly coordinatorTurnBlocks: number;
  /** Where sessions this node coordinated are recorded (the rolling liveness gauges). */
  readonly liveness?: SigningLiveness;
  /** Fault injection for tests: rewrites this node's signature shares. */
  readonly tamperShare?: (seat: Seat, share: Uint8Array) => Uint8Array;
}

/**
 * Threshold signing for one wallet, robust in the way of ROAST: a coordinator collects fresh
 * nonce commitments, starts a session with the first `threshold` responsive signers, verifies
 * every share, never includes a signer again after a bad share, and starts new sessions as
 * signers respond with fresh commitments. Coordinators take turns (an order derived from the
 * message), so an offline coordinator only costs one turn. One operation at a time.
 *
 * No coordinator is trusted beyond its turn: its abort ends only its own epoch unless this
 * member's own copies of the shares it names prove them bad, and the activity this member
 * reports (which feeds inactivity claims) is what it saw itself, never a coordinator's report.
 *
 * The executor counts the operations; each one runs as a `SigningOperation` (the epochs and
 * message routing) with a `SigningMember`, a `RoastCoordinator` in this node's epochs and the
 * `SigningDone` phase.
 */
export class SigningExecutor {
  private busy = false;
  private readonly router: SessionRouter<typeof SIGNING_CODECS>;
  private readonly pub: FrostPublic;
  private readonly localSeats: Seat[];

  constructor(private readonly options: SigningExecutorOptions) {
    const first = [...options.wallet.keys.values()][0];
    if (!first) throw new Error('a signing executor needs at least one local seat');
    this.pub = first.public;
    this.localSeats = [...options.wallet.keys.keys()].sort((a, b) => a - b);
    this.router = new SessionRouter(options.channel, 'signing', SIGNING_CODECS, { log: options.log });
  }

  /** Signs sequentially; message i starts at the block where message i−1 ended. */
  async signBatch(messages: Uint8Array[], startBlock: number): Promise<Uint8Array[]> {
    const signatures: Uint8Array[] = [];
    let start = startBlock;
    for (const message of messages) {
      signatures.push(await this.sign(message, start));
      start = await this.options.blocks.currentBlock();
    }
    return signatures;
  }

  async sign(message: Uint8Array, startBlock: number): Promise<Uint8Array> {
    return (await this.signWithActivity(message, startBlock)).signature;
  }

  /** `sign`, also telling which seats announced themselves ready (the activity report). */
  async signWithActivity(
    message: Uint8Array,
    startBlock: number,
  ): Promise<{ signature: Uint8Array; activeSeats: Seat[] }> {
    if (this.busy) throw new SigningBusyError('the wallet is already signing');
    this.busy = true;
    const { recorder } = this.options;
    recorder.inc('performance_signing_operations_total');
    const elapsed = stopwatch();
    let result: SigningResult;
    try {
      const operation = new SigningOperation(
        { ...this.options, router: this.router, pub: this.pub, localSeats: this.localSeats },
        message,
        startBlock,
      );
      result = await operation.run();
      recorder.inc('performance_signing_success_total');
      recorder.observe('performance_signing_duration_seconds', elapsed(), { outcome: 'success' });
      recorder.observe('performance_signing_attempts_per_operation', result.sessions);
    } catch (err) {
      recorder.inc('performance_signing_failed_total');
      if (err instanceof SigningTimeoutError) recorder.inc('performance_signing_timeouts_total');
      recorder.observe('performance_signing_duration_seconds', elapsed(), { outcome: 'failure' });
      throw err;
    } finally {
      this.busy = false;
    }
    // Members that started late still count as active if they show up before the operation's
    // last retransmissions end: the signature did not wait for them, the activity does.
    return { signature: result.signature, activeSeats: await result.activity };
  }

  /** Stops routing the wallet channel's signing messages to this executor. */
  close(): void {
    this.router.close();
  }
}
