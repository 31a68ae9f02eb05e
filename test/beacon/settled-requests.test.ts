import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SettledRequests } from '../../src/beacon/settled-requests.js';

test('settled relay requests stay bounded over many entries and old ids stay settled', () => {
  const settled = new SettledRequests(64);
  for (let id = 0; id < 10_000; id++) settled.add(id);
  assert.equal(settled.size, 64, 'only the last 64 ids are held one by one');
  assert.equal(settled.has(0), true, 'an id below the kept ones is still settled');
  assert.equal(settled.has(9_999), true);
  assert.equal(settled.has(10_000), false, 'a new request is not settled');
  settled.add(10_005);
  assert.equal(settled.has(10_003), false, 'a gap above the floor stays unsettled');
});
