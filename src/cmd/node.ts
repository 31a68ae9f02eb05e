import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Beacon } from '../beacon/beacon.js';
import type { LocalChain } from '../chain/local/local-chain.js';
import type { Chain } from '../chain/types.js';
import { type ClientInfo, startClientInfo } from '../clientinfo/client-info.js';
import type { Config } from '../config/schema.js';
import { xOnly } from '../crypto/frost-dkg.js';
import { KeyCustody } from '../dkg/key-custody.js';
import type { Logger } from '../log.js';
import { Libp2pProvider } from '../net/libp2p/provider.js';
import { ManualTicker } from '../net/retransmission.js';
import { BeaconStore, beaconGroupId } from '../storage/beacon-store.js';
import { prepareKeyDir } from '../storage/key-dir.js';
import type { TempFileRecovery } from '../storage/key-share-files.js';
import { loadOrCreateOperatorKey } from '../storage/operator-key-file.js';
import { operatorPassword } from '../storage/operator-password.js';
import { WalletStore } from '../storage/wallet-store.js';
import { CoordinationLayer, coordinatedWallets, type LocalWallet } from '../tbtc/coordination-layer.js';
import { HeartbeatFailureCounter } from '../tbtc/heartbeat.js';
import { SigningLiveness } from '../tbtc/signing/signing-liveness.js';
import { WalletDispatcher } from '../tbtc/wallet-dispatcher.js';
import { walletDkgExecutor } from '../tbtc/wallet-dkg.js';
import type { WalletKeys } from '../tbtc/wallet-keys.js';
import { startWalletRuntime } from '../tbtc/wallet-runtime.js';
import { CLIENT_REVISION, CLIENT_VERSION } from '../version.js';
import { beaconDkgTimingOf, dkgTimingOf, openNodeChain } from './chain-setup.js';
import { listening } from './startup-error.js';

export interface RunningNode {
  readonly clientInfo: ClientInfo;
  readonly network: Libp2pProvider;
  readonly chain: Chain;
  /** The in-process chain when no `[chain] URL` is set. */
  readonly embeddedChain: LocalChain | undefined;
  readonly wallets: WalletKeys[];
  readonly beacon: Beacon;
  stop(): Promise<void>;
}

