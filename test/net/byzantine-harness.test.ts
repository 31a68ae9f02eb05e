import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { jsonCodec } from '../../src/net/json-codec.js';
import { LocalNetwork } from '../../src/net/local/local-network.js';
import { ManualTicker } from '../../src/net/retransmission.js';
import type { Message } from '../../src/net/types.js';
import { z } from 'zod';
import {
  behaviours,
  byzantineProvider,
  duplicate,
  equivocate,
  replaceBytes,
  withhold,
} from '../helpers/byzantine.js';
import { scrapedRecorder } from '../helpers/metrics.js';
import { eventually } from '../helpers/wait.js';

const codec = jsonCodec('test/note', z.object({ n: z.number() }).strict());
const other = jsonCodec('test/other', z.object({ n: z.number() }).strict());

function setup() {
  const network = new LocalNetwork();
  const ticker = new ManualTicker();
  const attackerKey = generateOperatorKey();
  const attacker = byzantineProvider(
    network.join(attackerKey, { ticker }),
    network,
    behaviours(
      withhold('test/other'),
      equivocate(
        'test/note',
        (operator) => operator === receivers[0]!.key.address,
        (p: { n: number }) => ({ n: -p.n }),
      ),
    ),
  );
  const receivers = [0, 1].map(() => {
    const key = generateOperatorKey();
    const channel = network.join(key, { ticker }).broadcastChannelFor('c');
    channel.registerCodec(codec);
    channel.registerCodec(other);
    const got: Message[] = [];
    channel.recv((m) => {
      got.push(m);
    });
    return { key, got };
  });
  return { network, attacker, attackerKey, receivers };
}

test('an equivocation reaches its targets first, then gossip relays both versions to everyone; withheld types stay withheld', async () => {
  const { attacker, attackerKey, receivers } = setup();
  const channel = attacker.broadcastChannelFor('c');
  channel.registerCodec(codec);
  channel.registerCodec(other);
  await channel.send(codec, { n: 7 });
  await channel.send(other, { n: 1 });
  await eventually(
    () => receivers.every((r) => r.got.length >= 2),
    (v) => v,
    2_000,
    'both versions delivered to both receivers',
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  // Each target sees its own version first (the harness keeps the order useful), then the other
  // one, relayed by the other receiver: nobody sees only one side of an equivocation.
  assert.deepEqual(
    receivers[0]!.got.map((m) => m.payload),
    [{ n: 7 }, { n: -7 }],
  );
  assert.deepEqual(
    receivers[1]!.got.map((m) => m.payload),
    [{ n: -7 }, { n: 7 }],
  );
  for (const r of receivers) {
    for (const m of r.got) assert.equal(m.sender.operatorAddress, attackerKey.address);
  }
  assert.equal(bytesToHex(receivers[1]!.got[0]!.sender.publicKey), bytesToHex(attackerKey.publicKey));
});

test('the byzantine harness sends duplicates and raw bytes that the receivers drop as malformed', async () => {
  const network = new LocalNetwork();
  const ticker = new ManualTicker();
  const attacker = byzantineProvider(
    network.join(generateOperatorKey(), { ticker }),
    network,
    behaviours(
      duplicate('test/note', 3),
      replaceBytes('test/other', () => new Uint8Array([1, 2, 3])),
    ),
  );
  const metrics = scrapedRecorder();
  const channel = network
    .join(generateOperatorKey(), { ticker, recorder: metrics.recorder })
    .broadcastChannelFor('c');
  channel.registerCodec(codec);
  channel.registerCodec(other);
  const got: Message[] = [];
  channel.recv((m) => {
    got.push(m);
  });
  const sending = attacker.broadcastChannelFor('c');
  sending.registerCodec(codec);
  sending.registerCodec(other);
  await sending.send(other, { n: 1 });
  await sending.send(codec, { n: 2 });
  await eventually(
    () => got.length,
    (n) => n === 3,
    2_000,
    'three copies delivered',
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(
    got.map((m) => m.type),
    ['test/note', 'test/note', 'test/note'],
  );
  assert.equal(await metrics.value('performance_message_dropped_total', { reason: 'malformed' }), 1);
});

test('a message withheld from some peers reaches them through the peers that got it; relayed once, not back', async () => {
  const network = new LocalNetwork();
  const ticker = new ManualTicker();
  const keys = [0, 1, 2].map(() => generateOperatorKey());
  const excluded = keys[0]!.address;
  const attacker = byzantineProvider(
    network.join(generateOperatorKey(), { ticker }),
    network,
    withhold('test/note', (operator) => operator === excluded),
  );
  const receivers = keys.map((key) => {
    const metrics = scrapedRecorder();
    const channel = network.join(key, { ticker, recorder: metrics.recorder }).broadcastChannelFor('c');
    channel.registerCodec(codec);
    const got: Message[] = [];
    channel.recv((m) => {
      got.push(m);
    });
    return { got, metrics };
  });
  const sending = attacker.broadcastChannelFor('c');
  sending.registerCodec(codec);
  await sending.send(codec, { n: 3 });
  await eventually(
    () => receivers.every((r) => r.got.length === 1),
    (v) => v,
    2_000,
    'everyone got it',
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  for (const r of receivers) {
    assert.deepEqual(
      r.got.map((m) => m.payload),
      [{ n: 3 }],
    );
    assert.equal(await r.metrics.value('performance_message_received_total'), 1, 'counted once');
  }
});

test('bytes that fail validation are not relayed', async () => {
  const network = new LocalNetwork();
  const ticker = new ManualTicker();
  const metrics = [0, 1].map(() => scrapedRecorder());
  for (const m of metrics) {
    network
      .join(generateOperatorKey(), { ticker, recorder: m.recorder })
      .broadcastChannelFor('c')
      .registerCodec(codec);
  }
  network.broadcastRaw('c', new Uint8Array([1, 2, 3]));
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const m of metrics) {
    assert.equal(await m.value('performance_message_dropped_total', { reason: 'malformed' }), 1);
  }
});
