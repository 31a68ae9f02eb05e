import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import {
  type DealerPackage,
  dealersWithInvalidShares,
  dealRound1,
  finalizeKeys,
  identifierOf,
  invalidDealers,
  proofOfKnowledgeValid,
  type ReceivedShare,
  sharesFor,
  xOnly,
} from '../../src/crypto/frost-dkg.js';
import { frostSign } from '../helpers/frost.js';

/** Runs the whole DKG in memory for the given seats; `tamper` may corrupt what is sent. */
function runDkg(
  seats: number[],
  threshold: number,
  tamper: { share?: (s: ReceivedShare) => ReceivedShare } = {},
) {
  const { secrets, packages } = dealRound1(seats, threshold, seats.length);
  const shares: ReceivedShare[] = [];
  for (const [dealer, secret] of secrets) {
    for (const [recipient, share] of sharesFor(secret, seats)) {
      const sent = { dealer, recipient, share };
      shares.push(tamper.share ? tamper.share(sent) : sent);
    }
  }
  return { secrets, packages, shares };
}

test('10 seats, threshold 6: every 6 shares sign under the group key; 5 cannot', () => {
  const seats = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const { packages, shares } = runDkg(seats, 6);
  assert.deepEqual(invalidDealers(packages, 6), []);
  assert.deepEqual(dealersWithInvalidShares(shares, packages), []);
  const keys = finalizeKeys({ threshold: 6, qualified: seats, packages, shares, localSeats: seats });
  const groupKey = keys.get(1)!.public.commitments[0]!;
  for (const key of keys.values())
    assert.deepEqual(key.public.commitments[0], groupKey, 'same group key for all');
  const message = new TextEncoder().encode('heartbeat');
  for (const subset of [
    [1, 2, 3, 4, 5, 6],
    [5, 6, 7, 8, 9, 10],
    [1, 3, 5, 7, 9, 10],
  ]) {
    const signature = frostSign(
      subset.map((s) => keys.get(s)!),
      message,
    );
    assert.equal(schnorr.verify(signature, message, xOnly(groupKey)), true, `subset ${subset}`);
  }
  assert.throws(() =>
    frostSign(
      [1, 2, 3, 4, 5].map((s) => keys.get(s)!),
      message,
    ),
  );
});

test('a dealer that sends one recipient a bad share is named; the others finish without it', () => {
  const seats = [1, 2, 3, 4, 5, 6, 7, 8];
  const { packages, shares } = runDkg(seats, 5, {
    share: (s) => (s.dealer === 3 && s.recipient === 7 ? { ...s, share: new Uint8Array(32).fill(9) } : s),
  });
  assert.deepEqual(dealersWithInvalidShares(shares, packages), [3]);
  const qualified = seats.filter((s) => s !== 3);
  const keys = finalizeKeys({ threshold: 5, qualified, packages, shares, localSeats: qualified });
  const message = new Uint8Array(32).fill(1);
  const signature = frostSign(
    [1, 2, 4, 7, 8].map((s) => keys.get(s)!),
    message,
  );
  assert.equal(schnorr.verify(signature, message, xOnly(keys.get(1)!.public.commitments[0]!)), true);
});

test('a forged proof of knowledge or a malformed commitment is named', () => {
  const seats = [1, 2, 3, 4, 5];
  const { secrets, packages } = runDkg(seats, 3);
  const other = dealRound1([9], 3, 5).packages[0]!;
  const forged: DealerPackage[] = packages.map((p) =>
    p.seat === 2
      ? { ...p, proofOfKnowledge: other.proofOfKnowledge }
      : p.seat === 4
        ? { ...p, commitment: p.commitment.slice(1) }
        : p,
  );
  assert.deepEqual(invalidDealers(forged, 3), [2, 4]);
  // Our check is noble's round-2 equation: noble must agree on both verdicts.
  const toRound1 = (p: DealerPackage) => ({
    identifier: identifierOf(p.seat),
    commitment: p.commitment,
    proofOfKnowledge: p.proofOfKnowledge,
  });
  const nobleAccepts = (others: DealerPackage[]) => {
    try {
      schnorr_FROST.DKG.round2({ ...secrets.get(1)!, step: 1 } as never, others.map(toRound1) as never);
      return true;
    } catch {
      return false;
    }
  };
  assert.ok(packages.every(proofOfKnowledgeValid));
  assert.equal(nobleAccepts(packages.slice(1)), true);
  assert.equal(proofOfKnowledgeValid(forged[1]!), false);
  assert.equal(nobleAccepts([forged[1]!, ...packages.slice(2)]), false);
});
