import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  combineShares,
  entryMessage,
  GENESIS_ENTRY,
  signShare,
  verifyEntry,
} from '../../src/crypto/threshold-bls.js';
import { type Behaviour, rewrite } from '../helpers/byzantine.js';
import { startBeaconCluster } from '../helpers/beacon-cluster.js';
import { eventually } from '../helpers/wait.js';

/**
 * The round-1 attacks against the beacon's BLS DKG (same phase machinery, other curve): one
 * byzantine operator among five; its seats, and only those, are excluded by every honest node.
 */
const DKG = { groupSize: 10, groupQuorum: 7, honestThreshold: 4 };
const OPERATORS = 5;

interface Round1 {
  seats?: number[];
  packages: { commitment: string[]; proofOfKnowledge: string }[];
}

/**
 * Every node runs the attack wrapper; the first one whose announcement shows a seat count
 * the group can lose (1 to size − quorum) becomes the attacker (the beacon's seeds are not
 * ours to choose). Returns its index.
 */
function oneAttacker(attack: Behaviour) {
  let attacker: number | undefined;
  const byzantine: Record<number, Behaviour> = {};
  for (let index = 0; index < OPERATORS; index++) {
    byzantine[index] = (message) => {
      if (attacker === undefined && message.type === 'dkg/announcement') {
        const seats = (message.payload as { seats: number[] }).seats.length;
        if (seats >= 1 && seats <= DKG.groupSize - DKG.groupQuorum) attacker = index;
      }
      return attacker === index ? attack(message) : undefined;
    };
  }
  return { byzantine, attacker: () => attacker };
}

async function beaconUnderAttack(attack: Behaviour): Promise<void> {
  const chosen = oneAttacker(attack);
  const cluster = startBeaconCluster({ beaconDkg: DKG, relay: {}, byzantine: chosen.byzantine });
  try {
    cluster.addNodes(Array.from({ length: OPERATORS }, () => 1n));
    const registered = await cluster.newGroup();
    const attackerIndex = chosen.attacker();
    assert.notEqual(attackerIndex, undefined, 'an operator took the attacker’s role');
    const attacker = cluster.nodes[attackerIndex!]!;
    const honest = cluster.nodes.filter((node) => node !== attacker);
    const first = honest.find((node) => node.beacon.groups.length > 0)!;
    const group = first.beacon.groups[0]!.group;
    const seats = group.map((_, i) => i + 1);
    const attackerSeats = seats.filter((seat) => group[seat - 1] === attacker.key.address);
    assert.ok(attackerSeats.length > 0);
    const qualified = seats.filter((seat) => !attackerSeats.includes(seat));
    assert.deepEqual(
      registered.members.map((m) => m.index),
      qualified,
      'the registered group leaves out exactly the attacker’s seats',
    );
    for (const node of honest) {
      if (!group.includes(node.key.address)) continue;
      // (The beacon's DKG records no DKG metrics: the outcome is the saved group key shares.)
      await eventually(
        async () => node.beacon.groups.length,
        (n) => n === 1,
        10_000,
        'every honest member saved the group',
      );
      assert.equal(bytesToHex(node.beacon.groups[0]!.groupPublicKey), bytesToHex(registered.groupPublicKey));
      assert.deepEqual(node.beacon.groups[0]!.qualifiedSeats, qualified);
    }
    assert.equal(attacker.beacon.groups.length, 0, 'the attacker holds no share of the group');
    // Any threshold of honest seats signs an entry that verifies under the registered key.
    const keys = new Map(honest.flatMap((node) => node.beacon.groups.flatMap((g) => [...g.keys])));
    const message = entryMessage(GENESIS_ENTRY);
    const signers = [...keys.keys()].sort((a, b) => a - b).slice(0, DKG.honestThreshold);
    const entry = combineShares(
      signers.map((seat) => ({
        seat,
        share: signShare(keys.get(seat)!.secretShare, message),
        publicKeyShare: keys.get(seat)!.publicKeyShares.get(seat)!,
      })),
    );
    assert.equal(verifyEntry(entry, GENESIS_ENTRY, registered.groupPublicKey), true);
  } finally {
    cluster.stop();
  }
}

test('beacon DKG: a round-1 commitment that is not a G2 point excludes its dealer, nobody crashes', async () => {
  await beaconUnderAttack(
    rewrite<Round1>('dkg/round1', (p) => {
      p.packages[0]!.commitment[1] = 'ff'.repeat(96);
      return p;
    }),
  );
});

test('beacon DKG: a dealer whose proof of knowledge fails is excluded', async () => {
  await beaconUnderAttack(
    rewrite<Round1>('dkg/round1', (p) => {
      const proof = p.packages[0]!.proofOfKnowledge;
      p.packages[0]!.proofOfKnowledge = `${proof.slice(0, -2)}${proof.endsWith('00') ? '01' : '00'}`;
      return p;
    }),
  );
});
