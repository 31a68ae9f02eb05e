import { join } from 'node:path';
import { pino } from 'pino';
import { type ChainClient, connectChain } from '../../src/chain/rpc/chain-client.js';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { peerIdOfOperatorKey } from '../../src/net/libp2p/identity.js';
import { writeOperatorKeyFile } from '../../src/storage/operator-key-file.js';
import { sampleValue, scrape } from './exposition.js';
import { eventually } from './wait.js';
import { freePort, type NodeProcess, startChainProcess, startNodeProcess, tempDir } from './process.js';

export interface ClusterNodeSetup {
  keyFile: string;
  address: string;
  p2pPort: number;
  metricsPort: number;
  multiaddr: string;
  storage: string;
}

/**
 * A `keep-client chain` process (100 ms blocks) and N `keep-client start` processes over libp2p
 * on loopback, each bootstrapping from the others, with an observer chain client. `start` in a
 * `before`, `stop` in an `after`.
 */
export class ProcessCluster {
  readonly dir = tempDir();
  readonly setups: ClusterNodeSetup[] = [];
  readonly nodes: NodeProcess[] = [];
  chainProcess!: NodeProcess;
  chainUrl!: string;
  chainArgs!: string[];
  observer!: ChainClient;

  constructor(
    private readonly options: {
      readonly password: string;
      readonly nodes: number;
      /** Flags the chain and every node get (group shapes, timings). */
      readonly sharedArgs: readonly string[];
      /** Flags only the nodes get. */
      readonly nodeArgs?: readonly string[];
    },
  ) {}

  async start(): Promise<void> {
    const chainPort = await freePort();
    this.chainUrl = `tcp://127.0.0.1:${chainPort}`;
    this.chainArgs = [
      '--chain.port',
      String(chainPort),
      '--chain.blockTime',
      '100ms',
      '--storage.dir',
      join(this.dir.path, 'chain'),
      ...this.options.sharedArgs,
    ];
    await this.startChain();
    for (let i = 0; i < this.options.nodes; i++) {
      const key = generateOperatorKey();
      const keyFile = join(this.dir.path, `operator-${i}.json`);
      await writeOperatorKeyFile(keyFile, key, this.options.password);
      const p2pPort = await freePort();
      this.setups.push({
        keyFile,
        address: key.address,
        p2pPort,
        metricsPort: await freePort(),
        multiaddr: `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${peerIdOfOperatorKey(key.publicKey)}`,
        storage: join(this.dir.path, `node${i}`),
      });
    }
    this.nodes.push(...(await Promise.all(this.setups.map((_, i) => this.startNode(i)))));
    this.observer = await connectChain({
      url: this.chainUrl,
      key: generateOperatorKey(),
      log: pino({ level: 'silent' }),
    });
    for (let i = 0; i < this.options.nodes; i++) {
      await eventually(
        () => this.metric(i, 'connected_peers_count'),
        (v) => v === this.options.nodes - 1,
        30_000,
        `peers of node ${i}`,
      );
    }
  }

  async startChain(): Promise<NodeProcess> {
    this.chainProcess = await startChainProcess(this.chainArgs);
    return this.chainProcess;
  }

  /** Starts node i (again): same key, storage and ports. */
  startNode(i: number): Promise<NodeProcess> {
    const setup = this.setups[i]!;
    return startNodeProcess(
      [
        '--chain.url',
        this.chainUrl,
        '--storage.dir',
        setup.storage,
        '--operator.keyFile',
        setup.keyFile,
        '--network.port',
        String(setup.p2pPort),
        '--network.peers',
        this.setups
          .filter((_, j) => j !== i)
          .map((s) => s.multiaddr)
          .join(','),
        '--clientInfo.port',
        String(setup.metricsPort),
        // Gauges such as connected_peers_count are refreshed on these ticks.
        '--clientInfo.networkMetricsTick',
        '500ms',
        '--clientInfo.ethereumMetricsTick',
        '500ms',
        ...(this.options.nodeArgs ?? []),
        ...this.options.sharedArgs,
      ],
      { env: { KEEP_OPERATOR_PASSWORD: this.options.password } },
    );
  }

  /** A sample of node i's /metrics (0 when absent). */
  async metric(i: number, name: string, labels: Record<string, string> = {}): Promise<number> {
    const { families } = await scrape(`http://127.0.0.1:${this.setups[i]!.metricsPort}/metrics`);
    return sampleValue(families, name, labels) ?? 0;
  }

  async stop(): Promise<void> {
    await this.observer?.close();
    await Promise.all([...this.nodes, this.chainProcess].filter(Boolean).map((p) => p.stop('SIGKILL')));
    this.dir.remove();
  }
}
