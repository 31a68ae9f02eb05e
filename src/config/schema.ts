import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDuration } from './duration.js';

type FlagKind = 'integer' | 'number' | 'string' | 'list' | 'boolean';

/** One configuration key: its schema, its default (as written in a file) and its doc line. */
export interface Field<T = unknown> {
  readonly schema: z.ZodType<T>;
  readonly fileDefault: unknown;
  readonly flagKind: FlagKind;
  readonly doc: string;
}

const field = <T>(schema: z.ZodType<T>, fileDefault: unknown, flagKind: FlagKind, doc: string): Field<T> => ({
  schema,
  fileDefault,
  flagKind,
  doc,
});

const PORT_RANGE = { error: 'must be an integer from 0 to 65535' };
const port = (fallback: number, doc: string) =>
  field(
    z.number(PORT_RANGE).int(PORT_RANGE).min(0, PORT_RANGE).max(65535, PORT_RANGE),
    fallback,
    'integer',
    doc,
  );

/** Node's timers hold at most 2^31 − 1 ms (24.8 days); a longer one fires at once. */
export const MAX_DURATION = '596h';
const MAX_DURATION_MS = 596 * 3_600_000;

const duration = (fallback: string, doc: string) =>
  field(
    z.string({ error: 'must be a duration string such as "30s" or "1m"' }).transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a positive duration such as "30s", "1m" or "1m30s"',
        });
        return z.NEVER;
      }
      if (ms > MAX_DURATION_MS) {
        ctx.addIssue({
          code: 'custom',
          message: `must be at most "${MAX_DURATION}" (timers cannot wait longer)`,
        });
        return z.NEVER;
      }
      return ms;
    }),
    fallback,
    'string',
    doc,
  );

const text = (fallback: string, doc: string) =>
  field(
    z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
    fallback,
    'string',
    doc,
  );

const ipAddress = (fallback: string, doc: string) =>
  field(
    z
      .string({ error: 'must be a string' })
      .refine((value) => isIP(value) !== 0, { error: 'must be an IP address such as 127.0.0.1 or ::1' }),
    fallback,
    'string',
    doc,
  );

const optionalText = (doc: string) =>
  field(
    z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).optional(),
    undefined,
    'string',
    doc,
  );

const textList = (doc: string, item: z.ZodString = z.string()) =>
  field(z.array(item, { error: 'must be a list of strings' }), [], 'list', doc);

const count = (fallback: number, min: number, doc: string) => {
  const rule = { error: `must be an integer of at least ${min}` };
  return field(z.number(rule).int(rule).min(min, rule), fallback, 'integer', doc);
};

const fraction = (fallback: number, doc: string) => {
  const rule = { error: 'must be a number from 0 to 1' };
  return field(z.number(rule).min(0, rule).max(1, rule), fallback, 'number', doc);
};

const CHAIN_URL = z
  .string({ error: 'must be a string' })
  .regex(/^tcp:\/\/[^/:]+:\d+$/, { error: 'must be a chain server URL like tcp://127.0.0.1:8545' })
  .optional();

const MULTIADDR = z
  .string({ error: 'must be a list of strings' })
  .regex(/^\/(ip4|ip6|dns|dns4|dns6)\/[^/]+\/tcp\/\d+\/p2p\/\w+$/, {
    error: 'must be multiaddrs like /ip4/127.0.0.1/tcp/3919/p2p/16Uiu2...',
  });
const OPERATOR_ADDRESS = z
  .string({ error: 'must be a list of strings' })
  .regex(/^0x[0-9a-fA-F]{40}$/, { error: 'must be operator addresses like 0x1234...abcd (20 bytes hex)' });

/**
 * Every section and key the node accepts. Keys are matched case-insensitively in files;
 * flags are `--<section>.<key>` with a lower-case first letter (`--clientInfo.port`).
 */
