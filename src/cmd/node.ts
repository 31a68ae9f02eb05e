import { type RunningBeacon, startBeacon } from '../beacon/start-beacon.js';
import type { LocalChain } from '../chain/local/local-chain.js';
import type { Chain } from '../chain/types.js';
import { type ClientInfo, startClientInfo } from '../clientinfo/client-info.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { Libp2pProvider } from '../net/libp2p/provider.js';
import { ManualTicker } from '../net/retransmission.js';
import { prepareKeyDir } from '../storage/key-dir.js';
import { loadOrCreateOperatorKey } from '../storage/operator-key-file.js';
import { operatorPassword } from '../storage/operator-password.js';
import { type RunningTbtc, startTbtc } from '../tbtc/start-tbtc.js';
import { CLIENT_REVISION, CLIENT_VERSION } from '../version.js';
import { openNodeChain } from './chain-setup.js';
import { openKeystores } from './keystores.js';
import { beaconDkgTimingOf, tbtcParametersOf } from './protocol-parameters.js';
import { listening } from './startup-error.js';

export interface RunningNode {
  readonly clientInfo: ClientInfo;
  readonly network: Libp2pProvider;
  readonly chain: Chain;
  /** The in-process chain when no `[chain] URL` is set. */
  readonly embeddedChain: LocalChain | undefined;
  readonly tbtc: RunningTbtc;
  readonly beacon: RunningBeacon;
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
  const keystores = await openKeystores(config.storage.Dir, password, log);

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

  const protocolDeps = { chain, provider: network, key: operator.key, recorder: clientInfo.recorder, log };
  const tbtc = await startTbtc({ ...protocolDeps, parameters: tbtcParametersOf(config), ...keystores.tbtc });
  const beacon = startBeacon({
    ...protocolDeps,
    timing: beaconDkgTimingOf(config),
    approvalDelayStepBlocks: config.beacon.ApprovalDelayStepBlocks,
    ...keystores.beacon,
  });
  // Every listener is subscribed: chain events missed while the node was down can come now.
  nodeChain.startEvents();

  const { nodeInfo, diagnostics } = clientInfo;
  diagnostics.register('beacon_groups', () => beacon.groupDiagnostics());
  nodeInfo.setSource('connected_peers_count', () => network.connectedPeers().length);
  nodeInfo.setSource('connected_bootstrap_count', () => network.connectedBootstrapPeers());
  nodeInfo.setSource('eth_connectivity', async () => {
    await chain.blocks.currentBlock();
    return 1;
  });
  diagnostics.register('seats_without_key_share', () => ({
    wallet: tbtc.seatsWithoutKeyShare(),
    beacon: beacon.seatsWithoutKeyShare(),
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
  diagnostics.register('wallets', () => tbtc.walletDiagnostics());

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
      wallets: tbtc.wallets.length,
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
    tbtc,
    beacon,
    stop: async () => {
      beacon.stop();
      tbtc.stop();
      stopTicks();
      stopAllowList();
      await network.close();
      await nodeChain.close();
      await clientInfo.close();
      log.info('node stopped');
    },
  };
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
