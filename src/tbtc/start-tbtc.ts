import type { Key } from '@noble/curves/abstract/frost.js';
import type { Chain } from '../chain/types.js';
import type { Recorder } from '../clientinfo/recorder.js';
import type { OperatorKey } from '../crypto/operator-key.js';
import { walletIdOf } from '../crypto/wallet-id.js';
import type { DkgTiming } from '../dkg/dkg-protocol.js';
import { type GroupKeyStore, KeyCustody, type SeatsWithoutKeyShare } from '../dkg/key-custody.js';
import type { Logger } from '../log.js';
import type { Provider } from '../net/types.js';
import type { CoordinationParameters } from './coordination.js';
import {
  CoordinationLayer,
  coordinatedWallets,
  type InactivityPolicy,
  type LocalWallet,
} from './coordination-layer.js';
import { HeartbeatFailureCounter } from './heartbeat.js';
import { SigningLiveness } from './signing/signing-liveness.js';
import { WalletDispatcher } from './wallet-dispatcher.js';
import { walletDkgExecutor } from './wallet-dkg.js';
import type { WalletKeys } from './wallet-keys.js';
import { startWalletRuntime } from './wallet-runtime.js';

/** How the node takes part in tBTC: the `[tbtc]` settings that are not local chain parameters. */
export interface TbtcParameters {
  readonly dkgTiming: DkgTiming;
  /** Blocks between the DKG result approval turns of consecutive members. */
  readonly approvalDelayStepBlocks: number;
  readonly coordination: CoordinationParameters;
  /** A heartbeat with fewer active seats counts as failed. */
  readonly heartbeatMinimumActiveMembers: number;
  readonly inactivity: InactivityPolicy;
  /** Blocks between inactivity-claim submission turns. */
  readonly claimSubmissionStepBlocks: number;
  readonly signingTimeoutBlocks: number;
  readonly signingCoordinatorTurnBlocks: number;
}

export interface TbtcDeps {
  readonly chain: Chain;
  readonly provider: Provider;
  readonly key: OperatorKey;
  readonly recorder: Recorder;
  readonly log: Logger;
  readonly parameters: TbtcParameters;
  /** The wallet keystore: a new wallet's shares, pending from the DKG outcome until registered. */
  readonly store: GroupKeyStore<Key>;
  /** Wallets loaded from the keystore. */
  readonly wallets: readonly WalletKeys[];
}

/** One wallet in the `/diagnostics` document. */
export interface WalletDiagnostics {
  readonly wallet_id: string;
  readonly seats: number[];
  /** Heartbeat signatures this node took part in (of those the coordination layer keeps). */
  readonly heartbeats: number;
}

export interface RunningTbtc {
  /** The wallets this node holds seats of: those loaded at start, then each newly registered one. */
  readonly wallets: readonly WalletKeys[];
  walletDiagnostics(): WalletDiagnostics[];
  /** Seats of registered wallets this operator holds without a key share. */
  seatsWithoutKeyShare(): SeatsWithoutKeyShare[];
  stop(): void;
}

/**
 * Starts the node's tBTC side: the wallet DKG and the custody of its key shares, and for every
 * wallet the node holds seats of its signing, coordination and inactivity-claim executors,
 * driven by the coordination windows through the wallet dispatcher.
 */
export async function startTbtc(deps: TbtcDeps): Promise<RunningTbtc> {
  const { chain, provider, key, recorder, log, parameters } = deps;
  const wallets = [...deps.wallets];
  const dispatcher = new WalletDispatcher(recorder, log);
  const liveness = new SigningLiveness(recorder);
  const runtimes = new Map<string, LocalWallet>();
  // Registration blocks from the chain decide from which window a wallet coordinates.
  const registeredAt = new Map<string, number>();
  const noteRegistration = (event: { walletId: string; blockNumber: number }) =>
    registeredAt.set(event.walletId, event.blockNumber);
  const stopRegistrations = chain.walletRegistry.onWalletRegistered(noteRegistration);
  for (const event of await chain.walletRegistry.registeredWallets()) noteRegistration(event);
  const addWallet = (wallet: WalletKeys) => {
    const walletId = walletIdOf(wallet.groupPublicKey);
    if (runtimes.has(walletId)) return;
    runtimes.set(
      walletId,
      startWalletRuntime({
        wallet,
        key,
        provider,
        blocks: chain.blocks,
        recorder,
        log,
        coordination: parameters.coordination,
        registry: chain.walletRegistry,
        claimSubmissionStepBlocks: parameters.claimSubmissionStepBlocks,
        signingTimeoutBlocks: parameters.signingTimeoutBlocks,
        signingCoordinatorTurnBlocks: parameters.signingCoordinatorTurnBlocks,
        liveness,
      }),
    );
  };
  for (const wallet of wallets) addWallet(wallet);

  const { frequencyBlocks } = parameters.coordination;
  const coordinationLayer = new CoordinationLayer({
    blocks: chain.blocks,
    frequencyBlocks,
    activeBlocks: parameters.coordination.activeBlocks,
    wallets: (window) =>
      coordinatedWallets(
        window,
        frequencyBlocks,
        [...runtimes].map(([walletId, runtime]) => ({
          runtime,
          registeredBlock: registeredAt.get(walletId),
        })),
      ),
    dispatcher,
    failures: new HeartbeatFailureCounter(),
    minimumActiveMembers: parameters.heartbeatMinimumActiveMembers,
    inactivity: parameters.inactivity,
    recorder,
    log,
  });

  // Key shares are stored pending as soon as a DKG produced them, active once registered.
  const custody = new KeyCustody<Key>({
    kind: 'wallet',
    operator: key.address,
    registry: chain.walletRegistry,
    registeredGroups: () => chain.walletRegistry.registeredWallets(),
    onGroupRegistered: (listener) => chain.walletRegistry.onWalletRegistered(listener),
    store: deps.store,
    held: wallets,
    activated: (wallet, path) => {
      wallets.push(wallet);
      addWallet(wallet);
      log.info({ path, seats: [...wallet.keys.keys()] }, 'wallet registered; its key shares are active');
    },
    recorder,
    log,
  });
  await custody.start();
  const dkg = walletDkgExecutor({
    chain,
    provider,
    key,
    metrics: recorder,
    log,
    timing: parameters.dkgTiming,
    approvalDelayStepBlocks: parameters.approvalDelayStepBlocks,
    saveGroup: custody.save,
  });
  dkg.start();

  return {
    wallets,
    walletDiagnostics: () =>
      wallets.map((wallet) => {
        const walletId = walletIdOf(wallet.groupPublicKey);
        return {
          wallet_id: walletId,
          seats: [...wallet.keys.keys()],
          heartbeats: coordinationLayer.heartbeats.filter((h) => h.wallet === walletId).length,
        };
      }),
    seatsWithoutKeyShare: () => custody.seatsWithoutKeyShare(),
    stop: () => {
      dkg.stop();
      custody.stop();
      coordinationLayer.close();
      stopRegistrations();
      dispatcher.close();
      liveness.close();
    },
  };
}
