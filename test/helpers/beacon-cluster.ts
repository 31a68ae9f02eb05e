import { pino } from 'pino';
import { Beacon } from '../../src/beacon/beacon.js';
import { LocalChain } from '../../src/chain/local/local-chain.js';
import type { BeaconGroupRegisteredEvent, Chain, DkgParameters } from '../../src/chain/types.js';
import type { RelayParameters } from '../../src/chain/local/random-beacon-contract.js';
import { generateOperatorKey, type OperatorKey } from '../../src/crypto/operator-key.js';
import { LocalNetwork } from '../../src/net/local/local-network.js';
import { ManualTicker } from '../../src/net/retransmission.js';
import { TEST_TIMING } from './cluster.js';
import { type Behaviour, byzantineProvider } from './byzantine.js';
import { scrapedRecorder } from './metrics.js';

export interface BeaconClusterNode {
  readonly key: OperatorKey;
  readonly metrics: ReturnType<typeof scrapedRecorder>;
  readonly beacon: Beacon;
  stopped: boolean;
}

/** Operators on one local chain and one in-memory network, each running the random beacon. */
export function startBeaconCluster(options: {
  beaconDkg: Pick<DkgParameters, 'groupSize' | 'groupQuorum' | 'honestThreshold'>;
  relay: Partial<RelayParameters>;
  blockIntervalMs?: number;
  /** Byzantine operators: index in the order nodes are added → what they do to their outgoing messages. */
  byzantine?: Readonly<Record<number, Behaviour>>;
  /** Wraps a node's chain connection (by index), e.g. to cut its link in a test. */
  chainFor?: (index: number, chain: Chain) => Chain;
}) {
  const beaconDkg: DkgParameters = {
    resultSubmissionTimeoutBlocks: 500,
    resultSubmissionStartOffsetBlocks: 0,
    resultSubmissionStepBlocks: 3,
    resultChallengePeriodBlocks: 4,
    submitterPrecedencePeriodBlocks: 2,
    ...options.beaconDkg,
  };
  const chain = new LocalChain({
    blockIntervalMs: options.blockIntervalMs ?? 20,
    dkg: beaconDkg,
    beaconDkg,
    relay: options.relay,
  });
  const network = new LocalNetwork();
  const ticker = new ManualTicker();
  const stopTicks = chain.blocks.watchBlocks(() => ticker.tick());
  const keepAlive = setInterval(() => {}, 1000);
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const nodes: BeaconClusterNode[] = [];
  const startNode = (key: OperatorKey, groups?: Beacon['groups']): BeaconClusterNode => {
    const metrics = scrapedRecorder();
    const honest = network.join(key, { recorder: metrics.recorder, ticker });
    const found = nodes.findIndex((node) => node.key === key);
    const index = found === -1 ? nodes.length : found;
    const behaviour = options.byzantine?.[index];
    const connection = chain.connect(key.address);
    const beacon = new Beacon({
      chain: options.chainFor ? options.chainFor(index, connection) : connection,
      provider: behaviour ? byzantineProvider(honest, network, behaviour) : honest,
      key,
      recorder: metrics.recorder,
      log: log.child({ operator: key.address.slice(0, 8) }),
      timing: TEST_TIMING,
      approvalDelayStepBlocks: 2,
      groups,
    });
    beacon.start();
    const node = { key, metrics, beacon, stopped: false };
    nodes.push(node);
    return node;
  };
  const addNodes = (stakes: bigint[]): BeaconClusterNode[] =>
    stakes.map((stake) => {
      const key = generateOperatorKey();
      chain.registerOperator(key.publicKey, stake);
      return startNode(key);
    });
  const observer = chain.connect(`0x${'0'.repeat(40)}`).randomBeacon;
  /** Starts a beacon group DKG and resolves with the registered group. */
  const newGroup = async (): Promise<BeaconGroupRegisteredEvent> => {
    const registered = new Promise<BeaconGroupRegisteredEvent>((resolve) => {
      const stop = observer.onGroupRegistered((event) => {
        stop();
        resolve(event);
      });
    });
    await observer.requestNewGroup();
    return registered;
  };
  return {
    chain,
    nodes,
    observer,
    addNodes,
    newGroup,
    network,
    stopNode(node: BeaconClusterNode) {
      if (node.stopped) return;
      node.stopped = true;
      node.beacon.stop();
    },
    /** A stopped node started again with its key and its groups (as from its keystore). */
    restartNode(node: BeaconClusterNode): BeaconClusterNode {
      return startNode(node.key, node.beacon.groups);
    },
    stop() {
      for (const node of nodes) if (!node.stopped) node.beacon.stop();
      stopTicks();
      clearInterval(keepAlive);
      chain.close();
    },
  };
}
