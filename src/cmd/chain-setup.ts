import { join } from 'node:path';
import { LocalChain, type LocalChainState } from '../chain/local/local-chain.js';
import type { RelayParameters } from '../chain/local/random-beacon-contract.js';
import { type ChainClient, connectChain } from '../chain/rpc/chain-client.js';
import { FileEventCursorStore } from '../chain/rpc/event-cursor.js';
import type { Chain, DkgParameters } from '../chain/types.js';
import type { Config } from '../config/schema.js';
import type { OperatorKey } from '../crypto/operator-key.js';
import type { Logger } from '../log.js';
import { StartupError } from './startup-error.js';

/** The wallet registry's DKG parameters of a local chain (embedded or served), from the config. */
export function dkgParametersOf(config: Config): DkgParameters {
  return registryDkgParameters(config.tbtc, config.tbtc.HonestThreshold);
}

/** The random beacon's group DKG parameters of a local chain, from the config. */
export function beaconDkgParametersOf(config: Config): DkgParameters {
  return registryDkgParameters(config.beacon, config.beacon.GroupThreshold);
}

/** The `[tbtc]` and `[beacon]` sections name a registry's DKG settings alike. */
function registryDkgParameters(
  section: Config['tbtc'] | Config['beacon'],
  honestThreshold: number,
): DkgParameters {
  return {
    groupSize: section.GroupSize,
    groupQuorum: section.GroupQuorum,
    honestThreshold,
    resultSubmissionTimeoutBlocks: section.ResultSubmissionTimeoutBlocks,
    // Member at seat p may submit from DkgStarted + (p − 1) · step: the first qualified member
    // submits as soon as the DKG is done, the next ones only if it did not.
    resultSubmissionStartOffsetBlocks: 0,
    resultSubmissionStepBlocks: section.ResultSubmissionStepBlocks,
    resultChallengePeriodBlocks: section.ResultChallengePeriodBlocks,
    submitterPrecedencePeriodBlocks: section.SubmitterPrecedencePeriodBlocks,
  };
}

/** The random beacon's relay parameters of a local chain, from the config. */
export function relayParametersOf(config: Config): RelayParameters {
  return {
    relayEntryTimeoutBlocks: config.beacon.RelayEntryTimeoutBlocks,
    relayEntrySubmissionStepBlocks: config.beacon.RelayEntrySubmissionStepBlocks,
    relayRequestIntervalBlocks: config.chain.RelayRequestIntervalBlocks,
  };
}

/** A local chain with the config's parameters, continuing from `state` when given. */
export function createLocalChain(config: Config, state?: LocalChainState): LocalChain {
  return new LocalChain({
    blockIntervalMs: config.chain.BlockTime,
    dkg: dkgParametersOf(config),
    beaconDkg: beaconDkgParametersOf(config),
    relay: relayParametersOf(config),
    state,
  });
}

/** Where a node keeps the position of the last chain event it processed. */
export function eventCursorPath(config: Config): string {
  return join(config.storage.Dir, 'chain-event-cursor.json');
}

export interface NodeChain {
  readonly chain: Chain;
  /** Set when no `[chain] URL` is configured: the chain runs in this process. */
  readonly embedded: LocalChain | undefined;
  /** Set when connected to a chain server. */
  readonly client: ChainClient | undefined;
  /**
   * Starts delivering chain server events, those missed since the node last ran first; call
   * once the node's listeners are subscribed.
   */
  startEvents(): void;
  close(): Promise<void>;
}

/**
 * The node's chain: a connection to `[chain] URL` (registering the operator's stake there), or
 * an embedded local chain on which the operator is the one registered operator.
 */
export async function openNodeChain(config: Config, key: OperatorKey, log: Logger): Promise<NodeChain> {
  const stake = BigInt(config.chain.Stake);
  if (config.chain.URL) {
    const client = await connectChain({
      url: config.chain.URL,
      key,
      log,
      cursor: new FileEventCursorStore(eventCursorPath(config)),
      holdEvents: true,
    }).catch((err: Error) => {
      throw new StartupError(err.message);
    });
    const { alreadyRegistered } = await client.registerOperator(stake);
    log.info({ url: config.chain.URL, alreadyRegistered }, 'connected to the chain server');
    const stopRegistering = keepOperatorRegistered(client, stake, log);
    return {
      chain: client,
      embedded: undefined,
      client,
      startEvents: () => client.startEvents(),
      close: async () => {
        stopRegistering();
        await client.close();
      },
    };
  }
  const embedded = createLocalChain(config);
  embedded.registerOperator(key.publicKey, stake);
  return {
    chain: embedded.connect(key.address),
    embedded,
    client: undefined,
    startEvents: () => {},
    close: async () => embedded.close(),
  };
}

/**
 * After every reconnection the operator registers again (a chain server that lost its state
 * no longer knows it; one that kept it answers "already registered"). While the chain refuses
 * (a DKG holds the pool locked) it retries on each new block.
 */
export function keepOperatorRegistered(client: ChainClient, stake: bigint, log: Logger): () => void {
  let needed = false;
  let attempting = false;
  let refusedBefore = false;
  const attempt = async () => {
    if (attempting || !needed) return;
    attempting = true;
    try {
      const { alreadyRegistered } = await client.registerOperator(stake);
      needed = false;
      refusedBefore = false;
      if (!alreadyRegistered) {
        log.warn(
          { operator: client.operator },
          'the chain server did not know this operator: registered it again',
        );
      }
    } catch (err) {
      if (!refusedBefore) {
        log.warn(
          { err: (err as Error).message },
          'cannot register the operator again yet; retrying each block',
        );
      }
      refusedBefore = true;
    } finally {
      attempting = false;
    }
  };
  const stopConnection = client.onConnectionChange((connected) => {
    if (!connected) return;
    needed = true;
    void attempt();
  });
  const stopBlocks = client.blocks.watchBlocks(() => void attempt());
  return () => {
    stopConnection();
    stopBlocks();
  };
}
