import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { MAX_GROUP_SIZE, signatureShareCodec } from '../../src/beacon/messages.js';
import { relayChannelName, relaySession } from '../../src/beacon/relay-executor.js';
import { GENESIS_ENTRY } from '../../src/crypto/threshold-bls.js';
import type {
  BeaconGroupRegisteredEvent,
  RelayEntryRequestedEvent,
  RelayEntrySubmittedEvent,
  RelayEntryTimedOutEvent,
} from '../../src/chain/types.js';
import { startBeaconCluster } from '../helpers/beacon-cluster.js';
import { eventually } from '../helpers/wait.js';

// One beacon cluster for the whole file (each test builds on the previous one's state):
// 5 operators, a 10-seat threshold-6 group (DKG quorum 8).
const cluster = startBeaconCluster({
  beaconDkg: { groupSize: 10, groupQuorum: 8, honestThreshold: 6 },
  relay: { relayEntryTimeoutBlocks: 25, relayEntrySubmissionStepBlocks: 1 },
});
let groupA: BeaconGroupRegisteredEvent;
const entries: RelayEntrySubmittedEvent[] = [];
let lastRequestId = -1;
after(() => cluster.stop());

const BLS = bls12_381.shortSignatures;

/** Requests one entry and resolves with its submission (or rejects after a timeout). */
async function requestEntry(): Promise<{
  request: RelayEntryRequestedEvent;
  entry: RelayEntrySubmittedEvent;
}> {
  const beacon = cluster.observer;
  const requested = new Promise<RelayEntryRequestedEvent>((resolve) => {
    const stop = beacon.onRelayEntryRequested((event) => {
      stop();
      resolve(event);
    });
  });
  await beacon.requestRelayEntry();
  const request = await requested;
  lastRequestId = request.requestId;
  const entry = await nextSubmission(request.requestId);
  return { request, entry };
}

