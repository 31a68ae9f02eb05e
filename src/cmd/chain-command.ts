import { startChainServer } from '../chain/rpc/chain-server.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { createLocalChain } from './chain-setup.js';
import { StartupError } from './startup-error.js';

/** `keep-client chain`: the local chain, served to node processes on loopback. */
export async function startChainCommand(
  config: Config,
  log: Logger,
): Promise<{ url: string; stop(): Promise<void> }> {
  const chain = createLocalChain(config);
  const server = await startChainServer({ chain, host: '127.0.0.1', port: config.chain.Port, log }).catch(
    (err: Error) => {
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
      chain.close();
      log.info('chain server stopped');
    },
  };
}
