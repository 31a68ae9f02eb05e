import type { Config } from '../config/schema.js';
import type { DkgTiming } from '../dkg/dkg-protocol.js';
import type { TbtcParameters } from '../tbtc/start-tbtc.js';

/** How the node takes part in tBTC, from the `[tbtc]` section. */
export function tbtcParametersOf(config: Config): TbtcParameters {
  const tbtc = config.tbtc;
  return {
    dkgTiming: everyPhase(tbtc.DkgPhaseBlocks),
    approvalDelayStepBlocks: tbtc.ApprovalDelayStepBlocks,
    coordination: {
      frequencyBlocks: tbtc.CoordinationFrequencyBlocks,
      activeBlocks: tbtc.CoordinationActiveBlocks,
      safeShiftBlocks: tbtc.CoordinationSafeShiftBlocks,
      heartbeatProbability: tbtc.HeartbeatProbability,
    },
    heartbeatMinimumActiveMembers: tbtc.HeartbeatMinimumActiveMembers,
    inactivity: {
      failureThreshold: tbtc.HeartbeatFailureThreshold,
      timeoutBlocks: tbtc.InactivityClaimTimeoutBlocks,
    },
    // Inactivity claims take turns as DKG results do.
    claimSubmissionStepBlocks: tbtc.ResultSubmissionStepBlocks,
    signingTimeoutBlocks: tbtc.SigningTimeoutBlocks,
    signingCoordinatorTurnBlocks: tbtc.SigningCoordinatorTurnBlocks,
  };
}

/** The beacon group DKG's timing, from the `[beacon]` section. */
export function beaconDkgTimingOf(config: Config): DkgTiming {
  return everyPhase(config.beacon.DkgPhaseBlocks);
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