function nextSubmission(requestId: number, timeoutMs = 10_000): Promise<RelayEntrySubmittedEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no entry for request ${requestId}`));
    }, timeoutMs);
    const stop = cluster.observer.onRelayEntrySubmitted((event) => {
      if (event.requestId !== requestId) return;
      clearTimeout(timer);
      stop();
      resolve(event);
    });
  });
}

function verifies(entry: RelayEntrySubmittedEvent, groupPublicKey: Uint8Array): boolean {
  return BLS.verify(entry.entry, BLS.hash(entry.previousEntry), groupPublicKey);
}

before(async () => {
  cluster.addNodes([1n, 1n, 1n, 1n, 1n]);
  groupA = await cluster.newGroup();
});

test('a 10-member threshold-6 beacon group forms; five chained relay entries verify against its key', async () => {
  assert.equal(groupA.groupPublicKey.length, 96);
  assert.ok(groupA.members.length >= 8);
  const holders = cluster.nodes.filter((n) => n.beacon.groups.length > 0);
  assert.ok(holders.length >= 2);
  for (const node of holders)
    assert.equal(bytesToHex(node.beacon.groups[0]!.groupPublicKey), bytesToHex(groupA.groupPublicKey));

  let previous = GENESIS_ENTRY;
  for (let i = 0; i < 5; i++) {
    const { entry } = await requestEntry();
    assert.equal(
      bytesToHex(entry.previousEntry),
      bytesToHex(previous),
      `entry ${i} chains to the previous one`,
    );
    assert.equal(entry.entry.length, 48);
    assert.equal(verifies(entry, groupA.groupPublicKey), true, `entry ${i} verifies under the group key`);
    previous = entry.entry;
    entries.push(entry);
  }
  assert.equal(bytesToHex(await cluster.observer.lastEntry()), bytesToHex(previous));

  for (const node of holders) {
    await eventually(
      () => node.metrics.value('performance_relay_entry_success_total'),
      (v) => v === 5,
      5_000,
      'five successes',
    );
    assert.equal(await node.metrics.value('performance_relay_entry_generation_total'), 5);
    assert.equal(await node.metrics.value('performance_relay_entry_failed_total'), 0);
    assert.equal(
      await node.metrics.value('performance_relay_entry_duration_seconds_count', { outcome: 'success' }),
      5,
    );
  }
  for (const node of cluster.nodes.filter((n) => n.beacon.groups.length === 0))
    assert.equal(await node.metrics.value('performance_relay_entry_generation_total'), 0);
});

test('a member broadcasting corrupted signature shares is ignored; entries still combine from the others', async () => {
  // The corrupter: the first-started member whose seats the group can do without.
  const seatsOf = (address: string) => groupA.members.filter((m) => m.operator === address).length;
  const corrupter = cluster.nodes.find(
    (n) => seatsOf(n.key.address) > 0 && groupA.members.length - seatsOf(n.key.address) >= 6,
  )!;
  corrupter.beacon.relay.tamperShare = (_seat, share) => BLS.hash(share).toBytes(true); // a valid point, wrong share
  try {
    for (let i = 0; i < 3; i++) {
      const { entry } = await requestEntry();
      assert.equal(verifies(entry, groupA.groupPublicKey), true);
      assert.equal(bytesToHex(entry.previousEntry), bytesToHex(entries.at(-1)!.entry));
      entries.push(entry);
    }
  } finally {
    corrupter.beacon.relay.tamperShare = undefined;
  }
  const rejected = cluster.nodes.reduce((n, node) => n + node.beacon.relay.rejectedShares, 0);
  assert.ok(rejected > 0, 'honest members found and dropped the corrupted shares');
  assert.equal(corrupter.beacon.relay.rejectedShares, 0);
});

test('a member flooding a share message with repeated and foreign seats costs each node only its own seats; entries still combine', async () => {
  const seatsOf = (address: string) => groupA.members.filter((m) => m.operator === address).length;
  const attacker = cluster.nodes.find(
    (n) => !n.stopped && seatsOf(n.key.address) > 0 && groupA.members.length - seatsOf(n.key.address) >= 6,
  )!;
  const attackerSeats = [...attacker.beacon.groups[0]!.keys.keys()];
  const foreignSeats = groupA.members.map((m) => m.index).filter((seat) => !attackerSeats.includes(seat));
  // Its node is replaced by a hand-written sender with its key (a member's valid signature).
  cluster.stopNode(attacker);
  const channel = cluster.network
    .join(attacker.key)
    .broadcastChannelFor(relayChannelName(groupA.groupPublicKey));
  channel.registerCodec(signatureShareCodec);
  const honest = cluster.nodes.filter((n) => !n.stopped && n.beacon.groups.length > 0);
  const rejectedBefore = honest.map((n) => n.beacon.relay.rejectedShares);
  const malformedBefore = await Promise.all(
    honest.map((n) => n.metrics.value('performance_message_dropped_total', { reason: 'malformed' })),
  );

  // Sent before the request (the session is predictable), so every node reads it first.
  const session = relaySession({ requestId: lastRequestId + 1, previousEntry: entries.at(-1)!.entry });
  const wrong = bytesToHex(BLS.hash(new TextEncoder().encode('not a share')).toBytes(true));
  const seats = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      seat:
        i % 2 === 0
          ? attackerSeats[(i >> 1) % attackerSeats.length]!
          : foreignSeats[(i >> 1) % foreignSeats.length]!,
      share: wrong,
    }));
  await channel.send(signatureShareCodec, { session, shares: seats(400) });
  await channel.send(signatureShareCodec, { session, shares: seats(MAX_GROUP_SIZE + 1) });
  // A channel decodes a sender's messages in order: once the second is dropped, the first
  // is in the relay handler's queue, ahead of the request.
  for (const [i, node] of honest.entries())
    await eventually(
      () => node.metrics.value('performance_message_dropped_total', { reason: 'malformed' }),
      (v) => v === malformedBefore[i]! + 1,
      5_000,
      'the message over the size cap dropped and counted',
    );

  const { request, entry } = await requestEntry();
  assert.equal(relaySession(request), session);
  assert.equal(verifies(entry, groupA.groupPublicKey), true);
  entries.push(entry);
  for (const [i, node] of honest.entries()) {
    assert.equal(
      node.beacon.relay.rejectedShares - rejectedBefore[i]!,
      attackerSeats.length,
      "each of the attacker's seats is checked once; repeats and foreign seats are not checked",
    );
  }
});

test('members restarted while a request is pending pick it up and produce its entry', async () => {
  const holders = cluster.nodes.filter((n) => !n.stopped && n.beacon.groups.length > 0);
  for (const node of holders) cluster.stopNode(node);
  const request = await cluster.requestEntry();
  const submitted = nextSubmission(request.requestId);
  const restarted = holders.map((node) => cluster.restartNode(node));
  const entry = await submitted;
  assert.equal(verifies(entry, groupA.groupPublicKey), true);
  entries.push(entry);
  for (const node of restarted)
    assert.equal(await node.metrics.value('performance_relay_entry_generation_total'), 1);
});

test('with group A below threshold the request times out, one report is accepted, and group B produces the entry', async () => {
  // Group B: new operators with overwhelming stake, so its seats are theirs.
  const newcomers = cluster.addNodes([100_000n, 100_000n, 100_000n, 100_000n]);
  const groupB = await cluster.newGroup();
  const newcomerAddresses = new Set(newcomers.map((n) => n.key.address));
  assert.ok(groupB.members.every((m) => newcomerAddresses.has(m.operator)));
  assert.equal(groupB.groupId, 1);
  // Group A's operators go offline.
  const old = cluster.nodes.filter((n) => !newcomerAddresses.has(n.key.address));
  for (const node of old) cluster.stopNode(node);

  const timeouts: RelayEntryTimedOutEvent[] = [];
  const stopTimeouts = cluster.observer.onRelayEntryTimedOut((event) => timeouts.push(event));
  try {
    // The group is chosen from the previous entry: request until one goes to group A.
    let request: RelayEntryRequestedEvent | undefined;
    for (let i = 0; i < 12 && !request; i++) {
      const event = await cluster.requestEntry();
      if (event.groupId === groupA.groupId) request = event;
      else {
        const entry = await nextSubmission(event.requestId);
        assert.equal(verifies(entry, groupB.groupPublicKey), true);
      }
    }
    assert.ok(request, 'a request went to group A');
    const retry = await cluster.nextRequest();
    assert.equal(retry.groupId, groupB.groupId, 'the re-request goes to the other group');
    assert.equal(bytesToHex(retry.previousEntry), bytesToHex(request.previousEntry));
    const entry = await nextSubmission(retry.requestId);
    assert.equal(verifies(entry, groupB.groupPublicKey), true);

    assert.equal(timeouts.length, 1, 'exactly one timeout report was accepted');
    assert.equal(timeouts[0]!.requestId, request.requestId);
    const reporter = cluster.nodes.find((n) => n.key.address === timeouts[0]!.reporter)!;
    assert.ok(newcomerAddresses.has(reporter.key.address));
    let reported = 0;
    for (const node of newcomers) {
      const value = await node.metrics.value('performance_relay_entry_timeout_reported_total');
      assert.equal(value, node === reporter ? 1 : 0);
      reported += value;
    }
    assert.equal(reported, 1);
  } finally {
    stopTimeouts();
  }
});
