import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { CHAIN_EVENT_NAMES, type ChainEventName } from '../events.js';
import { fromWire, toWire } from '../tagged-json.js';
import type { LocalChain, LocalChainState } from './local-chain.js';

/**
 * The local chain's state on disk: one JSON file (byte arrays and bigints tagged as on the
 * chain server's wire), replaced atomically on every save.
 */

const STATE_VERSION = 2;

const bytes = z.instanceof(Uint8Array);
const hash32 = bytes.refine((value) => value.length === 32, 'must be 32 bytes');
const count = z.number().int().nonnegative();
const address = z.string().regex(/^0x[0-9a-f]{40}$/);
const members = z.array(z.object({ index: count, operator: address }));
const claimNonces = z.array(z.tuple([z.string(), count]));

const dkgResult = z.object({
  seed: bytes,
  submitterMemberIndex: count,
  groupPublicKey: bytes,
  misbehavedMembersIndices: z.array(count),
  signingMembersIndices: z.array(count),
  signatures: z.array(bytes),
});

const runningDkg = z
  .object({
    seed: bytes,
    startBlock: count,
    group: z.array(address),
    submission: z.object({ result: dkgResult, hash: bytes, block: count }).optional(),
  })
  .optional();

const registeredGroup = z.object({ groupPublicKey: bytes, members, blockNumber: count });

const dkgRegistry = z.object({ dkg: runningDkg, groups: z.array(registeredGroup), requests: count });

/**
 * Version 1 kept both registries' groups as wallets (the object strips their walletId, which is
 * derived from the key) and gave the beacon's registry claim nonces, always empty.
 */
const version1Registry = z
  .object({ dkg: runningDkg, wallets: z.array(registeredGroup), claimNonces, requests: count })
  .transform(({ wallets, ...rest }) => ({ ...rest, groups: wallets }));

function stateSchemaOf<Version extends number, Wallets extends z.ZodType, BeaconDkg extends z.ZodType>(
  version: Version,
  walletRegistry: Wallets,
  beaconDkg: BeaconDkg,
) {
  return z.object({
    version: z.literal(version),
    chainId: z.string().regex(/^[0-9a-f]{32}$/),
    blocks: z.object({ height: count, hashes: z.array(hash32).min(1) }),
    pool: z.object({
      operators: z.array(z.object({ publicKey: bytes, stake: z.bigint().positive() })),
      locked: z.boolean(),
    }),
    walletRegistry,
    beacon: z.object({
      dkg: beaconDkg,
      groups: z.array(z.object({ groupId: count, groupPublicKey: bytes, members, blockNumber: count })),
      entry: bytes,
      request: z
        .object({
          requestId: count,
          previousEntry: bytes,
          groupId: count,
          groupPublicKey: bytes,
          blockNumber: count,
        })
        .optional(),
      timedOut: z.array(count),
      nextRequestId: count,
      seeds: count,
    }),
    events: z.object({
      nextSeq: z.number().int().positive(),
      // Event data is passed on to clients as it was recorded.
      events: z.array(
        z.object({
          seq: z.number().int().positive(),
          block: count,
          name: z.enum(CHAIN_EVENT_NAMES as [ChainEventName, ...ChainEventName[]]),
          data: z.record(z.string(), z.unknown()),
        }),
      ),
    }),
  });
}

const stateSchema = stateSchemaOf(STATE_VERSION, dkgRegistry.extend({ claimNonces }), dkgRegistry);
const version1StateSchema = stateSchemaOf(
  1,
  version1Registry,
  version1Registry.transform(({ claimNonces: _, ...rest }) => rest),
);

/** The state saved at `path`, or undefined when there is no such file; a one-line Error when it is unusable. */
export function readChainState(path: string): LocalChainState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the chain state file ${path}: ${(err as Error).message}`);
  }
  let parsed: z.infer<typeof stateSchema> | z.infer<typeof version1StateSchema>;
  try {
    const raw = fromWire(JSON.parse(text));
    const schema = (raw as { version?: unknown })?.version === 1 ? version1StateSchema : stateSchema;
    const result = schema.safeParse(raw);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new Error(`${issue.path.join('.') || 'the file'}: ${issue.message}`);
    }
    parsed = result.data;
  } catch (err) {
    throw new Error(`the chain state file ${path} is corrupt (${(err as Error).message})`);
  }
  const { version: _, ...state } = parsed;
  return state as unknown as LocalChainState;
}

/** Writes the state to a temporary file, syncs it and renames it over `path`. */
export function writeChainState(path: string, state: LocalChainState): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(toWire({ version: STATE_VERSION, ...state })));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

export interface ChainPersistence {
  /** Saves once more and stops saving. */
  stop(): void;
}

/**
 * Keeps `path` up to date with the chain: saved at once after every event and operator
 * registration (so no event a client has seen is missing after a crash), and otherwise at most
 * once per `intervalMs` while blocks advance. Subscribe before anything that publishes events.
 */
export function persistChain(
  chain: LocalChain,
  path: string,
  options: { readonly intervalMs?: number; readonly onError: (error: Error) => void },
): ChainPersistence {
  let dirty = false;
  let failing = false;
  const save = () => {
    try {
      writeChainState(path, chain.snapshot());
      dirty = false;
      failing = false;
    } catch (err) {
      dirty = true;
      if (!failing)
        options.onError(new Error(`cannot save the chain state to ${path}: ${(err as Error).message}`));
      failing = true;
    }
  };
  const stops = [
    chain.events.onAppend(save),
    chain.onOperatorRegistered(save),
    chain.blocks.watchBlocks(() => {
      dirty = true;
    }),
  ];
  const timer = setInterval(() => {
    if (dirty) save();
  }, options.intervalMs ?? 1000);
  timer.unref();
  save();
  return {
    stop: () => {
      clearInterval(timer);
      for (const stop of stops) stop();
      save();
    },
  };
}