/** Wires the node's subsystems from the configuration and starts them. */
export async function startNode(config: Config, log: Logger): Promise<RunningNode> {
  const { password, empty } = operatorPassword(process.env);
  prepareKeyDir(config.storage.Dir);
  const operator = await loadOrCreateOperatorKey({
    keyFile: config.operator.KeyFile,
    storageDir: config.storage.Dir,
    password,
  });
  if (operator.created) {
    log.info({ path: operator.path, operator: operator.key.address }, 'generated a new operator key');
  }
  if (empty) log.warn('KEEP_OPERATOR_PASSWORD is empty (allowed by KEEP_ALLOW_EMPTY_PASSWORD=1)');
  prepareKeyDir(join(config.storage.Dir, 'keystore'), { tighten: true });
  const walletStore = new WalletStore(join(config.storage.Dir, 'keystore', 'tbtc'), password);
  logTempFileRecovery(log, await walletStore.recoverTempFiles());
  const wallets = await walletStore.loadAll();
  const beaconStore = new BeaconStore(join(config.storage.Dir, 'keystore', 'beacon'), password);
  logTempFileRecovery(log, await beaconStore.recoverTempFiles());
  const beaconGroups = await beaconStore.loadAll();

  const nodeChain = await openNodeChain(config, operator.key, log);
  const { chain } = nodeChain;

  const build = { version: CLIENT_VERSION, revision: CLIENT_REVISION };
  const clientInfo = await listening(
    `client info server on ${config.ClientInfo.Address}:${config.ClientInfo.Port}`,
    () => startClientInfo(config.ClientInfo, build),
  );
  // Retransmissions tick once per block, as in keep-core.
  const ticker = new ManualTicker();
  const stopTicks = chain.blocks.watchBlocks(() => ticker.tick());
  const network = await listening(`libp2p on ${config.network.Address}:${config.network.Port}`, () =>
    Libp2pProvider.create({
      key: operator.key,
      listenAddress: config.network.Address,
      port: config.network.Port,
      peers: config.network.Peers,
      allowedOperators: configuredAllowList(config),
      pingTimeoutMs: config.network.PingTimeout,
      recorder: clientInfo.recorder,
      ticker,
      log,
    }),
  ).catch(async (err) => {
    await clientInfo.close();
    await nodeChain.close();
    throw err;
  });
  const stopAllowList = followChainOperators(config, chain, network, log);

  // Wallet work: each wallet's executors, the dispatcher and the coordination windows.
  const tbtc = config.tbtc;
  const dispatcher = new WalletDispatcher(clientInfo.recorder, log);
  const liveness = new SigningLiveness(clientInfo.recorder);
  const runtimes = new Map<string, LocalWallet>();
  // Registration blocks from the chain decide from which window a wallet coordinates.
  const registeredAt = new Map<string, number>();
  const noteRegistration = (event: { walletId: string; blockNumber: number }) =>
    registeredAt.set(event.walletId, event.blockNumber);
  const stopRegistrations = chain.walletRegistry.onWalletRegistered(noteRegistration);
  for (const event of await chain.walletRegistry.registeredWallets()) noteRegistration(event);
  const addWallet = (wallet: WalletKeys) => {
    const walletId = bytesToHex(xOnly(wallet.groupPublicKey));
    if (runtimes.has(walletId)) return;
    runtimes.set(
      walletId,
      startWalletRuntime({
        wallet,
        key: operator.key,
        provider: network,
        blocks: chain.blocks,
        recorder: clientInfo.recorder,
        log,
        coordination: {
          frequencyBlocks: tbtc.CoordinationFrequencyBlocks,
          activeBlocks: tbtc.CoordinationActiveBlocks,
          safeShiftBlocks: tbtc.CoordinationSafeShiftBlocks,
          heartbeatProbability: tbtc.HeartbeatProbability,
        },
        registry: chain.walletRegistry,
        claimSubmissionStepBlocks: tbtc.ResultSubmissionStepBlocks,
        signingTimeoutBlocks: tbtc.SigningTimeoutBlocks,
        signingCoordinatorTurnBlocks: tbtc.SigningCoordinatorTurnBlocks,
        liveness,
      }),
    );
  };
  for (const wallet of wallets) addWallet(wallet);
  const coordinationLayer = new CoordinationLayer({
    blocks: chain.blocks,
    frequencyBlocks: tbtc.CoordinationFrequencyBlocks,
    activeBlocks: tbtc.CoordinationActiveBlocks,
    wallets: (window) =>
      coordinatedWallets(
        window,
        tbtc.CoordinationFrequencyBlocks,
        [...runtimes].map(([walletId, runtime]) => ({
          runtime,
          registeredBlock: registeredAt.get(walletId),
        })),
      ),
    dispatcher,
    failures: new HeartbeatFailureCounter(),
    minimumActiveMembers: tbtc.HeartbeatMinimumActiveMembers,
    inactivity: {
      failureThreshold: tbtc.HeartbeatFailureThreshold,
      timeoutBlocks: tbtc.InactivityClaimTimeoutBlocks,
    },
    recorder: clientInfo.recorder,
    log,
  });

  // Key shares are stored pending as soon as a DKG produced them, active once registered.
  const walletCustody = new KeyCustody({
    kind: 'wallet',
    operator: operator.key.address,
    registry: chain.walletRegistry,
    registeredGroups: () => chain.walletRegistry.registeredWallets(),
    onGroupRegistered: (listener) => chain.walletRegistry.onWalletRegistered(listener),
    store: walletStore,
    held: wallets,
    activated: (wallet, path) => {
      wallets.push(wallet);
      addWallet(wallet);
      log.info({ path, seats: [...wallet.keys.keys()] }, 'wallet registered; its key shares are active');
    },
    recorder: clientInfo.recorder,
    log,
  });
  await walletCustody.start();
  const dkg = walletDkgExecutor({
    chain,
    provider: network,
    key: operator.key,
    metrics: clientInfo.recorder,
    log,
    timing: dkgTimingOf(config),
    approvalDelayStepBlocks: config.tbtc.ApprovalDelayStepBlocks,
    saveGroup: walletCustody.save,
  });
  dkg.start();

  // Random beacon: its group DKG and relay entries; groups from the keystore rejoin at once.
  const beacon = new Beacon({
    chain,
    provider: network,
    key: operator.key,
    recorder: clientInfo.recorder,
    log,
    timing: beaconDkgTimingOf(config),
    approvalDelayStepBlocks: config.beacon.ApprovalDelayStepBlocks,
    groups: beaconGroups,
    store: beaconStore,
  });
  beacon.start();
  // Every listener is subscribed: chain events missed while the node was down can come now.
  nodeChain.startEvents();

  const { nodeInfo, diagnostics } = clientInfo;
  diagnostics.register('beacon_groups', () =>
    beacon.groups.map((group) => ({
      group_id: beaconGroupId(group.groupPublicKey),
      group_public_key: bytesToHex(group.groupPublicKey),
      seats: [...group.keys.keys()],
    })),
  );
  nodeInfo.setSource('connected_peers_count', () => network.connectedPeers().length);
  nodeInfo.setSource('connected_bootstrap_count', () => network.connectedBootstrapPeers());
  nodeInfo.setSource('eth_connectivity', async () => {
    await chain.blocks.currentBlock();
    return 1;
  });
  diagnostics.register('seats_without_key_share', () => ({
    wallet: walletCustody.seatsWithoutKeyShare(),
    beacon: beacon.custody.seatsWithoutKeyShare(),
  }));
  diagnostics.register('client_info', () => ({
    ...build,
    operator_address: operator.key.address,
    peer_id: network.identity.peerId,
    multiaddrs: network.multiaddrs,
  }));
  diagnostics.register('connected_peers', () =>
    network.connectedPeers().map((peer) => ({
      operator_address: peer.operatorAddress,
      peer_id: peer.peerId,
      multiaddrs: peer.multiaddrs,
    })),
  );
  diagnostics.register('eth_chain_info', async () => ({
    latest_block_number: await chain.blocks.currentBlock(),
  }));
  diagnostics.register('wallets', () =>
    wallets.map((wallet) => ({
      wallet_id: bytesToHex(xOnly(wallet.groupPublicKey)),
      seats: [...wallet.keys.keys()],
      heartbeats: coordinationLayer.heartbeats.filter(
        (h) => h.wallet === bytesToHex(xOnly(wallet.groupPublicKey)),
      ).length,
    })),
  );

  if (clientInfo.server) {
    log.info({ url: `${clientInfo.server.url}/metrics` }, 'client info serving /metrics and /diagnostics');
  } else {
    log.info('client info disabled ([ClientInfo] Port = 0): no metrics are served or recorded');
  }
  log.info(
    {
      version: CLIENT_VERSION,
      revision: CLIENT_REVISION,
      operator: operator.key.address,
      peerId: network.identity.peerId,
      listen: network.multiaddrs,
      storage: config.storage.Dir,
      wallets: wallets.length,
      beaconGroups: beacon.groups.length,
      chain: config.chain.URL ?? 'embedded',
    },
    'node started',
  );
  return {
    clientInfo,
    network,
    chain,
    embeddedChain: nodeChain.embedded,
    wallets,
    beacon,
    stop: async () => {
      beacon.stop();
      dkg.stop();
      walletCustody.stop();
      coordinationLayer.close();
      stopRegistrations();
      dispatcher.close();
      liveness.close();
      stopTicks();
      stopAllowList();
      await network.close();
      await nodeChain.close();
      await clientInfo.close();
      log.info('node stopped');
    },
  };
}

