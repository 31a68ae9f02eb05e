import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { noopRecorder } from '../../src/clientinfo/recorder.js';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { jsonCodec } from '../../src/net/json-codec.js';
import { LocalNetwork } from '../../src/net/local/local-network.js';
import { ManualTicker } from '../../src/net/retransmission.js';
import { SessionRouter } from '../../src/net/session-router.js';

const codec = jsonCodec('test/session', z.object({ session: z.string(), n: z.number() }).strict());
const CODECS = { numbered: codec };
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function network(senders: number) {
  const net = new LocalNetwork();
  const ticker = new ManualTicker();
  const join = () =>
    net.join(generateOperatorKey(), { recorder: noopRecorder, ticker }).broadcastChannelFor('router');
  const receiver = join();
  return { receiver, senders: Array.from({ length: senders }, join) };
}

function pair() {
  const { receiver, senders } = network(1);
  return { sender: senders[0]!, receiver };
}

test('messages of a session that arrive before its handler are replayed once it registers', async () => {
  const { sender, receiver } = pair();
  const router = new SessionRouter(receiver, 'test', CODECS);
  await sender.send(codec, { session: 's1', n: 1 });
  await sender.send(codec, { session: 's2', n: 2 });
  await settle();
  const got: number[] = [];
  const unregister = router.handle('s1', (m) => got.push(m.payload.n));
  assert.deepEqual(got, [], 'replay waits for a microtask: the caller holds its unregister first');
  await settle();
  assert.deepEqual(got, [1]);
  await sender.send(codec, { session: 's1', n: 3 });
  await settle();
  assert.deepEqual(got, [1, 3]);
  unregister();
  await sender.send(codec, { session: 's1', n: 4 });
  await settle();
  const late: number[] = [];
  router.handle('s1', (m) => late.push(m.payload.n));
  await settle();
  assert.deepEqual(late, [], 'late messages of a finished session are not kept');
  router.close();
});

test('a handler that throws on a message does not stop the next one', async () => {
  const { sender, receiver } = pair();
  const router = new SessionRouter(receiver, 'test', CODECS);
  const got: number[] = [];
  router.handle('s', (m) => {
    if (m.payload.n === 1) throw new Error('hostile payload');
    got.push(m.payload.n);
  });
  await sender.send(codec, { session: 's', n: 1 });
  await sender.send(codec, { session: 's', n: 2 });
  await settle();
  assert.deepEqual(got, [2]);
  router.close();
});

test('one sender flooding unknown sessions keeps only its newest messages', async () => {
  const { sender, receiver } = pair();
  const router = new SessionRouter(receiver, 'test', CODECS);
  for (let n = 0; n < 100; n++) await sender.send(codec, { session: `flood-${n}`, n });
  await settle();
  assert.equal(router.size, 32, 'the default per-sender cap');
  const oldest: number[] = [];
  const newest: number[] = [];
  router.handle('flood-0', (m) => oldest.push(m.payload.n));
  router.handle('flood-99', (m) => newest.push(m.payload.n));
  await settle();
  assert.deepEqual(oldest, [], 'the flooder’s oldest message was dropped');
  assert.deepEqual(newest, [99]);
  router.close();
});

test('the caps a user sets: per sender, then in all with the oldest message forgotten first', async () => {
  const { receiver, senders } = network(3);
  const [alice, bob, carol] = senders as [typeof receiver, typeof receiver, typeof receiver];
  const router = new SessionRouter(receiver, 'test', CODECS, { capacity: 3, perSender: 2 });
  // A sender retransmitting with a new sequence number each time keeps only its newest two.
  for (let n = 0; n < 100; n++) await alice.send(codec, { session: 's1', n });
  await settle();
  assert.equal(router.size, 2);
  await bob.send(codec, { session: 's1', n: 2000 });
  await carol.send(codec, { session: 's2', n: 3000 }); // full: the oldest message (alice's) goes
  await settle();
  assert.equal(router.size, 3);
  const s1: number[] = [];
  router.handle('s1', (m) => s1.push(m.payload.n));
  await settle();
  assert.deepEqual(s1, [99, 2000]);
  assert.equal(router.size, 1, 'replayed messages leave the buffer');
  router.close();
  assert.equal(router.size, 0);
});
