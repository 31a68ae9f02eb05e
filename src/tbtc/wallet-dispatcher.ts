import type { WalletAction } from './wallet-actions.js';
import { type Recorder, stopwatch } from '../clientinfo/recorder.js';
import type { Logger } from '../log.js';

export class WalletBusyError extends Error {
  override name = 'WalletBusyError';
}

/**
 * Runs wallet actions: at most one per wallet at a time. A dispatch to a busy wallet is
 * refused at once (never queued, never waits), as in keep-core.
 */
export class WalletDispatcher {
  private readonly running = new Map<string, WalletAction>();
  private readonly unregisterGauge: () => void;

  constructor(
    private readonly recorder: Recorder,
    private readonly log: Logger,
  ) {
    this.unregisterGauge = recorder.gaugeSource(
      'performance_wallet_dispatcher_active_actions',
      {},
      () => this.running.size,
    );
  }

  /** Starts the action; throws WalletBusyError synchronously when the wallet is busy. */
  dispatch(walletId: string, action: WalletAction, run: () => Promise<void>): Promise<void> {
    const current = this.running.get(walletId);
    if (current) {
      this.recorder.inc('performance_wallet_dispatcher_rejected_total', { action });
      throw new WalletBusyError(`wallet ${walletId.slice(0, 16)} is busy with ${current}`);
    }
    this.running.set(walletId, action);
    this.recorder.inc('performance_wallet_actions_total', { action });
    const elapsed = stopwatch();
    return run()
      .then(
        () => {
          this.recorder.inc('performance_wallet_action_success_total', { action });
        },
        (err: unknown) => {
          this.recorder.inc('performance_wallet_action_failed_total', { action });
          this.log.warn({ wallet: walletId, action, err: (err as Error).message }, 'wallet action failed');
          throw err;
        },
      )
      .finally(() => {
        this.recorder.observe('performance_wallet_action_duration_seconds', elapsed(), { action });
        this.running.delete(walletId);
      });
  }

  get activeActions(): number {
    return this.running.size;
  }

  close(): void {
    this.unregisterGauge();
  }
}
