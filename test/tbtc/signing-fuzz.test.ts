import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Message, MessageCodec } from '../../src/net/types.js';
import { SIGNING_CODECS } from '../../src/tbtc/signing/messages.js';
import { prng, type Rng } from '../helpers/prng.js';
import { signingGroup } from '../helpers/signing-group.js';

/** A mutated copy of a JSON value: one leaf replaced, an array cut or extended, a key dropped. */
function mutate(value: unknown, random: Rng, depth = 0): unknown {
  if (typeof value === 'string') {
    return random.pick([
      () => random.hex(value.length / 2),
      () => value.slice(0, random.int(value.length + 1)),
      () => `${value}00`,
      () => '02'.padEnd(value.length, 'f'),
      () => value,
    ])();
  }
  if (typeof value === 'number') return random.pick([0, 1, -1, value + 1, 65_535, 2 ** 31, value]);
  if (Array.isArray(value)) {
    const copy = value.map((item) => (random.next() < 0.5 ? mutate(item, random, depth + 1) : item));
    if (random.next() < 0.3) copy.push(...copy.slice(0, random.int(copy.length + 1)));
    if (random.next() < 0.2) copy.splice(random.int(copy.length + 1));
    return copy;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) =>
      key === 'session' && random.next() < 0.8
        ? [key, item]
        : [key, random.next() < 0.6 ? mutate(item, random, depth + 1) : item],
    );
    if (random.next() < 0.1) entries.splice(random.int(entries.length), 1);
    return Object.fromEntries(entries);
  }
  return value;
}

const message = new TextEncoder().encode('fuzzed heartbeat');

test('a member fuzzing every signing message type cannot stop a signature or throw out of the protocol', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? 20261202);
  const random = prng(seed);
  // E holds one seat and a valid key, runs no executor and fuzzes instead.
  const {
    nodes: honest,
    signAll,
    groupKey,
    network,
    operators,
    ticker,
  } = signingGroup('AAABBBCCDDE', 6, {
    offline: ['E'],
    timeoutBlocks: 120,
  });
  const escaped: unknown[] = [];
  const record = (err: unknown) => escaped.push(err);
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  try {
    // E holds a seat and a valid key; it mutates every message it sees and sends that instead.
    const fuzzer = network.join(operators.get('E')!, { ticker }).broadcastChannelFor('tbtc-wallet');
    const codecs = new Map<string, MessageCodec<unknown>>(
      Object.values(SIGNING_CODECS).map((codec) => [codec.type, codec]),
    );
    for (const codec of codecs.values()) fuzzer.registerCodec(codec);
    let sent = 0;
    const raw = (type: string, bytes: Uint8Array): MessageCodec<unknown> => ({
      type,
      encode: () => bytes,
      decode: codecs.get(type)!.decode,
    });
    fuzzer.recv((seen: Message) => {
      if (seen.local || sent >= 600) return;
      for (let i = 0; i < 10; i++) {
        sent++;
        const type = random.next() < 0.7 ? seen.type : random.pick([...codecs.keys()]);
        if (random.next() < 0.1) {
          const bytes = Uint8Array.from({ length: random.int(64) }, () => random.int(256));
          void fuzzer.send(raw(type, bytes), undefined).catch(() => undefined);
          continue;
        }
        const payload = mutate(seen.payload, random);
        const bytes = new TextEncoder().encode(JSON.stringify(payload));
        void fuzzer.send(raw(type, bytes), undefined).catch(() => undefined);
      }
    });

    const results = await signAll(message);
    const signatures = results.map((result) => {
      assert.equal(
        result.status,
        'fulfilled',
        `seed ${seed}: ${String((result as PromiseRejectedResult).reason)}`,
      );
      return (result as PromiseFulfilledResult<Uint8Array>).value;
    });
    assert.ok(sent > 50, `the fuzzer sent ${sent} messages`);
    assert.equal(new Set(signatures.map(bytesToHex)).size, 1, 'all honest members agree');
    assert.equal(schnorr.verify(signatures[0]!, message, groupKey), true);
    for (const node of honest) {
      assert.equal(await node.metrics.value('performance_signing_success_total'), 1);
      assert.ok(
        (await node.metrics.value('performance_message_dropped_total', { reason: 'malformed' })) > 0,
        'undecodable messages are dropped and counted',
      );
    }
    assert.deepEqual(escaped, [], 'nothing escaped the protocol');
  } finally {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
  }
});
