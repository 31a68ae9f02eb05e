import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { signatureShareCodec } from '../../src/beacon/messages.js';
import type {
  BeaconGroupRegisteredEvent,
  Chain,
  RandomBeacon,
  RelayEntrySubmittedEvent,
} from '../../src/chain/types.js';
import { type Behaviour, delay, rewrite, withhold } from '../helpers/byzantine.js';
import { type BeaconClusterNode, startBeaconCluster } from '../helpers/beacon-cluster.js';
import { eventually } from '../helpers/wait.js';

// One cluster for the file: 5 operators, a 10-seat threshold-6 group. Every operator may be
// given a role (what it does to its outgoing share messages, or a cut chain link) once the
// group's seats are known.
const SHARE = signatureShareCodec.type;
const BLS = bls12_381.shortSignatures;
const roles = new Map<number, Behaviour>();
const cut = new Set<number>();

/** A chain link that is down: calls fail and entry events are not delivered. */
function cuttable(index: number, chain: Chain): Chain {
  const down = () => cut.has(index);
  const failing = new Set(['beaconParameters', 'submitRelayEntry', 'reportRelayEntryTimeout', 'lastEntry']);
  const silenced = new Set(['onRelayEntrySubmitted', 'onRelayEntryTimedOut']);
  const randomBeacon = new Proxy(chain.randomBeacon, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      if (failing.has(name))
        return (...args: unknown[]) =>
          down() ? Promise.reject(new Error('connection refused')) : value.apply(target, args);
      if (silenced.has(name))
        return (listener: (event: unknown) => void) =>
          value.call(target, (event: unknown) => {
            if (!down()) listener(event);
          });
      return value.bind(target);
    },
  }) as RandomBeacon;
  return { ...chain, operator: chain.operator, blocks: chain.blocks, randomBeacon };
}

const byzantine: Record<number, Behaviour> = {};
for (let i = 0; i < 5; i++) byzantine[i] = (message) => roles.get(i)?.(message);
const cluster = startBeaconCluster({
  beaconDkg: { groupSize: 10, groupQuorum: 8, honestThreshold: 6 },
  relay: { relayEntryTimeoutBlocks: 40, relayEntrySubmissionStepBlocks: 1 },
  byzantine,
  chainFor: cuttable,
});
after(() => cluster.stop());
let group: BeaconGroupRegisteredEvent;
let holders: BeaconClusterNode[];

before(async () => {
  cluster.addNodes([1n, 1n, 1n, 1n, 1n]);
  group = await cluster.newGroup();
  holders = cluster.nodes.filter((n) => n.beacon.groups.length > 0);
});

const seatsOf = (node: BeaconClusterNode) =>
  group.members.filter((m) => m.operator === node.key.address).length;
/** A holder the group can do without (the others keep ≥ threshold seats), other than `not`. */
const spareHolder = (...not: BeaconClusterNode[]) =>
  holders
    .filter((n) => !not.includes(n) && group.members.length - seatsOf(n) >= 6)
    .sort((a, b) => seatsOf(b) - seatsOf(a))[0]!;

async function requestEntry(): Promise<RelayEntrySubmittedEvent> {
  const request = await cluster.requestEntry();
  return new Promise((resolve) => {
    const stop = cluster.observer.onRelayEntrySubmitted((event) => {
      if (event.requestId !== request.requestId) return;
      stop();
      resolve(event);
    });
  });
}

const verifies = (entry: RelayEntrySubmittedEvent) =>
  BLS.verify(entry.entry, BLS.hash(entry.previousEntry), group.groupPublicKey);

const relayCounts = (node: BeaconClusterNode) =>
  Promise.all(
    [
      'performance_relay_entry_generation_total',
      'performance_relay_entry_success_total',
      'performance_relay_entry_failed_total',
    ].map((name) => node.metrics.value(name)),
  );

/** Every honest holder ends `n` more attempts, all successful. */
async function honestSucceeded(honest: BeaconClusterNode[], before: number[][], n: number) {
  for (const [i, node] of honest.entries()) {
    const [generated, succeeded, failed] = await eventually(
      () => relayCounts(node),
      ([, s]) => s! >= before[i]![1]! + n,
      10_000,
      'honest successes',
    );
    assert.equal(generated! - before[i]![0]!, n);
    assert.equal(succeeded! - before[i]![1]!, n);
    assert.equal(failed! - before[i]![2]!, 0);
  }
}

test('a member withholding its relay shares: entries combine from the others and verify', async () => {
  const attacker = spareHolder();
  roles.set(cluster.nodes.indexOf(attacker), withhold(SHARE));
  try {
    const honest = holders.filter((n) => n !== attacker);
    const before = await Promise.all(honest.map(relayCounts));
    for (let i = 0; i < 2; i++) assert.equal(verifies(await requestEntry()), true);
    await honestSucceeded(honest, before, 2);
  } finally {
    roles.clear();
  }
});

test('a member sending invalid relay shares: the batch check names them, entries verify', async () => {
  const attacker = spareHolder();
  const wrong = bytesToHex(BLS.hash(new TextEncoder().encode('not a share')).toBytes(true));
  roles.set(
    cluster.nodes.indexOf(attacker),
    rewrite<{ session: string; shares: { seat: number; share: string }[] }>(SHARE, (p) => ({
      ...p,
      shares: p.shares.map((s) => ({ ...s, share: wrong })),
    })),
  );
  // The honest holders' shares go out a little later, so that every honest node holds the bad
  // shares before it can combine and must check (and drop) them.
  for (const node of holders)
    if (node !== attacker) roles.set(cluster.nodes.indexOf(node), delay(SHARE, 300));
  try {
    const honest = holders.filter((n) => n !== attacker);
    const before = await Promise.all(honest.map(relayCounts));
    const rejectedBefore = honest.map((n) => n.beacon.relay.rejectedShares);
    for (let i = 0; i < 3; i++) assert.equal(verifies(await requestEntry()), true);
    await honestSucceeded(honest, before, 3);
    const rejected = honest.map((n, i) => n.beacon.relay.rejectedShares - rejectedBefore[i]!);
    assert.ok(
      rejected.every((r) => r > 0),
      `every honest member checked and dropped the bad shares (${rejected.join(', ')})`,
    );
    assert.equal(attacker.beacon.relay.rejectedShares, 0, 'the attacker checks only honest shares');
  } finally {
    roles.clear();
  }
});

test('an attempt that hits a chain error ends: its shares stop being retransmitted', async () => {
  const victim = spareHolder();
  const index = cluster.nodes.indexOf(victim);
  const [, , failedBefore] = await relayCounts(victim);
  cut.add(index);
  try {
    assert.equal(verifies(await requestEntry()), true, 'the others produce the entry');
    await eventually(
      () => victim.metrics.value('performance_relay_entry_failed_total'),
      (v) => v === failedBefore! + 1,
      10_000,
      'the failed attempt counted',
    );
    assert.equal(victim.beacon.relay.runningAttempts, 0);
    const retransmitted = await victim.metrics.value('performance_message_retransmitted_total');
    const height = await cluster.chain.blocks.currentBlock();
    await cluster.chain.blocks.waitForBlock(height + 15);
    assert.equal(
      await victim.metrics.value('performance_message_retransmitted_total'),
      retransmitted,
      'nothing retransmitted after the attempt ended',
    );
  } finally {
    cut.delete(index);
  }
});
