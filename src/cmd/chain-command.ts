import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { persistChain, readChainState, writeChainState } from '../chain/local/chain-state-file.js';
import type { LocalChain } from '../chain/local/local-chain.js';
import { startChainServer } from '../chain/rpc/chain-server.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { createLocalChain } from './chain-setup.js';
import { StartupError } from './startup-error.js';

/** The local chain's state file in the chain server's data directory (`[storage] Dir`). */
export function chainStatePath(config: Config): string {
  return join(config.storage.Dir, 'local-chain.json');
}

/** `keep-client chain`: the local chain, served to node processes on loopback, kept in `[storage] Dir`. */
export async function startChainCommand(
  config: Config,
  log: Logger,
): Promise<{ url: string; stop(): Promise<void> }> {
  const chain = openPersistedChain(config, log);
  const persistence = persistChain(chain, chainStatePath(config), {
    onError: (err) => log.error({ err: err.message }, 'chain state not saved'),
  });
  const server = await startChainServer({ chain, host: '127.0.0.1', port: config.chain.Port, log }).catch(
    (err: Error) => {
      persistence.stop();
      chain.close();
      throw new StartupError(err.message);
    },
  );
  const stopBlocks = chain.blocks.watchBlocks((height) => {
    if (height % 100 === 0) log.debug({ height }, 'block');
  });
  log.info(
    { url: server.url, blockTimeMs: config.chain.BlockTime, groupSize: config.tbtc.GroupSize },
    'chain server started',
  );
  return {
    url: server.url,
    stop: async () => {
      stopBlocks();
      await server.close();
      persistence.stop();
      chain.close();
      log.info('chain server stopped');
    },
  };
}

/** The chain saved in the data directory, or a new one; either way saved there once before serving. */
function openPersistedChain(config: Config, log: Logger): LocalChain {
  const path = chainStatePath(config);
  let chain: LocalChain;
  try {
    mkdirSync(config.storage.Dir, { recursive: true });
    const state = readChainState(path);
    try {
      chain = createLocalChain(config, state);
    } catch (err) {
      throw new Error(`cannot restore the chain state from ${path}: ${(err as Error).message}`);
    }
    if (state) {
      const { blocks, pool, walletRegistry, beacon } = state;
      log.info(
        {
          path,
          height: blocks.height,
          operators: pool.operators.length,
          wallets: walletRegistry.groups.length,
          beaconGroups: beacon.groups.length,
        },
        'restored the local chain',
      );
    } else {
      log.info({ path }, 'started a new local chain');
    }
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  try {
    writeChainState(path, chain.snapshot());
  } catch (err) {
    chain.close();
    throw new StartupError(`cannot save the chain state to ${path}: ${(err as Error).message}`);
  }
  return chain;
}
