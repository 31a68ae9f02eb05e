import { mkdirSync } from 'node:fs';
import { type ClientInfo, startClientInfo } from '../clientinfo/client-info.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { Libp2pProvider } from '../net/libp2p/provider.js';
import { IntervalTicker } from '../net/retransmission.js';
import { loadOrCreateOperatorKey } from '../storage/operator-key-file.js';
import { CLIENT_REVISION, CLIENT_VERSION } from '../version.js';
import { listening } from './startup-error.js';

/** Until the chain's block watcher drives retransmissions, they tick once a second. */
const RETRANSMISSION_INTERVAL_MS = 1000;

export interface RunningNode {
  readonly clientInfo: ClientInfo;
  readonly network: Libp2pProvider;
  stop(): Promise<void>;
}

/** Wires the node's subsystems from the configuration and starts them. */
export async function startNode(config: Config, log: Logger): Promise<RunningNode> {
  mkdirSync(config.storage.Dir, { recursive: true });
  const password = process.env.KEEP_OPERATOR_PASSWORD ?? '';
  const operator = await loadOrCreateOperatorKey({
    keyFile: config.operator.KeyFile,
    storageDir: config.storage.Dir,
    password,
  });
  if (operator.created) {
    log.info({ path: operator.path, operator: operator.key.address }, 'generated a new operator key');
    if (!password)
      log.warn('KEEP_OPERATOR_PASSWORD is empty: the operator key is encrypted with an empty password');
  }

  const build = { version: CLIENT_VERSION, revision: CLIENT_REVISION };
  const clientInfo = await listening(
    `client info server on ${config.ClientInfo.Address}:${config.ClientInfo.Port}`,
    () => startClientInfo(config.ClientInfo, build),
  );
  const network = await listening(`libp2p on ${config.network.Address}:${config.network.Port}`, () =>
    Libp2pProvider.create({
      key: operator.key,
      listenAddress: config.network.Address,
      port: config.network.Port,
      peers: config.network.Peers,
      allowedOperators: config.network.AllowedOperators.length
        ? new Set(config.network.AllowedOperators.map((address) => address.toLowerCase()))
        : undefined,
      pingTimeoutMs: config.network.PingTimeout,
      recorder: clientInfo.recorder,
      ticker: new IntervalTicker(RETRANSMISSION_INTERVAL_MS),
      log,
    }),
  ).catch(async (err) => {
    await clientInfo.close();
    throw err;
  });
  clientInfo.nodeInfo.setSource('connected_peers_count', () => network.connectedPeers().length);
  clientInfo.nodeInfo.setSource('connected_bootstrap_count', () => network.connectedBootstrapPeers());
  clientInfo.diagnostics.register('client_info', () => ({
    ...build,
    operator_address: operator.key.address,
    peer_id: network.identity.peerId,
    multiaddrs: network.multiaddrs,
  }));
  clientInfo.diagnostics.register('connected_peers', () =>
    network.connectedPeers().map((peer) => ({
      operator_address: peer.operatorAddress,
      peer_id: peer.peerId,
      multiaddrs: peer.multiaddrs,
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
    },
    'node started',
  );
  return {
    clientInfo,
    network,
    stop: async () => {
      await network.close();
      await clientInfo.close();
      log.info('node stopped');
    },
  };
}
