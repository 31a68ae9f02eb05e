import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { GENESIS_ENTRY } from '../../src/crypto/threshold-bls.js';
import type { BeaconGroupRegisteredEvent, RelayEntrySubmittedEvent } from '../../src/chain/types.js';
import { beaconGroupId } from '../../src/storage/beacon-store.js';
import { ProcessCluster } from '../helpers/process-cluster.js';
import { eventually } from '../helpers/wait.js';

const PASSWORD = 'beacon multiprocess';
const NODES = 4;
const BEACON = [
  '--beacon.groupSize',
  '10',
  '--beacon.groupQuorum',
  '8',
  '--beacon.groupThreshold',
  '6',
  '--beacon.dkgPhaseBlocks',
  '50',
  '--beacon.resultChallengePeriodBlocks',
  '5',
  '--beacon.relayEntryTimeoutBlocks',
  '50',
];
const BLS = bls12_381.shortSignatures;

describe('relay entries between keep-client processes over libp2p and a chain server', () => {
  const cluster = new ProcessCluster({
    password: PASSWORD,
    nodes: NODES,
    sharedArgs: BEACON,
  });
  const { setups, nodes } = cluster;
  const metric = (i: number, name: string, labels: Record<string, string> = {}) =>
    cluster.metric(i, name, labels);
  const startNode = (i: number) => cluster.startNode(i);
  let group: BeaconGroupRegisteredEvent;
  let previous = GENESIS_ENTRY;
  const RELAY = [
    'performance_relay_entry_generation_total',
    'performance_relay_entry_success_total',
    'performance_relay_entry_failed_total',
  ] as const;
  const relayMetrics = async (i: number) => ({
    ...Object.fromEntries(await Promise.all(RELAY.map(async (name) => [name, await metric(i, name)]))),
    durations: await metric(i, 'performance_relay_entry_duration_seconds_count', { outcome: 'success' }),
  });
  /** Rejects after `ms` with the nodes' and the chain's warnings, instead of hanging the suite. */
  const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const warnings = [cluster.chainProcess, ...nodes].flatMap((p, k) =>
          p.logs
            .filter((line) => Number(line.level) >= 40 || /DKG|relay/.test(String(line.msg)))
            .slice(-15)
            .map((line) => `${k === 0 ? 'chain' : `node${k - 1}`}: ${JSON.stringify(line)}`),
        );
        reject(new Error(`${what} did not happen within ${ms} ms\n${warnings.join('\n')}`));
      }, ms);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  const seatsOf = (i: number) => group.members.filter((m) => m.operator === setups[i]!.address).length;

  /** Requests an entry on demand through the chain RPC; resolves with its submission. */
  const requestEntry = async (): Promise<RelayEntrySubmittedEvent> => {
    const submitted = new Promise<RelayEntrySubmittedEvent>((resolve) => {
      const stop = cluster.observer.randomBeacon.onRelayEntrySubmitted((event) => {
        stop();
        resolve(event);
      });
    });
    await cluster.observer.randomBeacon.requestRelayEntry();
    const entry = await within(submitted, 20_000, 'a relay entry');
    assert.equal(bytesToHex(entry.previousEntry), bytesToHex(previous), 'chains to the previous entry');
    assert.equal(BLS.verify(entry.entry, BLS.hash(entry.previousEntry), group.groupPublicKey), true);
    previous = entry.entry;
    return entry;
  };

  before(() => cluster.start());
  after(() => cluster.stop());

  test('4 node processes form a beacon group and produce chained relay entries; relay metrics move on every scrape', async () => {
    const registered = new Promise<BeaconGroupRegisteredEvent>((resolve) => {
      const stop = cluster.observer.randomBeacon.onGroupRegistered((event) => {
        stop();
        resolve(event);
      });
    });
    await cluster.observer.randomBeacon.requestNewGroup();
    group = await within(registered, 60_000, 'the beacon group registration');
    assert.equal(group.groupPublicKey.length, 96);
    // Each node activates its pending shares when it sees the registration, as this test does.
    for (let i = 0; i < NODES; i++) {
      const expected = seatsOf(i) > 0 ? [`group-${beaconGroupId(group.groupPublicKey)}.json`] : [];
      await eventually(
        () => readdirSync(join(setups[i]!.storage, 'keystore', 'beacon')),
        (files) => JSON.stringify(files) === JSON.stringify(expected),
        10_000,
        `node ${i}'s keystore holds exactly ${JSON.stringify(expected)}`,
      );
    }
    const base = await Promise.all(setups.map((_, i) => relayMetrics(i)));
    for (let k = 0; k < 3; k++) await requestEntry();
    for (let i = 0; i < NODES; i++) {
      const expected = seatsOf(i) > 0 ? 3 : 0;
      await eventually(
        () => metric(i, 'performance_relay_entry_success_total'),
        (v) => v === base[i]!.performance_relay_entry_success_total + expected,
        10_000,
        `relay successes on node ${i}`,
      );
      const now = await relayMetrics(i);
      assert.equal(
        now.performance_relay_entry_generation_total - base[i]!.performance_relay_entry_generation_total,
        expected,
      );
      assert.equal(
        now.performance_relay_entry_failed_total - base[i]!.performance_relay_entry_failed_total,
        0,
      );
      assert.equal(now.durations - base[i]!.durations, expected);
      assert.equal(await metric(i, 'performance_relay_entry_timeout_reported_total'), 0);
    }
  });

  test('a member restarted from its beacon keystore takes part in the next entry', async () => {
    const member = setups.findIndex((_, i) => seatsOf(i) > 0);
    await nodes[member]!.stop('SIGTERM');
    nodes[member] = await startNode(member);
    const started = nodes[member]!.logs.find((line) => line.msg === 'node started');
    assert.equal(started?.beaconGroups, 1, 'the beacon group was reloaded');
    for (let i = 0; i < NODES; i++) {
      if (i === member) continue;
      await eventually(
        () => metric(i, 'connected_peers_count'),
        (v) => v === NODES - 1,
        30_000,
        `peers of node ${i}`,
      );
    }
    await requestEntry();
    await eventually(
      () => metric(member, 'performance_relay_entry_success_total'),
      (v) => v === 1,
      10_000,
      'the restarted member counted the entry',
    );
    assert.equal(await metric(member, 'performance_relay_entry_generation_total'), 1);
  });
});
