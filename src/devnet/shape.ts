/** The network a devnet runs: how many nodes, the wallet group, and the block time. */
export interface DevnetShape {
  readonly nodes: number;
  readonly wallet: GroupShape;
  readonly blockTimeMs: number;
  /** Seconds-scale timing: small for a quick look, long enough for 100-seat groups in production shape. */
  readonly pace: Pace;
}

export interface GroupShape {
  readonly groupSize: number;
  readonly groupQuorum: number;
  readonly honestThreshold: number;
}

/** Wall-clock targets the block-denominated settings are derived from. */
export interface Pace {
  readonly dkgPhaseMs: number;
  readonly coordinationEveryMs: number;
  readonly coordinationActiveMs: number;
  readonly signingTurnMs: number;
}

const QUICK: Pace = {
  dkgPhaseMs: 4_000,
  coordinationEveryMs: 10_000,
  coordinationActiveMs: 2_000,
  signingTurnMs: 2_000,
};
const PRODUCTION: Pace = {
  dkgPhaseMs: 30_000,
  coordinationEveryMs: 30_000,
  coordinationActiveMs: 6_000,
  signingTurnMs: 5_000,
};

export const DEFAULT_SHAPE: DevnetShape = {
  nodes: 4,
  wallet: { groupSize: 20, groupQuorum: 18, honestThreshold: 11 },
  blockTimeMs: 200,
  pace: QUICK,
};

/** The README's production group shape (wallets 100 / 90 / 51) on the devnet's nodes. */
export const PRODUCTION_SHAPE: DevnetShape = {
  ...DEFAULT_SHAPE,
  wallet: { groupSize: 100, groupQuorum: 90, honestThreshold: 51 },
  pace: PRODUCTION,
};

/** Quorum and threshold in the production proportions (90 % and a majority) for a group size. */
export function proportionalGroup(groupSize: number): GroupShape {
  return {
    groupSize,
    groupQuorum: Math.ceil(groupSize * 0.9),
    honestThreshold: Math.floor(groupSize / 2) + 1,
  };
}

/**
 * The `[tbtc]` settings shared by the chain and every node: the group shape, and block counts
 * derived from the pace at this block time. A heartbeat runs in every coordination window.
 */
export function tbtcSettings(shape: DevnetShape): Record<string, number> {
  const blocks = (ms: number, min = 1) => Math.max(min, Math.ceil(ms / shape.blockTimeMs));
  const { groupSize, groupQuorum, honestThreshold } = shape.wallet;
  const dkgPhase = blocks(shape.pace.dkgPhaseMs, 10);
  const submissionStep = 3;
  const frequency = blocks(shape.pace.coordinationEveryMs, 10);
  return {
    GroupSize: groupSize,
    GroupQuorum: groupQuorum,
    HonestThreshold: honestThreshold,
    DkgPhaseBlocks: dkgPhase,
    // Five off-chain phases, then every member's submission turn, with room to spare.
    ResultSubmissionTimeoutBlocks: 6 * dkgPhase + groupSize * submissionStep + 20,
    ResultSubmissionStepBlocks: submissionStep,
    ResultChallengePeriodBlocks: 5,
    SubmitterPrecedencePeriodBlocks: 5,
    ApprovalDelayStepBlocks: 2,
    CoordinationFrequencyBlocks: frequency,
    CoordinationActiveBlocks: Math.min(frequency - 1, blocks(shape.pace.coordinationActiveMs, 4)),
    CoordinationSafeShiftBlocks: 2,
    HeartbeatProbability: 1,
    // keep-core's 70 of 100 seats, in proportion, never below the signing threshold.
    HeartbeatMinimumActiveMembers: Math.max(honestThreshold, Math.ceil(groupSize * 0.7)),
    SigningTimeoutBlocks: Math.floor(frequency * 0.8),
    SigningCoordinatorTurnBlocks: blocks(shape.pace.signingTurnMs, 2),
  };
}
