import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { Channel, type Verdict } from '../../src/net/channel.js';
import {
  MAX_PAYLOAD_LENGTH,
  OversizedEnvelopeError,
  openEnvelope,
  sealEnvelope,
} from '../../src/net/envelope.js';
import { type BlockReason, PeerGuard, type PeerGuardLimits } from '../../src/net/peer-guard.js';
import { ManualTicker } from '../../src/net/retransmission.js';
import { TokenBucket } from '../../src/net/token-bucket.js';
import type { MessageCodec } from '../../src/net/types.js';
import { craftEnvelope } from '../helpers/hostile-envelopes.js';
import { scrapedRecorder } from '../helpers/metrics.js';

const rawCodec: MessageCodec<Uint8Array> = { type: 'test/raw', encode: (b) => b, decode: (b) => b };

describe('oversized payloads on receive', () => {
  const key = generateOperatorKey();
  const fields = { epoch: 1, sequence: 1, type: rawCodec.type };

  test('openEnvelope refuses a payload over MAX_PAYLOAD_LENGTH, signed or not', () => {
    for (const signature of ['valid', 'garbage'] as const) {
      const bytes = craftEnvelope(key, 'c', {
        ...fields,
        payload: new Uint8Array(MAX_PAYLOAD_LENGTH + 1),
        signature,
      });
      assert.throws(() => openEnvelope(bytes), OversizedEnvelopeError, signature);
    }
    // A length field claiming more than the limit is refused before the lengths are compared.
    const small = craftEnvelope(key, 'c', { ...fields, payload: new Uint8Array(8), signature: 'valid' });
    new DataView(small.buffer).setUint32(1 + 33 + 4 + 4 + 1 + fields.type.length, MAX_PAYLOAD_LENGTH + 1);
    assert.throws(() => openEnvelope(small), OversizedEnvelopeError);
    // The limit itself is still fine.
    const atLimit = sealEnvelope(key, 'c', { ...fields, payload: new Uint8Array(MAX_PAYLOAD_LENGTH) });
    assert.equal(openEnvelope(atLimit).payload.length, MAX_PAYLOAD_LENGTH);
  });

  test('a channel drops it as oversized before membership and signature checks', async () => {
    const metrics = scrapedRecorder();
    const channel = new Channel(
      'c',
      { key: generateOperatorKey(), recorder: metrics.recorder, ticker: new ManualTicker() },
      { publish: async () => {}, close: async () => {} },
    );
    channel.registerCodec(rawCodec);
    // The membership filter runs before the signature check: if it never runs, neither does the check.
    let filterCalls = 0;
    channel.setFilter(() => {
      filterCalls++;
      return true;
    });
    const delivered: unknown[] = [];
    channel.recv((message) => {
      delivered.push(message.payload);
    });
    for (const signature of ['valid', 'garbage'] as const) {
      const bytes = craftEnvelope(key, 'c', {
        ...fields,
        payload: new Uint8Array(MAX_PAYLOAD_LENGTH + 1),
        signature,
      });
      assert.deepEqual(channel.receive(bytes), { accept: false, reason: 'oversized' });
    }
    assert.equal(filterCalls, 0);
    assert.equal(await metrics.value('performance_message_dropped_total', { reason: 'oversized' }), 2);
    assert.equal(await metrics.value('performance_message_dropped_total', { reason: 'bad_signature' }), 0);
    // A message at the limit from the same sender still goes through.
    const ok = craftEnvelope(key, 'c', {
      ...fields,
      sequence: 2,
      payload: new Uint8Array(16),
      signature: 'valid',
    });
    assert.equal(channel.receive(ok).accept, true);
    assert.equal(filterCalls, 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(delivered.length, 1);
    await channel.close();
  });
});

test('a token bucket spends its burst, then refills at its rate, never above the burst', () => {
  let now = 0;
  const bucket = new TokenBucket({ burst: 3, perSecond: 2 }, () => now);
  assert.deepEqual(
    [1, 2, 3, 4].map(() => bucket.take()),
    [true, true, true, false],
  );
  now += 500; // one token back
  assert.deepEqual([bucket.take(), bucket.take()], [true, false]);
  now += 60_000;
  assert.deepEqual(
    [1, 2, 3, 4].map(() => bucket.take()),
    [true, true, true, false],
  );
});

describe('PeerGuard', () => {
  const limits: PeerGuardLimits = {
    peerMessages: { burst: 100, perSecond: 10 },
    senderMessages: { burst: 20, perSecond: 5 },
    invalidMessages: { burst: 5, perSecond: 0.01 },
    ownExcess: { burst: 10, perSecond: 1 },
    blockMs: 60_000,
    maxTracked: 16,
  };

  function setup() {
    let now = 0;
    const metrics = scrapedRecorder();
    const blocks: [string, BlockReason][] = [];
    const guard = new PeerGuard(limits, {
      recorder: metrics.recorder,
      onBlock: (peer, reason) => blocks.push([peer, reason]),
      clock: () => now,
    });
    let validations = 0;
    const counted = (verdict: Verdict) => () => {
      validations++;
      return verdict;
    };
    return {
      guard,
      metrics,
      blocks,
      counted,
      validations: () => validations,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }
  const valid = (operatorAddress: string, signatureChecked = true): Verdict => ({
    accept: true,
    sender: { operatorAddress, publicKey: new Uint8Array(33) },
    signatureChecked,
  });
  const badSignature: Verdict = { accept: false, reason: 'bad_signature' };
  const dropped = (m: ReturnType<typeof scrapedRecorder>, reason: string) =>
    m.value('performance_message_dropped_total', { reason });
  const blocked = (m: ReturnType<typeof scrapedRecorder>, reason: string) =>
    m.value('performance_peers_blocked_total', { reason });

  test('every label value exists at zero before anything happens', async () => {
    const { metrics } = setup();
    const families = await metrics.scrape();
    assert.equal(families.get('performance_peers_blocked_total')?.samples.length, 2);
    assert.equal(await blocked(metrics, 'invalid_messages'), 0);
    assert.equal(await dropped(metrics, 'over_peer_budget'), 0);
  });

  test('a peer relaying invalid messages is blocked once, then dropped without validation until the block ends', async () => {
    const t = setup();
    const verdicts = Array.from({ length: 6 }, () =>
      t.guard.check('attacker', 'op-a', t.counted(badSignature)),
    );
    assert.deepEqual(verdicts, Array(6).fill('reject'));
    assert.deepEqual(t.blocks, [['attacker', 'invalid_messages']]);
    assert.equal(t.guard.isBlocked('attacker'), true);
    for (let i = 0; i < 100; i++) t.guard.check('attacker', 'op-a', t.counted(valid('op-a')));
    assert.equal(t.validations(), 6, 'nothing from a blocked peer is validated');
    assert.equal(await dropped(t.metrics, 'peer_blocked'), 100);
    assert.equal(await blocked(t.metrics, 'invalid_messages'), 1);
    // Other peers are not affected.
    assert.equal(t.guard.check('honest', 'op-h', t.counted(valid('op-h'))), 'accept');
    t.advance(limits.blockMs);
    assert.equal(t.guard.isBlocked('attacker'), false);
    assert.equal(t.guard.check('attacker', 'op-a', t.counted(valid('op-a'))), 'accept');
  });

  test('messages over a peer budget are ignored without validation; the budget refills', async () => {
    const t = setup();
    // Relayed messages of many senders: no sender budget is exceeded.
    const results = Array.from({ length: 150 }, (_, i) =>
      t.guard.check('relay', 'op-r', t.counted(valid(`op-${i % 50}`))),
    );
    assert.equal(results.filter((v) => v === 'accept').length, 100);
    assert.equal(results.filter((v) => v === 'ignore').length, 50);
    assert.equal(t.validations(), 100);
    assert.equal(await dropped(t.metrics, 'over_peer_budget'), 50);
    assert.deepEqual(t.blocks, [], 'a busy relay is never blocked');
    t.advance(1_000);
    const after = Array.from({ length: 12 }, () => t.guard.check('relay', 'op-r', t.counted(valid('op-x'))));
    assert.equal(after.filter((v) => v === 'accept').length, 10);
  });

  test("an operator's own flood of valid messages blocks it; a relay of that flood is only not forwarded", async () => {
    const t = setup();
    // Relayed: over the sender budget, ignored (not forwarded), never blocked.
    const relayed = Array.from({ length: 60 }, () =>
      t.guard.check('relay', 'op-r', t.counted(valid('op-a'))),
    );
    assert.equal(relayed.filter((v) => v === 'accept').length, 20);
    assert.deepEqual(t.blocks, []);
    assert.equal(await dropped(t.metrics, 'over_sender_budget'), 40);
    // From the operator itself: after its excess allowance, blocked for the message rate.
    t.advance(100_000); // every budget full again
    const own = Array.from({ length: 40 }, () => t.guard.check('attacker', 'op-a', t.counted(valid('op-a'))));
    assert.equal(own.filter((v) => v === 'accept').length, 20);
    assert.deepEqual(t.blocks, [['attacker', 'message_rate']]);
    assert.equal(await blocked(t.metrics, 'message_rate'), 1);
    assert.equal(await dropped(t.metrics, 'peer_blocked'), 40 - 20 - 11);
  });

  test('retransmitted copies of verified messages count against the peer budget only', async () => {
    const t = setup();
    const copies = Array.from({ length: 100 }, () =>
      t.guard.check('honest', 'op-h', t.counted(valid('op-h', false))),
    );
    assert.ok(copies.every((v) => v === 'accept'));
    assert.equal(
      t.guard.check('honest', 'op-h', t.counted(valid('op-h', false))),
      'ignore',
      'peer budget spent',
    );
    assert.equal(
      t.guard.check('relay', 'op-r', t.counted(valid('op-h'))),
      'accept',
      'sender budget untouched',
    );
    assert.deepEqual(t.blocks, []);
  });
});
