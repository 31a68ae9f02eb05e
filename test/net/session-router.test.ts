import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { noopRecorder } from '../../src/clientinfo/recorder.js';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { jsonCodec } from '../../src/net/json-codec.js';
import { LocalNetwork } from '../../src/net/local/local-network.js';
import { ManualTicker } from '../../src/net/retransmission.js';
import { SessionRouter } from '../../src/net/session-router.js';
import type { Message, MessageCodec } from '../../src/net/types.js';

const codec = jsonCodec('test/session', z.object({ session: z.string(), n: z.number() }).strict());
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function pair() {
  const network = new LocalNetwork();
  const ticker = new ManualTicker();
  const [a, b] = [generateOperatorKey(), generateOperatorKey()].map((key) => {
    const channel = network.join(key, { recorder: noopRecorder, ticker }).broadcastChannelFor('router');
    channel.registerCodec(codec as MessageCodec<unknown>);
    return channel;
  });
  return { sender: a!, receiver: b! };
}

test('messages of a session that arrive before its handler are replayed once it registers', async () => {
  const { sender, receiver } = pair();
  const router = new SessionRouter(receiver, 'test', [codec.type]);
  await sender.send(codec, { session: 's1', n: 1 });
  await sender.send(codec, { session: 's2', n: 2 });
  await settle();
  const got: number[] = [];
  const unregister = router.handle('s1', (m: Message) => got.push((m.payload as { n: number }).n));
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
  router.handle('s1', (m: Message) => late.push((m.payload as { n: number }).n));
  await settle();
  assert.deepEqual(late, [], 'late messages of a finished session are not kept');
  router.close();
});

test('a handler that throws on a message does not stop the next one', async () => {
  const { sender, receiver } = pair();
  const router = new SessionRouter(receiver, 'test', [codec.type]);
  const got: number[] = [];
  router.handle('s', (m: Message) => {
    const { n } = m.payload as { n: number };
    if (n === 1) throw new Error('hostile payload');
    got.push(n);
  });
  await sender.send(codec, { session: 's', n: 1 });
  await sender.send(codec, { session: 's', n: 2 });
  await settle();
  assert.deepEqual(got, [2]);
  router.close();
});

test('one sender flooding unknown sessions keeps only its newest messages', async () => {
  const { sender, receiver } = pair();
  const router = new SessionRouter(receiver, 'test', [codec.type]);
  for (let n = 0; n < 100; n++) await sender.send(codec, { session: `flood-${n}`, n });
  await settle();
  const oldest: number[] = [];
  const newest: number[] = [];
  router.handle('flood-0', (m: Message) => oldest.push((m.payload as { n: number }).n));
  router.handle('flood-99', (m: Message) => newest.push((m.payload as { n: number }).n));
  await settle();
  assert.deepEqual(oldest, [], 'the flooder’s oldest message was dropped');
  assert.deepEqual(newest, [99]);
  router.close();
});
