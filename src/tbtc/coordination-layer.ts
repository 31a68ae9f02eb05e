import type { BlockCounter } from '../chain/types.js';
import type { Recorder } from '../clientinfo/recorder.js';
import { walletIdOf } from '../crypto/wallet-id.js';
import type { Logger } from '../log.js';
import {
  CoordinationBusyError,
  type CoordinationExecutor,
  type CoordinationOutcome,
} from './coordination.js';
import type { HeartbeatFailureCounter } from './heartbeat.js';
import { runHeartbeat } from './heartbeat.js';
import type { WalletKeys } from './wallet-keys.js';
import type { InactivityClaimExecutor } from './inactivity.js';
import type { SigningExecutor } from './signing/signing-executor.js';
import { WalletBusyError, type WalletDispatcher } from './wallet-dispatcher.js';

export interface LocalWallet {
  readonly keys: WalletKeys;
  readonly coordination: CoordinationExecutor;
  readonly signing: SigningExecutor;
  readonly inactivity: InactivityClaimExecutor;
}

export interface InactivityPolicy {
  /** Consecutive failed heartbeats after which members claim the inactive seats. */
  readonly failureThreshold: number;
  /** A claim that has not landed this many blocks after it started is abandoned. */
  readonly timeoutBlocks: number;
}

/** Outcomes kept (newest last, for diagnostics and tests); older ones are forgotten. */
export const KEPT_OUTCOMES = 100;

/**
 * Watches blocks for coordination windows; in each, runs every local wallet's procedure and
 * hands the agreed action to the wallet dispatcher.
 */
export class CoordinationLayer {
  private lastWindow = 0;
  private readonly stop: () => void;
  readonly outcomes: CoordinationOutcome[] = [];
  /** Heartbeat signatures this node took part in, newest last (kept for diagnostics). */
  readonly heartbeats: { wallet: string; window: number; message: Uint8Array; signature: Uint8Array }[] = [];

  constructor(
    private readonly options: {
      readonly blocks: BlockCounter;
      readonly frequencyBlocks: number;
      /**
       * A window seen late (its block skipped, as after a reconnection) is still started while
       * fewer than this many blocks have passed since it opened: its active phase, during which
       * the leader's proposal is still sent. Later it is skipped. Default 1: only at its block.
       */
      readonly activeBlocks?: number;
      /** The wallets that take part in the window (see `coordinatedWallets`). */
      readonly wallets: (window: number) => LocalWallet[];
      readonly dispatcher: WalletDispatcher;
      readonly failures: HeartbeatFailureCounter;
      readonly minimumActiveMembers: number;
      readonly inactivity: InactivityPolicy;
      readonly recorder: Recorder;
      readonly log: Logger;
    },
  ) {
    this.stop = options.blocks.watchBlocks((height) => this.onBlock(height));
  }

  close(): void {
    this.stop();
  }

  /**
   * The window a height falls in is handled once, at the first height seen within its active
   * phase. A height more than a window below the last one handled means a new chain: start
   * over (a chain server restored a few blocks back does not get its last window twice).
   */
  private onBlock(height: number): void {
    const { frequencyBlocks, recorder } = this.options;
    if (height + frequencyBlocks < this.lastWindow) this.lastWindow = 0;
    const window = height - (height % frequencyBlocks);
    if (window === 0 || window <= this.lastWindow) return;
    if (height - window >= Math.max(1, this.options.activeBlocks ?? 1)) return;
    this.lastWindow = window;
    recorder.inc('performance_coordination_windows_detected_total');
    for (const wallet of this.options.wallets(window)) void this.coordinate(wallet, window);
  }

  private async coordinate(wallet: LocalWallet, window: number): Promise<void> {
    const { log, dispatcher, recorder } = this.options;
    const groupPublicKey = wallet.keys.groupPublicKey;
    const walletId = walletIdOf(groupPublicKey);
    let outcome: CoordinationOutcome;
    try {
      outcome = await wallet.coordination.coordinate(window);
    } catch (err) {
      if (!(err instanceof CoordinationBusyError))
        log.warn({ window, err: (err as Error).message }, 'coordination failed');
      return;
    }
    this.outcomes.push(outcome);
    if (this.outcomes.length > KEPT_OUTCOMES) this.outcomes.shift();
    const proposal = outcome.proposal;
    if (proposal.action !== 'heartbeat') return;
    try {
      await dispatcher.dispatch(walletId, 'heartbeat', async () => {
        const result = await runHeartbeat({
          walletId,
          walletPublicKey: groupPublicKey,
          proposal: {
            message: proposal.message,
            proposalBlock: proposal.proposalBlock,
            startBlock: outcome.startBlock,
          },
          signing: wallet.signing,
          failures: this.options.failures,
          minimumActiveMembers: this.options.minimumActiveMembers,
          recorder,
        });
        this.heartbeats.push({
          wallet: walletId,
          window,
          message: proposal.message,
          signature: result.signature,
        });
        if (this.heartbeats.length > 100) this.heartbeats.shift();
        log.info(
          { wallet: walletId.slice(0, 16), window, activeSeats: result.activeSeats.length },
          'heartbeat signed',
        );
        await this.claimInactivity(wallet, walletId, result);
      });
    } catch (err) {
      if (!(err instanceof WalletBusyError))
        log.warn({ window, err: (err as Error).message }, 'heartbeat failed');
    }
  }

  /** keep-core's rule: at the failure threshold, with someone inactive, members claim it on chain. */
  private async claimInactivity(
    wallet: LocalWallet,
    walletId: string,
    heartbeat: { activeSeats: readonly number[]; consecutiveFailures: number },
  ): Promise<void> {
    const { blocks, failures, inactivity, log } = this.options;
    if (heartbeat.consecutiveFailures < inactivity.failureThreshold) return;
    const active = new Set(heartbeat.activeSeats);
    const inactiveSeats = wallet.keys.qualifiedSeats.filter((seat) => !active.has(seat));
    if (inactiveSeats.length === 0) return;
    const deadlineBlock = (await blocks.currentBlock()) + inactivity.timeoutBlocks;
    const claimed = await wallet.inactivity.claim({ inactiveSeats, heartbeatFailed: true, deadlineBlock });
    failures.reset(walletId);
    log.info({ wallet: walletId.slice(0, 16), ...claimed, inactiveSeats }, 'inactivity claim accepted');
  }
}

/**
 * The wallets that coordinate in a window: those registered on chain at least one full window
 * earlier. Every member derives the same set from the chain, and a wallet's channels have had
 * a window's time to form their gossip meshes before its first procedure.
 */
export function coordinatedWallets(
  window: number,
  frequencyBlocks: number,
  wallets: Iterable<{ runtime: LocalWallet; registeredBlock: number | undefined }>,
): LocalWallet[] {
  return [...wallets]
    .filter(
      ({ registeredBlock }) => registeredBlock !== undefined && registeredBlock + frequencyBlocks <= window,
    )
    .map(({ runtime }) => runtime);
}
