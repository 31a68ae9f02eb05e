import assert from 'node:assert/strict';
import { test } from 'node:test';
import { equivocate, rewrite, withhold } from '../helpers/byzantine.js';
import { type AttackOptions, runAttack } from '../helpers/dkg-attack.js';

/**
 * One byzantine operator against a 10-seat, threshold-6, quorum-8 wallet DKG: each attack
 * must end with one wallet that every honest node agrees on, without the attacker's seats
 * (or, where gossip undoes the attack, without excluding anyone).
 */
const SHAPE: Omit<AttackOptions, 'behaviour' | 'excluded'> = {
  stakes: [3n, 3n, 2n, 2n, 2n],
  dkg: { groupSize: 10, groupQuorum: 8, honestThreshold: 6 },
  attacker: 4,
  attackerSeats: 2,
};

interface Announcement {
  ephemeralKeys: Record<string, string>;
}
interface Round1 {
  packages: { commitment: string[]; proofOfKnowledge: string }[];
}
interface Complaints {
  complaints: { accused: string; revealedKey: string }[];
}

test('framing by omission: an announcement without a key for one member costs the announcer its seats, not the victim', async () => {
  await runAttack({
    ...SHAPE,
    excluded: true,
    reason: 'invalid_announcement',
    // The attacker's honest code then gets no share from the victim and complains about it.
    behaviour: (scene) =>
      rewrite<Announcement>('dkg/announcement', (p) => {
        delete p.ephemeralKeys[scene.victim];
        return p;
      }),
  });
});

test('malformed ephemeral key: an announced key that is not a curve point excludes its announcer, nobody crashes', async () => {
  await runAttack({
    ...SHAPE,
    excluded: true,
    reason: 'invalid_announcement',
    behaviour: (scene) =>
      rewrite<Announcement>('dkg/announcement', (p) => {
        p.ephemeralKeys[scene.victim] = `02${'ff'.repeat(32)}`; // x ≥ p: no such point
        return p;
      }),
  });
});

test('malformed commitment: a round-1 commitment that is not a curve point excludes its dealer, nobody crashes', async () => {
  await runAttack({
    ...SHAPE,
    excluded: true,
    reason: 'invalid_round1',
    behaviour: () =>
      rewrite<Round1>('dkg/round1', (p) => {
        p.packages[0]!.commitment[1] = 'ff'.repeat(33);
        return p;
      }),
  });
});

test('bad proof of knowledge: a dealer whose proof fails is excluded', async () => {
  await runAttack({
    ...SHAPE,
    excluded: true,
    reason: 'invalid_round1',
    behaviour: () =>
      rewrite<Round1>('dkg/round1', (p) => {
        const proof = p.packages[0]!.proofOfKnowledge;
        p.packages[0]!.proofOfKnowledge = `${proof.slice(0, -2)}${proof.endsWith('00') ? '01' : '00'}`;
        return p;
      }),
  });
});

test('equivocation in round 1: different packages to different members; gossip shows both, the sender is excluded', async () => {
  await runAttack({
    ...SHAPE,
    excluded: true,
    reason: 'equivocation',
    behaviour: (scene) =>
      equivocate<Round1>(
        'dkg/round1',
        (operator) => scene.honest.indexOf(operator) % 2 === 0,
        (p) => {
          const c = p.packages[0]!.commitment;
          [c[1], c[2]] = [c[2]!, c[1]!]; // still valid points: only the comparison can tell
          return p;
        },
      ),
  });
});

test('equivocation in complaints: a false complaint shown to some members only; the sender is excluded by all', async () => {
  await runAttack({
    ...SHAPE,
    excluded: true,
    reason: 'equivocation',
    behaviour: (scene) =>
      equivocate<Complaints>(
        'dkg/complaints',
        (operator) => scene.honest.indexOf(operator) % 2 === 0,
        (p) => ({ ...p, complaints: [{ accused: scene.victim, revealedKey: '11'.repeat(32) }] }),
      ),
  });
});

test('round 2 withheld from one member: gossip relays it, so all honest nodes agree and nobody is excluded', async () => {
  await runAttack({
    ...SHAPE,
    excluded: false,
    behaviour: (scene) => withhold('dkg/round2', (operator) => operator === scene.victim),
  });
});

test('production shape, 100 seats / threshold 51 / quorum 90: an operator with 9 seats framing by omission loses exactly those 9', {
  timeout: 900_000,
}, async () => {
  const { group, scene } = await runAttack({
    // Few operators with many seats each keeps this as cheap as the shape allows.
    stakes: [25n, 25n, 20n, 20n, 10n],
    dkg: { groupSize: 100, groupQuorum: 90, honestThreshold: 51 },
    attacker: 4,
    attackerSeats: 9,
    excluded: true,
    reason: 'invalid_announcement',
    // Slow blocks: one node's share of the work must fit in a phase on a shared 2-core machine.
    blockIntervalMs: 1_000,
    behaviour: (scene) =>
      rewrite<Announcement>('dkg/announcement', (p) => {
        delete p.ephemeralKeys[scene.victim];
        return p;
      }),
  });
  assert.equal(group.filter((op) => op === scene.attacker).length, 9);
});