export const CONFIG_SCHEMA = {
  ClientInfo: {
    Port: port(9601, 'HTTP port serving /metrics and /diagnostics; 0 disables both and all metric recording'),
    Address: ipAddress('127.0.0.1', 'IP address the /metrics and /diagnostics server binds to'),
    NetworkMetricsTick: duration(
      '1m',
      'How often connected_peers_count and connected_bootstrap_count are sampled',
    ),
    EthereumMetricsTick: duration('10m', 'How often eth_connectivity is sampled'),
    BitcoinMetricsTick: duration('10m', 'How often btc_connectivity is sampled'),
  },
  storage: {
    Dir: text('keep-data', 'Directory for the node’s keys and data (created with mode 0700 if missing)'),
  },
  network: {
    Port: port(3919, 'libp2p TCP listen port (0 picks a free port)'),
    Address: ipAddress('0.0.0.0', 'IP address libp2p listens on'),
    Peers: textList(
      'Bootstrap peers, multiaddrs with /p2p/<peer id>; kept connected and always allowed',
      MULTIADDR,
    ),
    AllowedOperators: textList(
      'Operator addresses allowed to connect (the firewall); empty lets any operator in',
      OPERATOR_ADDRESS,
    ),
    PingTimeout: duration('60s', 'Timeout of the ping test run once per new peer connection'),
  },
  operator: {
    KeyFile: optionalText(
      'Encrypted operator key file (password from KEEP_OPERATOR_PASSWORD); default: <storage.Dir>/operator-key.json, generated on first start',
    ),
  },
  chain: {
    URL: field(
      CHAIN_URL,
      undefined,
      'string',
      'Chain server (keep-client chain) to use, tcp://host:port; unset runs an embedded local chain in-process',
    ),
    Port: port(8545, 'Port keep-client chain serves the local chain on (loopback)'),
    BlockTime: duration('1s', 'Block interval of the local chain (embedded or served)'),
    Stake: count(
      1000,
      1,
      'Stake this operator registers with on the local chain (its group-selection weight)',
    ),
    RelayRequestIntervalBlocks: count(
      0,
      0,
      'Devnet: the local chain requests a relay entry every this many blocks when none is pending (0 = only on demand)',
    ),
  },
  tbtc: {
    GroupSize: count(100, 1, 'Seats in a wallet group (local chain parameter)'),
    GroupQuorum: count(90, 1, 'Seats that must take part for a DKG to succeed (local chain parameter)'),
    HonestThreshold: count(51, 1, 'Signers needed for a wallet signature (local chain parameter)'),
    DkgPhaseBlocks: count(
      10,
      1,
      'Longest each off-chain DKG phase may take, in blocks (it ends early when all members answered)',
    ),
    ResultSubmissionTimeoutBlocks: count(
      536,
      1,
      'Blocks after DkgStarted within which a result must be approved (local chain parameter)',
    ),
    ResultSubmissionStepBlocks: count(3, 0, 'Blocks between the submission turns of consecutive members'),
    ResultChallengePeriodBlocks: count(
      10,
      1,
      'Blocks a submitted result can be challenged (production: 11520)',
    ),
    SubmitterPrecedencePeriodBlocks: count(
      5,
      0,
      'Blocks after the challenge period in which only the submitter may approve (production: 20)',
    ),
    ApprovalDelayStepBlocks: count(
      2,
      0,
      'Blocks between the approval turns of consecutive members (production: 15)',
    ),
    CoordinationFrequencyBlocks: count(900, 2, 'A coordination window opens every this many blocks'),
    CoordinationActiveBlocks: count(
      80,
      1,
      'Blocks of a window in which the leader proposes and followers listen',
    ),
    CoordinationSafeShiftBlocks: count(32, 0, 'The window seed uses the hash of the block this far back'),
    HeartbeatProbability: fraction(
      0.0625,
      'Chance that a window’s checklist includes a heartbeat (1 = every window)',
    ),
    HeartbeatMinimumActiveMembers: count(70, 1, 'A heartbeat with fewer active seats counts as failed'),
    HeartbeatFailureThreshold: count(
      3,
      1,
      'Consecutive failed heartbeats after which members submit an inactivity claim',
    ),
    InactivityClaimTimeoutBlocks: count(
      275,
      1,
      'Blocks an inactivity claim may take to gather signatures and land',
    ),
    SigningTimeoutBlocks: count(300, 1, 'Blocks a signing operation may take before it times out'),
    SigningCoordinatorTurnBlocks: count(
      10,
      1,
      'Blocks each signing coordinator gets before the next one takes over',
    ),
  },
  beacon: {
    GroupSize: count(64, 1, 'Seats in a random beacon group (local chain parameter)'),
    GroupQuorum: count(
      58,
      1,
      'Seats that must take part for a beacon group DKG to succeed (local chain parameter)',
    ),
    GroupThreshold: count(
      33,
      1,
      'Signature shares needed for a relay entry (the BLS threshold; local chain parameter)',
    ),
    DkgPhaseBlocks: count(
      10,
      1,
      'Longest each off-chain beacon DKG phase may take, in blocks (it ends early when all members answered)',
    ),
    ResultSubmissionTimeoutBlocks: count(
      536,
      1,
      'Blocks after the beacon DkgStarted within which a group must be approved (local chain parameter)',
    ),
    ResultSubmissionStepBlocks: count(
      3,
      0,
      'Blocks between the beacon DKG result submission turns of consecutive members',
    ),
    ResultChallengePeriodBlocks: count(10, 1, 'Blocks a submitted beacon DKG result can be challenged'),
    SubmitterPrecedencePeriodBlocks: count(
      5,
      0,
      'Blocks after the challenge period in which only the submitter may approve the beacon group',
    ),
    ApprovalDelayStepBlocks: count(2, 0, 'Blocks between the approval turns of consecutive members'),
    RelayEntryTimeoutBlocks: count(
      64,
      1,
      'Blocks after a relay entry request after which it can be reported as timed out (local chain parameter)',
    ),
    RelayEntrySubmissionStepBlocks: count(
      1,
      0,
      'Blocks between the relay entry submission turns of consecutive members (local chain parameter)',
    ),
  },
} as const satisfies Record<string, Record<string, Field>>;

