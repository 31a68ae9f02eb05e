import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { formatDuration } from '../config/duration.js';
import { loadConfig } from '../config/load.js';
import { generateOperatorKey } from '../crypto/operator-key.js';
import { peerIdOfOperatorKey } from '../net/libp2p/identity.js';
import { writeOperatorKeyFile } from '../storage/operator-key-file.js';
import { freePort } from './free-port.js';
import { type DevnetShape, tbtcSettings } from './shape.js';

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
  readonly multiaddr: string;
  readonly metricsPort: number;
  readonly metricsUrl: string;
  readonly diagnosticsUrl: string;
  readonly storageDir: string;
  readonly keyFile: string;
  readonly configFile: string;
  readonly logFile: string;
}

export interface DevnetLayout {
  readonly dir: string;
  readonly logsDir: string;
  readonly chain: ChainSetup;
  readonly nodes: readonly NodeSetup[];
}

/**
 * Writes a devnet into DIR: an operator key per node, a TOML configuration for the chain and
 * for every node (loopback ports picked now, every node bootstrapping from all others), and
 * the logs directory. Each file is checked with the node's own config loader.
 */
export async function prepareLayout(
  dir: string,
  shape: DevnetShape,
  password: string,
): Promise<DevnetLayout> {
  const logsDir = join(dir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const tbtc = tbtcSettings(shape);
  const blockTime = formatDuration(shape.blockTimeMs);

  const chainPort = await freePort();
  const chain: ChainSetup = {
    port: chainPort,
    url: `tcp://127.0.0.1:${chainPort}`,
    configFile: join(dir, 'chain.toml'),
    logFile: join(logsDir, 'chain.log'),
  };
  writeConfig(chain.configFile, { chain: { Port: chain.port, BlockTime: blockTime }, tbtc });

  const nodes: (NodeSetup & { p2pPort: number })[] = [];
  for (let index = 0; index < shape.nodes; index++) {
    const name = `node-${index}`;
    const storageDir = join(dir, name);
    mkdirSync(storageDir, { recursive: true });
    const key = generateOperatorKey();
    const keyFile = join(storageDir, 'operator-key.json');
    await writeOperatorKeyFile(keyFile, key, password);
    const p2pPort = await freePort();
    const metricsPort = await freePort();
    const peerId = peerIdOfOperatorKey(key.publicKey).toString();
    nodes.push({
      index,
      name,
      address: key.address,
      peerId,
      multiaddr: `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${peerId}`,
      p2pPort,
      metricsPort,
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      diagnosticsUrl: `http://127.0.0.1:${metricsPort}/diagnostics`,
      storageDir,
      keyFile,
      configFile: join(storageDir, 'config.toml'),
      logFile: join(logsDir, `${name}.log`),
    });
  }
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
        Peers: nodes.filter((other) => other !== node).map((other) => other.multiaddr),
      },
      operator: { KeyFile: node.keyFile },
      chain: { URL: chain.url, BlockTime: blockTime },
      tbtc,
    });
  }
  return { dir, logsDir, chain, nodes };
}

function writeConfig(file: string, content: Record<string, Record<string, unknown>>): void {
  writeFileSync(file, `# Written by keep-client devnet.\n${stringify(content)}\n`);
  loadConfig({ file });
}
