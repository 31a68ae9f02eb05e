import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import { BlockEngine } from '../../src/chain/local/block-engine.js';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { type DkgOutcome, runDkgProtocol } from '../../src/dkg/dkg-protocol.js';
import { Inbox } from '../../src/dkg/inbox.js';
import { DKG_CODECS } from '../../src/dkg/messages.js';
import { LocalNetwork } from '../../src/net/local/local-network.js';
import { ManualTicker } from '../../src/net/retransmission.js';
import { SessionRouter } from '../../src/net/session-router.js';
import { type Behaviour, byzantineProvider, type Outgoing } from '../helpers/byzantine.js';
import { prng, type Rng } from '../helpers/prng.js';

/**
 * A registered member (valid operator key, a seat in the group) sends random and mutated
 * messages of every DKG message type; the honest members' runs must end in success, all with
 * the same key and either no exclusion or exactly the fuzzer's seats — never an exception.
 */

const ITERATIONS = Number(process.env.DKG_FUZZ_ITERATIONS ?? 40);
const SEED = Number(process.env.DKG_FUZZ_SEED ?? 0x5eed);
const TYPES = Object.values(DKG_CODECS).map((codec) => codec.type);
const TIMING = {
  announcementBlocks: 4,
  round1Blocks: 4,
  round2Blocks: 4,
  complaintBlocks: 4,
  resultSigningBlocks: 4,
};

/** Something a peer might put where a value was. */
function junk(rng: Rng, members: readonly string[]): unknown {
  return rng.pick<() => unknown>([
    () => rng.hex(rng.int(70)),
    () => `0${rng.hex(16)}`, // odd length
    () => `${rng.pick(['02', '03'])}${rng.hex(32)}`, // point-shaped, on the curve half the time
    () => 'ff'.repeat(rng.pick([32, 33, 65, 128])),
    () => '00'.repeat(rng.pick([32, 33, 65])),
    () => rng.pick(members),
    () => rng.int(70000) - 2,
    () => null,
    () => [],
    () => ({}),
    () => 'x'.repeat(rng.int(300)),
  ])();
}

/** One random edit somewhere in a JSON value. */
function mutate(value: unknown, rng: Rng, members: readonly string[]): unknown {
  if (Array.isArray(value)) {
    if (value.length === 0 || rng.next() < 0.2) return [...value, junk(rng, members)];
    const i = rng.int(value.length);
    const op = rng.int(4);
    if (op === 0) return value.filter((_, j) => j !== i);
    if (op === 1) return [...value, value[i]];
    return value.map((v, j) => (j === i ? mutate(v, rng, members) : v));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 || rng.next() < 0.15)
      return { ...value, [rng.pick(members)]: junk(rng, members) };
    const [key] = rng.pick(entries);
    const op = rng.int(5);
    const copy = { ...(value as Record<string, unknown>) };
    if (op === 0) delete copy[key];
    else copy[key] = mutate(copy[key], rng, members);
    return copy;
  }
  if (typeof value === 'string' && value.length > 0 && rng.next() < 0.6) {
    const i = rng.int(value.length);
    const flipped = ((Number.parseInt(value[i]!, 16) || 0) ^ (1 + rng.int(15))).toString(16);
    return value.slice(0, i) + flipped + value.slice(i + 1);
  }
  return junk(rng, members);
}

