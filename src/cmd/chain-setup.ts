import { LocalChain } from '../chain/local/local-chain.js';
import type { DkgParameters } from '../chain/types.js';
import type { Config } from '../config/schema.js';
import type { DkgTiming } from '../tbtc/dkg/dkg-protocol.js';

/** The wallet registry's DKG parameters of a local chain (embedded or served), from the config. */
export function dkgParametersOf(config: Config): DkgParameters {
  const tbtc = config.tbtc;
  return {
    groupSize: tbtc.GroupSize,
    groupQuorum: tbtc.GroupQuorum,
    honestThreshold: tbtc.HonestThreshold,
    resultSubmissionTimeoutBlocks: tbtc.ResultSubmissionTimeoutBlocks,
    // Member at seat p may submit from DkgStarted + (p − 1) · step: the first qualified member
    // submits as soon as the DKG is done, the next ones only if it did not.
    resultSubmissionStartOffsetBlocks: 0,
    resultSubmissionStepBlocks: tbtc.ResultSubmissionStepBlocks,
    resultChallengePeriodBlocks: tbtc.ResultChallengePeriodBlocks,
    submitterPrecedencePeriodBlocks: tbtc.SubmitterPrecedencePeriodBlocks,
  };
}

export function dkgTimingOf(config: Config): DkgTiming {
  const phase = config.tbtc.DkgPhaseBlocks;
  return {
    announcementBlocks: phase,
    round1Blocks: phase,
    round2Blocks: phase,
    complaintBlocks: phase,
    resultSigningBlocks: phase,
  };
}

export function createLocalChain(config: Config): LocalChain {
  return new LocalChain({ blockIntervalMs: config.chain.BlockTime, dkg: dkgParametersOf(config) });
}
