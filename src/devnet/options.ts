import type { Command } from 'commander';
import { formatDuration, parseDuration } from '../config/duration.js';
import { ConfigError } from '../config/load.js';
import {
  DEFAULT_SHAPE,
  type DevnetShape,
  PRODUCTION_SHAPE,
  proportionalGroup,
  SCENARIO_SHAPE,
} from './shape.js';

/** The flags of `keep-client devnet`, as commander hands them over. */
export interface DevnetFlags {
  nodes?: string;
  groupSize?: string;
  groupQuorum?: string;
  threshold?: string;
  beaconGroupSize?: string;
  beaconThreshold?: string;
  blockTime?: string;
  productionShape?: boolean;
  scenario?: boolean;
  dir?: string;
  duration?: string;
  prometheus?: boolean;
}

export interface DevnetSettings {
  readonly shape: DevnetShape;
  /** Unset: a fresh temporary directory. */
  readonly dir: string | undefined;
  /** Unset: until SIGINT or SIGTERM. */
  readonly durationMs: number | undefined;
  readonly prometheus: boolean;
  /** Run the deterministic scenario instead of just requesting the groups. */
  readonly scenario: boolean;
}

export const MAX_NODES = 64;

function integer(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max)
    throw new ConfigError(`--${flag} = ${JSON.stringify(text)}: must be an integer from ${min} to ${max}`);
  return value;
}

function duration(flag: string, text: string | undefined, minMs: number): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms < minMs)
    throw new ConfigError(
      `--${flag} = ${JSON.stringify(text)}: must be a duration of at least ${minMs} ms such as "250ms", "30s" or "2m"`,
    );
  return ms;
}

/**
 * Validates the flags. `--production-shape` picks the production group shape; explicit group
 * flags override it, and a group size alone gets quorum and threshold in production proportions.
 */
export function devnetSettings(flags: DevnetFlags): DevnetSettings {
  if (flags.productionShape && flags.scenario)
    throw new ConfigError('--production-shape and --scenario: choose one (the scenario has its own shape)');
  const preset = flags.productionShape ? PRODUCTION_SHAPE : flags.scenario ? SCENARIO_SHAPE : DEFAULT_SHAPE;
  const nodes = integer('nodes', flags.nodes, 1, MAX_NODES) ?? preset.nodes;
  // FROST needs at least two signers.
  const groupSize = integer('group-size', flags.groupSize, 2, 1000);
  const base = groupSize === undefined ? preset.wallet : proportionalGroup(groupSize);
  const wallet = {
    groupSize: base.groupSize,
    groupQuorum: integer('group-quorum', flags.groupQuorum, 1, base.groupSize) ?? base.groupQuorum,
    honestThreshold: integer('threshold', flags.threshold, 2, base.groupSize) ?? base.honestThreshold,
  };
  if (wallet.honestThreshold > wallet.groupQuorum)
    throw new ConfigError(
      `--threshold = ${wallet.honestThreshold}: must not exceed the group quorum (${wallet.groupQuorum})`,
    );
  const beaconSize = integer('beacon-group-size', flags.beaconGroupSize, 1, 1000);
  const beaconBase = beaconSize === undefined ? preset.beacon : proportionalGroup(beaconSize);
  const beacon = {
    ...beaconBase,
    honestThreshold:
      integer('beacon-threshold', flags.beaconThreshold, 1, beaconBase.groupQuorum) ??
      beaconBase.honestThreshold,
  };
  const blockTimeMs = duration('block-time', flags.blockTime, 10) ?? preset.blockTimeMs;
  if (flags.dir !== undefined && flags.dir.trim() === '')
    throw new ConfigError('--dir = "": must be a directory path');
  return {
    shape: { ...preset, nodes, wallet, beacon, blockTimeMs },
    dir: flags.dir,
    durationMs: duration('duration', flags.duration, 1),
    prometheus: flags.prometheus ?? true,
    scenario: flags.scenario ?? false,
  };
}

/** The flags of `keep-client devnet`; their help shows the real defaults. */
export function addDevnetOptions(command: Command): Command {
  const { nodes, wallet, beacon, blockTimeMs } = DEFAULT_SHAPE;
  const production = PRODUCTION_SHAPE.wallet;
  const productionBeacon = PRODUCTION_SHAPE.beacon;
  return command
    .option('--nodes <n>', `number of node processes (default: ${nodes})`)
    .option(
      '--group-size <n>',
      `seats in the wallet group (default: ${wallet.groupSize}); quorum and threshold follow at 90 % and a majority`,
    )
    .option('--group-quorum <n>', `seats the wallet DKG needs to succeed (default: ${wallet.groupQuorum})`)
    .option('--threshold <n>', `signers needed for a wallet signature (default: ${wallet.honestThreshold})`)
    .option(
      '--beacon-group-size <n>',
      `seats in the beacon group (default: ${beacon.groupSize}); quorum and threshold follow at 90 % and a majority`,
    )
    .option(
      '--beacon-threshold <n>',
      `signature shares needed for a relay entry (default: ${beacon.honestThreshold})`,
    )
    .option(
      '--block-time <duration>',
      `block interval of the chain (default: ${formatDuration(blockTimeMs)})`,
    )
    .option(
      '--production-shape',
      `the production groups (wallet ${production.groupSize} seats, quorum ${production.groupQuorum}, threshold ${production.honestThreshold}; beacon ${productionBeacon.groupSize}/${productionBeacon.groupQuorum}/${productionBeacon.honestThreshold}) with slower timing`,
    )
    .option(
      '--scenario',
      'run the deterministic scenario that drives every metric family, failure paths included (small groups, two nodes stopped mid-way)',
    )
    .option(
      '--dir <path>',
      'new or empty directory for keys, configs, data and logs (default: a fresh temporary directory)',
    )
    .option('--duration <duration>', 'stop after this long, e.g. 90s (default: until Ctrl-C or SIGTERM)')
    .option('--no-prometheus', 'do not start Prometheus even when it is installed');
}
