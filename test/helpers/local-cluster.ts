import { pino } from 'pino';
import { LocalChain, type LocalChainOptions } from '../../src/chain/local/local-chain.js';
import type { OperatorKey } from '../../src/crypto/operator-key.js';
import { LocalNetwork } from '../../src/net/local/local-network.js';
import { ManualTicker } from '../../src/net/retransmission.js';
import type { Provider } from '../../src/net/types.js';
import { type Behaviour, byzantineProvider } from './byzantine.js';
import { scrapedRecorder } from './metrics.js';

/** Short DKG phases for in-process clusters (blocks of tens of milliseconds). */
export const TEST_TIMING = {
  announcementBlocks: 6,
  round1Blocks: 6,
  round2Blocks: 6,
  complaintBlocks: 6,
  resultSigningBlocks: 6,
};

/**
 * What every in-process cluster shares: one local chain, one in-memory network whose
 * retransmissions tick with the chain's blocks, a logger (TEST_LOG_LEVEL), and per node a
 * scraped recorder and a provider, byzantine for the operators `byzantine` names.
 */
export function localCluster(options: {
  chain: LocalChainOptions;
  /** Byzantine operators: node index → what they do to their outgoing messages. */
  byzantine?: Readonly<Record<number, Behaviour>>;
}) {
  const chain = new LocalChain(options.chain);
  const network = new LocalNetwork();
  const ticker = new ManualTicker();
  const stopTicks = chain.blocks.watchBlocks(() => ticker.tick());
  const keepAlive = setInterval(() => {}, 1000); // the chain's block timer does not hold the process
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  return {
    chain,
    network,
    ticker,
    log,
    /** A node's recorder, provider (byzantine when `byzantine[index]` says so) and logger. */
    join(
      key: OperatorKey,
      index: number,
    ): {
      metrics: ReturnType<typeof scrapedRecorder>;
      provider: Provider;
      log: typeof log;
    } {
      const metrics = scrapedRecorder();
      const honest = network.join(key, { recorder: metrics.recorder, ticker });
      const behaviour = options.byzantine?.[index];
      const provider = behaviour ? byzantineProvider(honest, network, behaviour) : honest;
      return { metrics, provider, log: log.child({ operator: key.address.slice(0, 8) }) };
    },
    /** Stops the chain and the ticks (the nodes are stopped by their cluster first). */
    stop() {
      stopTicks();
      clearInterval(keepAlive);
      chain.close();
    },
  };
}
