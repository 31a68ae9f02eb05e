import { Beacon } from '../../src/beacon/beacon.js';
import type { RelayParameters } from '../../src/chain/local/random-beacon-contract.js';
import type {
  BeaconGroupRegisteredEvent,
  Chain,
  DkgParameters,
  RelayEntryRequestedEvent,
} from '../../src/chain/types.js';
import { generateOperatorKey, type OperatorKey } from '../../src/crypto/operator-key.js';
import type { Behaviour } from './byzantine.js';
import { localCluster, TEST_TIMING } from './local-cluster.js';
import type { scrapedRecorder } from './metrics.js';

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
  const base = localCluster({
    chain: {
      blockIntervalMs: options.blockIntervalMs ?? 20,
      dkg: beaconDkg,
      beaconDkg,
      relay: options.relay,
    },
    byzantine: options.byzantine,
  });
  const { chain, network } = base;
  const nodes: BeaconClusterNode[] = [];
  const startNode = (key: OperatorKey, groups?: Beacon['groups']): BeaconClusterNode => {
    const found = nodes.findIndex((node) => node.key === key);
    const index = found === -1 ? nodes.length : found;
    const { metrics, provider, log } = base.join(key, index);
    const connection = chain.connect(key.address);
    const beacon = new Beacon({
      chain: options.chainFor ? options.chainFor(index, connection) : connection,
      provider,
      key,
      recorder: metrics.recorder,
      log,
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
  /** The next relay entry request the chain makes. */
  const nextRequest = (): Promise<RelayEntryRequestedEvent> =>
    new Promise((resolve) => {
      const stop = observer.onRelayEntryRequested((event) => {
        stop();
        resolve(event);
      });
    });
  /** Requests a relay entry on demand; resolves with the chain's request. */
  const requestEntry = async (): Promise<RelayEntryRequestedEvent> => {
    const requested = nextRequest();
    await observer.requestRelayEntry();
    return requested;
  };
  return {
    chain,
    nodes,
    observer,
    nextRequest,
    requestEntry,
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
      base.stop();
    },
  };
}
