import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EarlyShares } from '../../src/beacon/early-shares.js';

test('early shares: one message per sender per session, at most group-size senders and a few sessions', () => {
  const early = new EarlyShares<string>(2, 3);
  // A sender retransmitting with a new sequence number each time: only its first message is kept.
  for (let i = 0; i < 1000; i++) early.add('s1', 'alice', `alice-${i}`);
  assert.equal(early.size, 1);
  assert.equal(early.add('s1', 'bob', 'bob-0'), true);
  assert.equal(early.add('s1', 'carol', 'carol-0'), true);
  assert.equal(early.add('s1', 'mallory', 'mallory-0'), false, 'a full session keeps no more senders');
  assert.equal(early.size, 3);

  early.add('s2', 'alice', 'a2');
  early.add('s3', 'alice', 'a3'); // a third session: the oldest (s1) is forgotten
  assert.equal(early.size, 2);
  assert.deepEqual(early.take('s1'), []);
  assert.deepEqual(early.take('s3'), ['a3']);
  assert.deepEqual(early.take('s3'), [], 'taken messages leave the buffer');
  assert.deepEqual(early.take('s2'), ['a2']);
  assert.equal(early.size, 0);
});