/** What the fuzzer does with one of its outgoing messages. */
function fuzzing(rng: Rng, members: readonly string[], target: string): Behaviour {
  const crafted = (type: string, payload: unknown): Outgoing => {
    const p = payload as Record<string, unknown>;
    if (type === 'dkg/complaints' && rng.next() < 0.5) {
      // A complaint about someone, revealing a key that may or may not be a valid scalar.
      const revealedKey = rng.pick([rng.hex(32), 'ff'.repeat(32), '00'.repeat(32), rng.hex(rng.int(40))]);
      return { type, payload: { ...p, complaints: [{ accused: rng.pick(members), revealedKey }] } };
    }
    if (rng.next() < 0.15) return { type, bytes: rng.bytes(rng.int(200)) }; // not even JSON
    let mutated: unknown = p;
    for (let n = 1 + rng.int(3); n > 0; n--) mutated = mutate(mutated, rng, members);
    return { type, payload: mutated };
  };
  return (message) => {
    if (message.type !== target && rng.next() < 0.8) return undefined;
    const plan: Outgoing[] = [];
    const roll = rng.next();
    if (roll < 0.6) plan.push(crafted(message.type, message.payload));
    else if (roll < 0.8)
      plan.push({ type: message.type, payload: message.payload }, crafted(message.type, message.payload));
    else plan.push(crafted(message.type, message.payload), { type: message.type, payload: message.payload });
    if (rng.next() < 0.3) {
      // A result signature out of turn: random or mutated, right in the middle of the rounds.
      const session = (message.payload as { session: string }).session;
      plan.push({
        type: 'dkg/result-signature',
        payload: mutate({ session, resultHash: rng.hex(32), signature: rng.hex(64) }, rng, members),
      });
    }
    return plan;
  };
}

const engines: BlockEngine[] = [];
after(() => {
  for (const engine of engines) engine.close();
});

test(`fuzz: ${ITERATIONS} DKG runs against a member sending random and mutated messages of every type`, {
  timeout: 900_000,
}, async () => {
  const rng = prng(SEED);
  let excluded = 0;
  const keepAlive = setInterval(() => {}, 1000); // the block timer alone does not hold the process
  after(() => clearInterval(keepAlive));
  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    const blocks = new BlockEngine(10);
    engines.push(blocks);
    const network = new LocalNetwork();
    const ticker = new ManualTicker();
    const keys = [0, 1, 2, 3].map(() => generateOperatorKey());
    const group = [0, 1, 2, 3, 0].map((i) => keys[i]!.address); // the fuzzer holds seats 1 and 5
    const fuzzer = keys[0]!;
    const target = rng.pick(TYPES.filter((t) => t !== 'dkg/result-signature'));
    const behaviour = fuzzing(rng, group, target);
    const session = `fuzz-${iteration}`;
    const startBlock = await blocks.currentBlock();
    const stopTicks = blocks.watchBlocks(() => ticker.tick());
    const runs = keys.map((me) => {
      const joined = network.join(me, { ticker });
      const provider = me === fuzzer ? byzantineProvider(joined, network, behaviour) : joined;
      const channel = provider.broadcastChannelFor('tbtc-dkg-fuzz');
      channel.setFilter((sender) => group.includes(sender.operatorAddress));
      const router = new SessionRouter(channel, 'dkg', DKG_CODECS);
      const inbox = new Inbox(router, session);
      const signal = new AbortController().signal;
      return runDkgProtocol({
        session,
        group,
        me,
        threshold: 2,
        quorum: 3,
        channel,
        inbox,
        blocks,
        startBlock,
        timing: TIMING,
        signal,
      }).finally(() => {
        inbox.close();
        router.close();
      });
    });
    const settled = await Promise.allSettled(runs);
    stopTicks();
    blocks.close();
    const context = `iteration ${iteration} (seed ${SEED}, target ${target})`;
    const honest: DkgOutcome[] = settled.slice(1).map((s) => {
      if (s.status === 'rejected') assert.fail(`${context}: an honest run threw: ${String(s.reason)}`);
      return s.value;
    });
    for (const outcome of honest) {
      assert.equal(bytesToHex(outcome.groupPublicKey), bytesToHex(honest[0]!.groupPublicKey), context);
      assert.deepEqual(outcome.misbehavedSeats, honest[0]!.misbehavedSeats, context);
    }
    const misbehaved = honest[0]!.misbehavedSeats;
    assert.ok(
      misbehaved.length === 0 || JSON.stringify(misbehaved) === '[1,5]',
      `${context}: only the fuzzer's seats may be excluded, got ${misbehaved}`,
    );
    if (misbehaved.length > 0) excluded++;
  }
  assert.ok(
    excluded > ITERATIONS / 4,
    `the fuzzer was excluded in only ${excluded} runs: the fuzz is too mild`,
  );
});
