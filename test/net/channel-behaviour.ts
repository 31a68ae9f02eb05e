import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { sealEnvelope } from '../../src/net/envelope.js';
import type { Message, MessageCodec } from '../../src/net/types.js';
import { eventually } from '../helpers/wait.js';
import type { NetworkFactory, TestNetwork } from './harness.js';

export const textCodec: MessageCodec<string> = {
  type: 'test/text',
  encode: (text) => new TextEncoder().encode(text),
  decode: (bytes) => new TextDecoder('utf-8', { fatal: true }).decode(bytes),
};

/** The behaviour every Provider must have, run against net/local and libp2p alike. */
export function channelBehaviour(label: string, factory: NetworkFactory): void {
  describe(`broadcast channels over ${label}`, () => {
    let net: TestNetwork;
    before(async () => {
      net = await factory(4);
    });
    after(async () => {
      await net?.close();
    });

    test('a broadcast reaches every subscriber exactly once, retransmissions included', async () => {
      const name = 'exactly-once';
      const received = net.members.map(() => [] as Message[]);
      for (const [i, member] of net.members.entries()) {
        const channel = member.provider.broadcastChannelFor(name);
        channel.registerCodec(textCodec);
        channel.recv((message) => {
          received[i]!.push(message);
        });
      }
      await net.ready(name);
      const sender = net.members[0]!;
      const stop = new AbortController();
      const channel = sender.provider.broadcastChannelFor(name);
      for (const text of ['one', 'two', 'three']) {
        await channel.send(textCodec, text, { retransmit: { until: stop.signal } });
      }
      for (let tick = 0; tick < 4; tick++) {
        net.ticker.tick();
        await new Promise((r) => setTimeout(r, 50));
      }
      await eventually(
        () => received.map((messages) => messages.length),
        (counts) => counts.every((count) => count >= 3),
        10_000,
        'delivery',
      );
      await new Promise((r) => setTimeout(r, 300)); // let any late duplicate arrive
      stop.abort();
      for (const [i, messages] of received.entries()) {
        assert.deepEqual(
          messages.map((m) => m.payload),
          ['one', 'two', 'three'],
          `member ${i}`,
        );
        assert.ok(messages.every((m) => m.local === (i === 0)));
        assert.ok(messages.every((m) => m.sender.operatorAddress === sender.key.address));
      }
      assert.equal(await sender.metrics.value('performance_message_broadcast_total'), 3);
      assert.equal(await sender.metrics.value('performance_message_retransmitted_total'), 12);
      assert.equal(
        await sender.metrics.value('performance_message_received_total'),
        0,
        'own messages are not "received"',
      );
      for (const member of net.members.slice(1)) {
        assert.equal(await member.metrics.value('performance_message_received_total'), 3);
      }
    });

    test('a handler that subscribes late gets a retransmitted message once; received_total counts it once', async () => {
      const name = 'late-handler';
      for (const member of net.members) member.provider.broadcastChannelFor(name).registerCodec(textCodec);
      await net.ready(name);
      const [sender, receiver] = net.members as [TestNetwork['members'][0], TestNetwork['members'][0]];
      const before = await receiver.metrics.value('performance_message_received_total');
      const early: string[] = [];
      receiver.provider.broadcastChannelFor(name).recv((m) => {
        early.push(m.payload as string);
      });
      const stop = new AbortController();
      await sender.provider.broadcastChannelFor(name).send(textCodec, 'before you listened', {
        retransmit: { until: stop.signal },
      });
      await eventually(
        () => early.length,
        (n) => n === 1,
        10_000,
        'first delivery',
      );
      const late: string[] = [];
      receiver.provider.broadcastChannelFor(name).recv((m) => {
        late.push(m.payload as string);
      });
      for (let tick = 0; tick < 3; tick++) {
        net.ticker.tick();
        await new Promise((r) => setTimeout(r, 100));
      }
      stop.abort();
      await eventually(
        () => late.length,
        (n) => n >= 1,
        10_000,
        'late delivery',
      );
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(late, ['before you listened'], 'once');
      assert.deepEqual(early, ['before you listened'], 'the early handler still got it once');
      assert.equal((await receiver.metrics.value('performance_message_received_total')) - before, 1);
    });

    test('bad messages are dropped and counted by reason; the channel keeps working', async () => {
      const name = 'faults';
      const outsider = net.members[3]!;
      const received = net.members.map(() => [] as string[]);
      for (const [i, member] of net.members.entries()) {
        const channel = member.provider.broadcastChannelFor(name);
        channel.registerCodec(textCodec);
        channel.setFilter((sender) => sender.operatorAddress !== outsider.key.address);
        channel.recv((message) => {
          received[i]!.push(message.payload as string);
        });
      }
      await net.ready(name);
      const stranger = generateOperatorKey();
      const valid = sealEnvelope(stranger, name, {
        epoch: 1,
        sequence: 1,
        type: 'test/text',
        payload: textCodec.encode('x'),
      });
      const tampered = valid.slice();
      tampered[tampered.length - 64 - 2 - 1]! ^= 0xff; // last payload byte, under the signature
      const unknownType = sealEnvelope(stranger, name, {
        epoch: 1,
        sequence: 2,
        type: 'test/nope',
        payload: new Uint8Array(4),
      });
      const otherChannel = sealEnvelope(stranger, 'elsewhere', {
        epoch: 1,
        sequence: 3,
        type: 'test/text',
        payload: textCodec.encode('y'),
      });
      const random = new Uint8Array(200).map(() => Math.floor(Math.random() * 256));

      await outsider.provider.broadcastChannelFor(name).send(textCodec, 'from a non-member');
      await net.injectRaw(name, tampered);
      await net.injectRaw(name, unknownType);
      await net.injectRaw(name, otherChannel);
      await net.injectRaw(name, random);
      const receivers = net.members.slice(0, 3);
      const expected = { not_member: 1, bad_signature: 2, unknown_type: 1, malformed: 1 };
      for (const member of receivers) {
        await eventually(
          async () => {
            const counts: Record<string, number> = {};
            for (const reason of Object.keys(expected)) {
              counts[reason] = await member.metrics.value('performance_message_dropped_total', { reason });
            }
            return counts;
          },
          (counts) => JSON.stringify(counts) === JSON.stringify(expected),
          10_000,
          'drop counters',
        );
      }
      await net.members[1]!.provider.broadcastChannelFor(name).send(textCodec, 'still works');
      await eventually(
        () => [received[0]!, received[2]!],
        (lists) => lists.every((list) => list.includes('still works')),
        10_000,
        'a good message after the bad ones',
      );
      for (const list of received.slice(0, 3))
        assert.ok(!list.includes('from a non-member') && !list.includes('x'));
    });

    test('a stalled handler fills its 512 queue, drops are counted, and its gauge series goes with it', async () => {
      const name = 'stall';
      const [sender, receiver] = net.members as [TestNetwork['members'][0], TestNetwork['members'][0]];
      let release: () => void = () => {};
      const stalled = new Promise<void>((resolve) => {
        release = resolve;
      });
      for (const member of net.members) member.provider.broadcastChannelFor(name).registerCodec(textCodec);
      const subscription = receiver.provider.broadcastChannelFor(name).recv(() => stalled, { name: 'slow' });
      await net.ready(name);
      const before = await receiver.metrics.value('performance_message_received_total');
      const sent = 600;
      for (let i = 0; i < sent; i++) await sender.provider.broadcastChannelFor(name).send(textCodec, `m${i}`);
      await eventually(
        () => receiver.metrics.value('performance_message_received_total'),
        (value) => value - before === sent,
        60_000,
        'all messages received',
      );
      await new Promise((r) => setTimeout(r, 100)); // the handler has taken its first message by now
      const labels = { channel: name, handler: 'slow' };
      const queued = await receiver.metrics.value('performance_message_handler_queue_size', labels);
      const dropped = await receiver.metrics.value('performance_message_dropped_total', {
        reason: 'queue_full',
      });
      // One message sits in the stalled handler; the queue holds at most 512 (511 if it was
      // full before the handler took its first); everything else was dropped and counted.
      assert.ok(queued === 511 || queued === 512, `queue size ${queued}`);
      assert.equal(queued + dropped, sent - 1);
      subscription.cancel();
      release();
      const families = await receiver.metrics.scrape();
      const series = families.get('performance_message_handler_queue_size')?.samples ?? [];
      assert.ok(!series.some((s) => s.labels.handler === 'slow'), 'the series vanished');
      assert.ok(
        (families.get('performance_incoming_message_queue_size')?.samples ?? []).some(
          (s) => s.labels.channel === name,
        ),
      );
      await receiver.provider.broadcastChannelFor(name).close();
      const afterClose = await receiver.metrics.scrape();
      assert.ok(
        !(afterClose.get('performance_incoming_message_queue_size')?.samples ?? []).some(
          (s) => s.labels.channel === name,
        ),
        'a closed channel has no queue series',
      );
    });
  });
}
