import { join } from 'node:path';
import type { Key } from '@noble/curves/abstract/frost.js';
import { randomBytes } from '@noble/hashes/utils.js';
import type { DkgParameters, WalletRegisteredEvent } from '../../src/chain/types.js';
import { generateOperatorKey, type OperatorKey } from '../../src/crypto/operator-key.js';
import type { DkgExecutor } from '../../src/dkg/dkg-executor.js';
import { KeyCustody } from '../../src/dkg/key-custody.js';
import type { Provider } from '../../src/net/types.js';
import { WalletStore } from '../../src/storage/wallet-store.js';
import { walletDkgExecutor } from '../../src/tbtc/wallet-dkg.js';
import type { WalletKeys } from '../../src/tbtc/wallet-keys.js';
import type { Behaviour } from './byzantine.js';
import { localCluster, TEST_TIMING } from './local-cluster.js';
import type { scrapedRecorder } from './metrics.js';

export { TEST_TIMING };

export interface ClusterNode {
  readonly key: OperatorKey;
  readonly metrics: ReturnType<typeof scrapedRecorder>;
  readonly wallets: WalletKeys[];
  readonly executor: DkgExecutor<Key>;
  readonly provider: Provider;
  /** With `storageDir`: the node's wallet keystore directory and its key custody. */
  readonly keystoreDir?: string;
  readonly custody?: KeyCustody<Key>;
}

/** Operators with stakes on one local chain and one in-memory network, each running a DKG executor. */
export function startCluster(options: {
  stakes: bigint[];
  dkg: Partial<DkgParameters> & Pick<DkgParameters, 'groupSize' | 'groupQuorum' | 'honestThreshold'>;
  blockIntervalMs?: number;
  /** Byzantine operators: index in `stakes` → what they do to their outgoing messages. */
  byzantine?: Readonly<Record<number, Behaviour>>;
  /**
   * Keep each node's shares in a WalletStore under `<storageDir>/node-<index>` through a
   * KeyCustody, as `keep-client start` does; `wallets` then lists registered wallets only.
   * Without it, `wallets` gets the shares the moment the DKG produced them.
   */
  storageDir?: string;
}) {
  /** The seed of the next DKG when a test chose one (see `chooseSeed`), else a random one. */
  let nextSeed: Uint8Array | undefined;
  const base = localCluster({
    chain: {
      random: () => {
        const seed = nextSeed ?? randomBytes(32);
        nextSeed = undefined;
        return seed;
      },
      blockIntervalMs: options.blockIntervalMs ?? 20,
      dkg: {
        resultSubmissionTimeoutBlocks: 500,
        resultSubmissionStartOffsetBlocks: 0,
        resultSubmissionStepBlocks: 3,
        resultChallengePeriodBlocks: 8,
        submitterPrecedencePeriodBlocks: 4,
        ...options.dkg,
      },
    },
    byzantine: options.byzantine,
  });
  const { chain, network, ticker } = base;
  const nodes: ClusterNode[] = options.stakes.map((stake, index) => {
    const key = generateOperatorKey();
    chain.registerOperator(key.publicKey, stake);
    const wallets: WalletKeys[] = [];
    const { metrics, provider, log: nodeLog } = base.join(key, index);
    const nodeChain = chain.connect(key.address);
    const keystoreDir = options.storageDir && join(options.storageDir, `node-${index}`);
    const custody =
      keystoreDir === undefined
        ? undefined
        : new KeyCustody({
            kind: 'wallet',
            operator: key.address,
            registry: nodeChain.walletRegistry,
            registeredGroups: () => nodeChain.walletRegistry.registeredWallets(),
            onGroupRegistered: (listener) => nodeChain.walletRegistry.onWalletRegistered(listener),
            store: new WalletStore(keystoreDir, 'pw'),
            held: [],
            activated: (wallet) => wallets.push(wallet),
            recorder: metrics.recorder,
            log: nodeLog,
          });
    void custody?.start();
    const executor = walletDkgExecutor({
      chain: nodeChain,
      provider,
      key,
      metrics: metrics.recorder,
      log: nodeLog,
      timing: TEST_TIMING,
      approvalDelayStepBlocks: 2,
      saveGroup:
        custody?.save ??
        (async (wallet) => {
          wallets.push(wallet);
        }),
    });
    executor.start();
    return { key, metrics, wallets, executor, provider, keystoreDir, custody };
  });
  const registered = (): Promise<WalletRegisteredEvent> =>
    new Promise((resolve) => {
      const stop = chain.connect(nodes[0]!.key.address).walletRegistry.onWalletRegistered((event) => {
        stop();
        resolve(event);
      });
    });
  /**
   * Makes the next DKG's group one that `want` accepts (tries seeds against the registry's own
   * selection); returns the group, seat i at index i-1.
   */
  const chooseSeed = async (want: (group: readonly string[]) => boolean): Promise<string[]> => {
    const registry = chain.connect(nodes[0]!.key.address).walletRegistry;
    for (let attempt = 0; attempt < 100_000; attempt++) {
      const seed = randomBytes(32);
      const group = await registry.selectGroup(seed);
      if (!want(group)) continue;
      nextSeed = seed;
      return group;
    }
    throw new Error('no seed gives the wanted group');
  };
  return {
    chain,
    network,
    ticker,
    nodes,
    registered,
    chooseSeed,
    stop() {
      for (const node of nodes) {
        node.executor.stop();
        node.custody?.stop();
      }
      base.stop();
    },
  };
}