/** One line per temporary key-share file a crashed write left: recovered, removed or kept. */
function logTempFileRecovery(log: Logger, recovery: TempFileRecovery): void {
  for (const path of recovery.recovered)
    log.warn({ path }, 'recovered a complete key-share file that a crash left in a temporary file');
  for (const path of recovery.removed)
    log.warn({ path }, 'removed a partial key-share file that a crash left in a temporary file');
  for (const path of recovery.unreadable)
    log.error({ path }, 'a temporary key-share file does not open with this password; left in place');
}

function configuredAllowList(config: Config): Set<string> | undefined {
  const list = config.network.AllowedOperators;
  return list.length ? new Set(list.map((address) => address.toLowerCase())) : undefined;
}

/**
 * With a chain server and no configured allow list, the firewall admits the operators
 * registered on the chain, refreshed every few seconds.
 */
function followChainOperators(
  config: Config,
  chain: Chain,
  network: Libp2pProvider,
  log: Logger,
): () => void {
  if (!config.chain.URL || config.network.AllowedOperators.length) return () => {};
  const refresh = async () => {
    try {
      const operators = await chain.operatorRegistry.operators();
      await network.setAllowedOperators(new Set(operators.map((o) => o.address)));
    } catch (err) {
      log.debug({ err: (err as Error).message }, 'could not refresh the allowed operators');
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), 2000);
  timer.unref();
  return () => clearInterval(timer);
}