/** Keys whose value may not exceed another key's of the same section: [section, key, limit key]. */
export const AT_MOST: readonly (readonly [string, string, string])[] = [
  ['tbtc', 'GroupQuorum', 'GroupSize'],
  ['tbtc', 'HonestThreshold', 'GroupSize'],
  ['beacon', 'GroupQuorum', 'GroupSize'],
  ['beacon', 'GroupThreshold', 'GroupSize'],
];

export type ConfigSchema = typeof CONFIG_SCHEMA;
export type SectionName = keyof ConfigSchema;
type ValueOf<F> = F extends Field<infer T> ? T : never;
export type Config = {
  readonly [S in SectionName]: { readonly [K in keyof ConfigSchema[S]]: ValueOf<ConfigSchema[S][K]> };
};

export const SECTION_NAMES = Object.keys(CONFIG_SCHEMA) as SectionName[];

export function fieldsOf(section: SectionName): [string, Field][] {
  return Object.entries(CONFIG_SCHEMA[section] as Record<string, Field>);
}

/** `ClientInfo` → `clientInfo`, `KeyFile` → `keyFile`, `URL` → `url`. */
const lowerFirst = (s: string) =>
  s === s.toUpperCase() ? s.toLowerCase() : s.charAt(0).toLowerCase() + s.slice(1);

/** The command-line flag of a key, as keep-core spells it: `--clientInfo.port`. */
export function flagName(section: SectionName, key: string): string {
  return `${lowerFirst(section)}.${lowerFirst(key)}`;
}

/** A default as written in a config file, for --help and docs. */
export function describeDefault(value: unknown): string {
  if (value === undefined) return 'none';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',');
  return typeof value === 'string' ? value : JSON.stringify(value);
}
