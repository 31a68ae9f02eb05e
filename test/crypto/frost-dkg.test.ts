import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  type DealerPackage,
  dealersWithInvalidShares,
  dealRound1,
  FROST_DKG_SCHEME,
  finalizeKeys,
  invalidDealers,
  proofOfKnowledgeValid,
  type ReceivedShare,
  sharesFor,
  xOnly,
} from '../../src/crypto/frost-dkg.js';
import { frostSign, interpolateSecret, signWithInterpolatedSecret } from '../helpers/frost.js';

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
  // Six shares interpolate to the group secret (the hand-made combination is right)...
  const six = [2, 3, 5, 6, 8, 9].map((s) => keys.get(s)!);
  assert.equal(schnorr.verify(signWithInterpolatedSecret(six, message), message, xOnly(groupKey)), true);
  // ...five do not: not the group secret, and what they sign does not verify.
  for (const subset of [
    [1, 2, 3, 4, 5],
    [6, 7, 8, 9, 10],
  ]) {
    const five = subset.map((s) => keys.get(s)!);
    assert.notEqual(
      bytesToHex(secp256k1.Point.BASE.multiply(interpolateSecret(five)).toBytes(true)),
      bytesToHex(groupKey),
    );
    assert.equal(schnorr.verify(signWithInterpolatedSecret(five, message), message, xOnly(groupKey)), false);
  }
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

test('a forged proof, a replayed proof and malformed points are named, never thrown', () => {
  const seats = [1, 2, 3, 4, 5, 6];
  const session = new TextEncoder().encode('session-a');
  const { packages } = dealRound1(seats, 3, 6, session);
  assert.deepEqual(invalidDealers(packages, 3, session), []);
  const other = dealRound1([9], 3, 5, session).packages[0]!;
  const notAPoint = new Uint8Array(33).fill(0xff);
  const forged: DealerPackage[] = packages.map((p) => {
    if (p.seat === 1) return { ...p, proofOfKnowledge: other.proofOfKnowledge }; // someone else's proof
    if (p.seat === 2) return { ...p, proofOfKnowledge: packages[2]!.proofOfKnowledge }; // seat 3's
    if (p.seat === 3) return { ...p, commitment: [notAPoint, ...p.commitment.slice(1)] };
    if (p.seat === 4) return { ...p, commitment: [...p.commitment.slice(0, 2), p.commitment[0]!.slice(1)] };
    if (p.seat === 5) return { ...p, proofOfKnowledge: new Uint8Array(65).fill(0xff) }; // z ≥ n
    return p;
  });
  assert.deepEqual(invalidDealers(forged, 3, session), [1, 2, 3, 4, 5]);
  assert.equal(proofOfKnowledgeValid(packages[5]!, 3, session), true);
  // Share checks against a package that does not parse name its dealer instead of throwing.
  assert.deepEqual(
    dealersWithInvalidShares([{ dealer: 3, recipient: 1, share: new Uint8Array(32).fill(1) }], forged),
    [3],
  );
});

test('FROST DKG: proofs of knowledge made for one DKG session fail in another', () => {
  const seats = [1, 2, 3, 4, 5];
  const a = new TextEncoder().encode('wallet-dkg-session-a');
  const b = new TextEncoder().encode('wallet-dkg-session-b');
  const { packages } = dealRound1(seats, 3, 5, a);
  assert.deepEqual(invalidDealers(packages, 3, a), []);
  assert.deepEqual(invalidDealers(packages, 3, b), seats);
  assert.deepEqual(FROST_DKG_SCHEME.invalidDealers(packages, 3, b), seats);
  // A package moved to another seat fails too: the seat is bound as well.
  assert.deepEqual(invalidDealers([{ ...packages[0]!, seat: 7 }], 3, a), [7]);
});
