/** The network a devnet runs: how many nodes, the wallet and beacon groups, and the block time. */
export interface DevnetShape {
  readonly nodes: number;
  readonly wallet: GroupShape;
  /** The random beacon group; its honest threshold is the BLS threshold of a relay entry. */
  readonly beacon: GroupShape;
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
  /** A signing operation that has not finished this long after it started times out. */
  readonly signingTimeoutMs: number;
  /** The chain asks for a relay entry this often (when none is pending). */
  readonly relayEveryMs: number;
  /** A relay request without an entry this long can be reported as timed out. */
  readonly relayTimeoutMs: number;
}

const QUICK: Pace = {
  dkgPhaseMs: 4_000,
  coordinationEveryMs: 10_000,
  coordinationActiveMs: 2_000,
  signingTurnMs: 2_000,
  signingTimeoutMs: 8_000,
  relayEveryMs: 10_000,
  relayTimeoutMs: 8_000,
};
const PRODUCTION: Pace = {
  dkgPhaseMs: 30_000,
  coordinationEveryMs: 30_000,
  coordinationActiveMs: 6_000,
  signingTurnMs: 5_000,
  signingTimeoutMs: 24_000,
  relayEveryMs: 30_000,
  relayTimeoutMs: 20_000,
};

export const DEFAULT_SHAPE: DevnetShape = {
  nodes: 4,
  wallet: { groupSize: 20, groupQuorum: 18, honestThreshold: 11 },
  beacon: { groupSize: 10, groupQuorum: 9, honestThreshold: 6 },
  blockTimeMs: 200,
  pace: QUICK,
};

/** The production group shapes (wallets 100 / 90 / 51, beacon 64 / 58 / 33) on the devnet's nodes. */
export const PRODUCTION_SHAPE: DevnetShape = {
  ...DEFAULT_SHAPE,
  wallet: { groupSize: 100, groupQuorum: 90, honestThreshold: 51 },
  beacon: { groupSize: 64, groupQuorum: 58, honestThreshold: 33 },
  pace: PRODUCTION,
};

/**
 * The scenario's network (`--scenario`): small groups that two stopped nodes push below their
 * thresholds, fast windows and relay requests, and a signing deadline of four windows, so a
 * heartbeat that cannot finish keeps the wallet busy until a window whose leader still runs
 * proposes the next one (leaders are drawn per window; stopped ones only cost their window).
 */
export const SCENARIO_SHAPE: DevnetShape = {
  ...DEFAULT_SHAPE,
  wallet: { groupSize: 8, groupQuorum: 8, honestThreshold: 6 },
  beacon: { groupSize: 8, groupQuorum: 8, honestThreshold: 6 },
  pace: {
    dkgPhaseMs: 4_000,
    coordinationEveryMs: 6_000,
    coordinationActiveMs: 2_000,
    signingTurnMs: 2_000,
    signingTimeoutMs: 24_000,
    relayEveryMs: 5_000,
    relayTimeoutMs: 4_000,
  },
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
  const blocks = blocksOf(shape);
  const { groupSize, groupQuorum, honestThreshold } = shape.wallet;
  const dkgPhase = blocks(shape.pace.dkgPhaseMs, 10);
  const frequency = blocks(shape.pace.coordinationEveryMs, 10);
  return {
    GroupSize: groupSize,
    GroupQuorum: groupQuorum,
    HonestThreshold: honestThreshold,
    DkgPhaseBlocks: dkgPhase,
    // Five off-chain phases, then every member's submission turn, with room to spare.
    ...dkgSubmission(groupSize, dkgPhase),
    CoordinationFrequencyBlocks: frequency,
    CoordinationActiveBlocks: Math.min(frequency - 1, blocks(shape.pace.coordinationActiveMs, 4)),
    CoordinationSafeShiftBlocks: 2,
    HeartbeatProbability: 1,
    // keep-core's 70 of 100 seats, in proportion, never below the signing threshold.
    HeartbeatMinimumActiveMembers: Math.max(honestThreshold, Math.ceil(groupSize * 0.7)),
    SigningTimeoutBlocks: blocks(shape.pace.signingTimeoutMs, 2),
    SigningCoordinatorTurnBlocks: blocks(shape.pace.signingTurnMs, 2),
  };
}

/** The `[beacon]` settings shared by the chain and every node, in the same way. */
export function beaconSettings(shape: DevnetShape): Record<string, number> {
  const blocks = blocksOf(shape);
  const { groupSize, groupQuorum, honestThreshold } = shape.beacon;
  const dkgPhase = blocks(shape.pace.dkgPhaseMs, 10);
  return {
    GroupSize: groupSize,
    GroupQuorum: groupQuorum,
    GroupThreshold: honestThreshold,
    DkgPhaseBlocks: dkgPhase,
    ...dkgSubmission(groupSize, dkgPhase),
    RelayEntryTimeoutBlocks: blocks(shape.pace.relayTimeoutMs, 4),
    RelayEntrySubmissionStepBlocks: 1,
  };
}

/** How often the chain asks for a relay entry, in blocks. */
export function relayRequestIntervalBlocks(shape: DevnetShape): number {
  return blocksOf(shape)(shape.pace.relayEveryMs, 5);
}

const SUBMISSION_STEP_BLOCKS = 3;

/** DKG result submission and approval: five off-chain phases, then every member's turn, with room to spare. */
function dkgSubmission(groupSize: number, dkgPhase: number): Record<string, number> {
  return {
    ResultSubmissionTimeoutBlocks: 6 * dkgPhase + groupSize * SUBMISSION_STEP_BLOCKS + 20,
    ResultSubmissionStepBlocks: SUBMISSION_STEP_BLOCKS,
    ResultChallengePeriodBlocks: 5,
    SubmitterPrecedencePeriodBlocks: 5,
    ApprovalDelayStepBlocks: 2,
  };
}

function blocksOf(shape: DevnetShape) {
  return (ms: number, min = 1) => Math.max(min, Math.ceil(ms / shape.blockTimeMs));
}
