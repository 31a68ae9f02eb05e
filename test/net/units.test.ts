import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { BoundedQueue } from '../../src/net/bounded-queue.js';
import { RecentSet } from '../../src/net/dedup.js';
import {
  envelopeSignatureValid,
  MalformedEnvelopeError,
  openEnvelope,
  sealEnvelope,
  withRetransmission,
} from '../../src/net/envelope.js';
import { retransmitsOnTick } from '../../src/net/retransmission.js';

describe('envelope', () => {
  const key = generateOperatorKey();
  const fields = { epoch: 7, sequence: 42, type: 'tbtc/test', payload: new Uint8Array([1, 2, 3]) };

  test('round-trips and verifies on its own channel only', () => {
    const bytes = sealEnvelope(key, 'tbtc-abc', fields);
    const envelope = openEnvelope(bytes);
    assert.equal(envelope.type, 'tbtc/test');
    assert.equal(envelope.sequence, 42);
    assert.equal(envelope.epoch, 7);
    assert.deepEqual([...envelope.payload], [1, 2, 3]);
    assert.deepEqual(envelope.senderPublicKey, key.publicKey);
    assert.equal(envelopeSignatureValid('tbtc-abc', envelope), true);
    assert.equal(envelopeSignatureValid('tbtc-abd', envelope), false, 'replayed on another channel');
  });

  test('any change under the signature is detected; the retransmission number is not signed', () => {
    const bytes = sealEnvelope(key, 'c', fields);
    for (let i = 0; i < bytes.length - 2 - 64; i++) {
      const copy = bytes.slice();
      copy[i]! ^= 0x01;
      let valid = false;
      try {
        valid = envelopeSignatureValid('c', openEnvelope(copy));
      } catch (err) {
        assert.ok(err instanceof MalformedEnvelopeError);
      }
      assert.equal(valid, false, `byte ${i}`);
    }
    const again = withRetransmission(bytes, 5);
    assert.notDeepEqual(again, bytes);
    assert.equal(openEnvelope(again).retransmission, 5);
    assert.equal(envelopeSignatureValid('c', openEnvelope(again)), true);
  });

  test('malformed input is rejected with MalformedEnvelopeError', () => {
    const bytes = sealEnvelope(key, 'c', fields);
    for (const bad of [
      new Uint8Array(0),
      bytes.subarray(0, 50),
      new Uint8Array([...bytes, 0]),
      new Uint8Array(200),
    ]) {
      assert.throws(() => openEnvelope(bad), MalformedEnvelopeError);
    }
  });
});

test('backoff retransmits on ticks 1, 3, 6, 11, 20, 37; standard on every tick', () => {
  const due = Array.from({ length: 40 }, (_, i) => i + 1).filter((tick) =>
    retransmitsOnTick('backoff', tick),
  );
  assert.deepEqual(due, [1, 3, 6, 11, 20, 37]);
  assert.ok([1, 2, 3, 4].every((tick) => retransmitsOnTick('standard', tick)));
});

test('RecentSet stays bounded and forgets the oldest first', () => {
  const set = new RecentSet(3);
  assert.equal(set.add('a'), true);
  assert.equal(set.add('a'), false);
  set.add('b');
  set.add('c');
  set.add('d');
  assert.equal(set.size, 3);
  assert.equal(set.add('a'), true, 'a was forgotten');
  assert.equal(set.add('d'), false);
});

test('BoundedQueue refuses past capacity, keeps order and survives a throwing consumer', async () => {
  const seen: number[] = [];
  const queue = new BoundedQueue<number>(3, (n) => {
    if (n === 2) throw new Error('bad item');
    seen.push(n);
  });
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => queue.push(n)),
    [true, true, true, false],
  );
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(seen, [1, 3]);
  assert.equal(queue.size, 0);
  assert.equal(queue.push(5), true);
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(seen, [1, 3, 5]);
});
