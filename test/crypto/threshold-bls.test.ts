import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import {
  combineShares,
  entryMessage,
  GENESIS_ENTRY,
  invalidShares,
  signShare,
  verifyEntry,
  verifySharesBatch,
} from '../../src/crypto/threshold-bls.js';
import { BLS_DKG_SCHEME } from '../../src/crypto/bls-dkg.js';
import type { ReceivedShare } from '../../src/crypto/dkg-scheme.js';

const SEATS = [1, 2, 3, 4, 5];
const THRESHOLD = 3;
const SESSION = new TextEncoder().encode('beacon-dkg-test-session');

function dkg() {
  const dealt = BLS_DKG_SCHEME.deal(SEATS, THRESHOLD, SEATS.length, SESSION);
  const shares: ReceivedShare[] = SEATS.flatMap((dealer) =>
    [...dealt.sharesFor(dealer, SEATS)].map(([recipient, share]) => ({ dealer, recipient, share })),
  );
  return { dealt, shares };
}

test('BLS DKG scheme: proofs and shares check out, any 3 of 5 seats sign an entry that noble verifies', () => {
  const { dealt, shares } = dkg();
  assert.deepEqual(BLS_DKG_SCHEME.invalidDealers(dealt.packages, THRESHOLD, SESSION), []);
  assert.deepEqual(BLS_DKG_SCHEME.dealersWithInvalidShares(shares, dealt.packages), []);
  const { groupPublicKey, keys } = BLS_DKG_SCHEME.finalize({
    threshold: THRESHOLD,
    qualified: SEATS,
    packages: dealt.packages,
    shares,
    localSeats: SEATS,
  });
  assert.equal(groupPublicKey.length, 96);
  const message = entryMessage(GENESIS_ENTRY);
  const signed = SEATS.map((seat) => ({
    seat,
    share: signShare(keys.get(seat)!.secretShare, message),
    publicKeyShare: keys.get(seat)!.publicKeyShares.get(seat)!,
  }));
  assert.equal(verifySharesBatch(signed, message), true);
  const a = combineShares([signed[0]!, signed[2]!, signed[4]!]);
  const b = combineShares([signed[1]!, signed[3]!, signed[4]!]);
  assert.deepEqual(a, b, 'threshold BLS signatures are unique');
  assert.equal(verifyEntry(a, GENESIS_ENTRY, groupPublicKey), true);
  assert.equal(
    bls12_381.shortSignatures.verify(a, bls12_381.shortSignatures.hash(GENESIS_ENTRY), groupPublicKey),
    true,
  );
  assert.equal(verifyEntry(combineShares(signed.slice(0, 2)), GENESIS_ENTRY, groupPublicKey), false);

  const forged = [...signed];
  forged[3] = { ...forged[3]!, share: signed[2]!.share };
  assert.equal(verifySharesBatch(forged, message), false);
  assert.deepEqual(
    invalidShares(forged, message).map((s) => s.seat),
    [4],
  );
});

test('BLS DKG scheme: a bad share and a bad proof of knowledge name their dealers', () => {
  const { dealt, shares } = dkg();
  const tampered = shares.map((s) =>
    s.dealer === 2 && s.recipient === 4 ? { ...s, share: shares.find((o) => o.dealer === 3)!.share } : s,
  );
  assert.deepEqual(BLS_DKG_SCHEME.dealersWithInvalidShares(tampered, dealt.packages), [2]);
  const packages = dealt.packages.map((p) =>
    p.seat === 5 ? { ...p, proofOfKnowledge: dealt.packages[0]!.proofOfKnowledge } : p,
  );
  assert.deepEqual(BLS_DKG_SCHEME.invalidDealers(packages, THRESHOLD, SESSION), [5]);
});

test('BLS DKG scheme: proofs of knowledge made for one DKG session fail in another', () => {
  const { dealt } = dkg();
  const other = new TextEncoder().encode('beacon-dkg-other-session');
  assert.deepEqual(BLS_DKG_SCHEME.invalidDealers(dealt.packages, THRESHOLD, other), SEATS);
});
