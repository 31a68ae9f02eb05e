import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { formatDuration } from '../config/duration.js';
import { loadConfig } from '../config/load.js';
import { generateOperatorKey } from '../crypto/operator-key.js';
import { peerIdOfOperatorKey } from '../net/libp2p/identity.js';
import { writeOperatorKeyFile } from '../storage/operator-key-file.js';
import { freePort } from './free-port.js';
import { beaconSettings, type DevnetShape, relayRequestIntervalBlocks, tbtcSettings } from './shape.js';

export interface ChainSetup {
  readonly port: number;
  readonly url: string;
  readonly configFile: string;
  readonly logFile: string;
}

export interface NodeSetup {
  readonly index: number;
  readonly name: string;
  readonly address: string;
  readonly peerId: string;
  readonly p2pPort: number;
  readonly multiaddr: string;
  readonly metricsPort: number;
  readonly metricsUrl: string;
  readonly diagnosticsUrl: string;
  readonly storageDir: string;
  readonly keyFile: string;
  readonly configFile: string;
  readonly logFile: string;
}

interface Identity {
  readonly address: string;
  readonly peerId: string;
}

/**
 * A devnet's directory: an operator key per node, and a TOML configuration for the chain and
 * for every node (loopback ports, every node bootstrapping from all the others), each checked
 * with the node's own config loader. Ports are picked free when the layout is written; one
 * that another process took meanwhile can be picked again (the configurations are rewritten).
 */
export class DevnetLayout {
  readonly logsDir: string;
  private readonly tbtc: Record<string, number>;
  private readonly beacon: Record<string, number>;
  private readonly relayIntervalBlocks: number;
  private readonly blockTime: string;
  private nodeSetups: NodeSetup[] | undefined;

  private constructor(
    readonly dir: string,
    shape: DevnetShape,
    private readonly identities: readonly Identity[],
    private chainPort: number,
    private readonly nodePorts: { p2p: number; metrics: number }[],
  ) {
    this.logsDir = join(dir, 'logs');
    this.tbtc = tbtcSettings(shape);
    this.beacon = beaconSettings(shape);
    this.relayIntervalBlocks = relayRequestIntervalBlocks(shape);
    this.blockTime = formatDuration(shape.blockTimeMs);
  }

  static async write(dir: string, shape: DevnetShape, password: string): Promise<DevnetLayout> {
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const identities: Identity[] = [];
    const nodePorts: { p2p: number; metrics: number }[] = [];
    for (let index = 0; index < shape.nodes; index++) {
      const key = generateOperatorKey();
      mkdirSync(join(dir, nodeName(index)), { recursive: true });
      await writeOperatorKeyFile(join(dir, nodeName(index), 'operator-key.json'), key, password);
      identities.push({ address: key.address, peerId: peerIdOfOperatorKey(key.publicKey).toString() });
      nodePorts.push({ p2p: await freePort(), metrics: await freePort() });
    }
    const layout = new DevnetLayout(dir, shape, identities, await freePort(), nodePorts);
    layout.writeConfigs();
    return layout;
  }

  get chain(): ChainSetup {
    return {
      port: this.chainPort,
      url: `tcp://127.0.0.1:${this.chainPort}`,
      configFile: join(this.dir, 'chain.toml'),
      logFile: join(this.logsDir, 'chain.log'),
    };
  }

  /** The nodes' setups; the same objects until ports are picked again. */
  get nodes(): readonly NodeSetup[] {
    this.nodeSetups ??= this.setups();
    return this.nodeSetups;
  }

  private setups(): NodeSetup[] {
    return this.identities.map((identity, index) => {
      const name = nodeName(index);
      const storageDir = join(this.dir, name);
      const { p2p, metrics } = this.nodePorts[index]!;
      return {
        index,
        name,
        ...identity,
        p2pPort: p2p,
        multiaddr: `/ip4/127.0.0.1/tcp/${p2p}/p2p/${identity.peerId}`,
        metricsPort: metrics,
        metricsUrl: `http://127.0.0.1:${metrics}/metrics`,
        diagnosticsUrl: `http://127.0.0.1:${metrics}/diagnostics`,
        storageDir,
        keyFile: join(storageDir, 'operator-key.json'),
        configFile: join(storageDir, 'config.toml'),
        logFile: join(this.logsDir, `${name}.log`),
      };
    });
  }

  /** New ports for the chain (every configuration names it) or for one node. */
  async repickPorts(target: 'chain' | number): Promise<void> {
    if (target === 'chain') this.chainPort = await freePort();
    else this.nodePorts[target] = { p2p: await freePort(), metrics: await freePort() };
    this.writeConfigs();
  }

  private writeConfigs(): void {
    this.nodeSetups = undefined;
    const { chain, nodes, tbtc, beacon, blockTime } = this;
    writeConfig(chain.configFile, {
      // The chain server keeps its state here, with the devnet (not in the working directory).
      storage: { Dir: join(this.dir, 'chain') },
      chain: { Port: chain.port, BlockTime: blockTime, RelayRequestIntervalBlocks: this.relayIntervalBlocks },
      tbtc,
      beacon,
    });
    for (const node of nodes) {
      writeConfig(node.configFile, {
        ClientInfo: {
          Port: node.metricsPort,
          Address: '127.0.0.1',
          NetworkMetricsTick: '1s',
          EthereumMetricsTick: '5s',
        },
        storage: { Dir: node.storageDir },
        network: {
          Port: node.p2pPort,
          Address: '127.0.0.1',
          Peers: nodes.filter((other) => other.index !== node.index).map((other) => other.multiaddr),
        },
        operator: { KeyFile: node.keyFile },
        chain: { URL: chain.url, BlockTime: blockTime },
        tbtc,
        beacon,
      });
    }
  }
}

const nodeName = (index: number) => `node-${index}`;

function writeConfig(file: string, content: Record<string, Record<string, unknown>>): void {
  writeFileSync(file, `# Written by keep-client devnet.\n${stringify(content)}\n`);
  loadConfig({ file });
}
