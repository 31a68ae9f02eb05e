import { LocalChain } from '../chain/local/local-chain.js';
import type { RelayParameters } from '../chain/local/random-beacon-contract.js';
import { type ChainClient, connectChain } from '../chain/rpc/chain-client.js';
import type { Chain, DkgParameters } from '../chain/types.js';
import type { Config } from '../config/schema.js';
import type { OperatorKey } from '../crypto/operator-key.js';
import type { Logger } from '../log.js';
import type { DkgTiming } from '../tbtc/dkg/dkg-protocol.js';
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

export function beaconDkgTimingOf(config: Config): DkgTiming {
  return everyPhase(config.beacon.DkgPhaseBlocks);
}

export function dkgTimingOf(config: Config): DkgTiming {
  return everyPhase(config.tbtc.DkgPhaseBlocks);
}

function everyPhase(phase: number): DkgTiming {
  return {
    announcementBlocks: phase,
    round1Blocks: phase,
    round2Blocks: phase,
    complaintBlocks: phase,
    resultSigningBlocks: phase,
  };
}

export function createLocalChain(config: Config): LocalChain {
  return new LocalChain({
    blockIntervalMs: config.chain.BlockTime,
    dkg: dkgParametersOf(config),
    beaconDkg: beaconDkgParametersOf(config),
    relay: relayParametersOf(config),
  });
}

export interface NodeChain {
  readonly chain: Chain;
  /** Set when no `[chain] URL` is configured: the chain runs in this process. */
  readonly embedded: LocalChain | undefined;
  /** Set when connected to a chain server. */
  readonly client: ChainClient | undefined;
  close(): Promise<void>;
}

/**
 * The node's chain: a connection to `[chain] URL` (registering the operator's stake there), or
 * an embedded local chain on which the operator is the one registered operator.
 */
export async function openNodeChain(config: Config, key: OperatorKey, log: Logger): Promise<NodeChain> {
  const stake = BigInt(config.chain.Stake);
  if (config.chain.URL) {
    const client = await connectChain({ url: config.chain.URL, key, log }).catch((err: Error) => {
      throw new StartupError(err.message);
    });
    const { alreadyRegistered } = await client.registerOperator(stake);
    log.info({ url: config.chain.URL, alreadyRegistered }, 'connected to the chain server');
    return { chain: client, embedded: undefined, client, close: () => client.close() };
  }
  const embedded = createLocalChain(config);
  embedded.registerOperator(key.publicKey, stake);
  return {
    chain: embedded.connect(key.address),
    embedded,
    client: undefined,
    close: async () => embedded.close(),
  };
}
