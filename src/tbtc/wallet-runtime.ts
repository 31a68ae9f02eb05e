import type { BlockCounter, WalletRegistry } from '../chain/types.js';
import type { Recorder } from '../clientinfo/recorder.js';
import type { OperatorKey } from '../crypto/operator-key.js';
import { walletIdOf } from '../crypto/wallet-id.js';
import type { Logger } from '../log.js';
import type { Provider } from '../net/types.js';
import { type CoordinationParameters, CoordinationExecutor } from './coordination.js';
import type { LocalWallet } from './coordination-layer.js';
import type { WalletKeys } from './wallet-keys.js';
import { InactivityClaimExecutor } from './inactivity.js';
import { SigningExecutor } from './signing/signing-executor.js';
import type { SigningLiveness } from './signing/signing-liveness.js';

/**
 * A wallet this node holds seats of, ready to work: its signing and coordination executors on
 * the wallet's channels (`tbtc-<wallet>` and `tbtc-<wallet>-coordination`), open only to the
 * wallet's members.
 */
export function startWalletRuntime(options: {
  wallet: WalletKeys;
  key: OperatorKey;
  provider: Provider;
  blocks: BlockCounter;
  registry: WalletRegistry;
  /** Blocks between inactivity-claim submission turns. */
  claimSubmissionStepBlocks: number;
  recorder: Recorder;
  log: Logger;
  coordination: CoordinationParameters;
  signingTimeoutBlocks: number;
  signingCoordinatorTurnBlocks: number;
  liveness: SigningLiveness;
}): LocalWallet {
  const { wallet, provider } = options;
  const walletId = walletIdOf(wallet.groupPublicKey);
  const members = new Set(wallet.qualifiedSeats.map((seat) => wallet.group[seat - 1]));
  const channelFor = (name: string) => {
    const channel = provider.broadcastChannelFor(name);
    channel.setFilter((sender) => members.has(sender.operatorAddress));
    return channel;
  };
  const log = options.log.child({ wallet: walletId.slice(0, 16) });
  const walletChannel = channelFor(`tbtc-${walletId}`);
  return {
    keys: wallet,
    inactivity: new InactivityClaimExecutor({
      wallet,
      walletId,
      key: options.key,
      registry: options.registry,
      blocks: options.blocks,
      channel: walletChannel,
      log,
      submissionStepBlocks: options.claimSubmissionStepBlocks,
    }),
    signing: new SigningExecutor({
      wallet,
      channel: walletChannel,
      blocks: options.blocks,
      recorder: options.recorder,
      log,
      timeoutBlocks: options.signingTimeoutBlocks,
      coordinatorTurnBlocks: options.signingCoordinatorTurnBlocks,
      liveness: options.liveness,
    }),
    coordination: new CoordinationExecutor({
      wallet,
      me: options.key.address,
      channel: channelFor(`tbtc-${walletId}-coordination`),
      blocks: options.blocks,
      recorder: options.recorder,
      log,
      parameters: options.coordination,
    }),
  };
}
