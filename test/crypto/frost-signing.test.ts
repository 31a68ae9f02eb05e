import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { FrostSigningSession } from '../../src/crypto/frost-signing.js';
import { seededRng } from '../helpers/prng.js';

const signers = { min: 4, max: 7 };

function session(message: Uint8Array, seed?: string) {
  const rng = seed === undefined ? undefined : seededRng(seed);
  const deal = schnorr_FROST.trustedDealer(signers, undefined, undefined, rng);
  const ids = Object.keys(deal.secretShares).slice(1, 5);
  const keys = ids.map((id) => ({ secret: deal.secretShares[id]!, public: deal.public }));
  const nonces = keys.map((key) => schnorr_FROST.commit(key.secret, rng));
  const commitments = nonces.map((n) => n.commitments);
  return { deal, ids, keys, nonces, commitments, message };
}

const copy = (n: { hiding: Uint8Array; binding: Uint8Array }) => ({
  hiding: n.hiding.slice(),
  binding: n.binding.slice(),
});

describe('FrostSigningSession', () => {
  it('computes the same shares as noble and verifies them, for both parities of key and nonce', () => {
    // Seeded keys and nonces, tried in turn until each key/nonce parity pair has been met: the
    // same candidates every run (the bound is far above what the four pairs need).
    const parities = new Set<string>();
    for (let round = 0; round < 64 && parities.size < 4; round++) {
      const message = new Uint8Array(32).fill(round);
      const s = session(message, `parity-${round}`);
      const ours = new FrostSigningSession(s.deal.public, s.commitments, message);
      const shares = new Map<string, Uint8Array>();
      s.keys.forEach((key, i) => {
        const mine = ours.signShare(key.secret, copy(s.nonces[i]!.nonces));
        const theirs = schnorr_FROST.signShare(
          key.secret,
          key.public,
          s.nonces[i]!.nonces,
          s.commitments,
          message,
        );
        assert.equal(bytesToHex(mine), bytesToHex(theirs));
        assert.ok(ours.verifyShare(key.secret.identifier, mine));
        shares.set(key.secret.identifier, mine);
      });
      const result = ours.aggregate(shares);
      assert.ok('signature' in result);
      assert.ok(schnorr.verify(result.signature, message, s.deal.public.commitments[0]!.subarray(1)));
      const key = s.deal.public.commitments[0]!;
      const nonceEven = (ours as unknown as { commitmentEven: boolean }).commitmentEven;
      parities.add(`${key[0] === 2 ? 'even' : 'odd'} key, ${nonceEven ? 'even' : 'odd'} nonce`);
    }
    assert.equal(parities.size, 4, 'all four key/nonce parity combinations were exercised');
  });

  it('names the signer of a bad share and rejects malformed shares', () => {
    const message = new Uint8Array(32).fill(9);
    const s = session(message);
    const ours = new FrostSigningSession(s.deal.public, s.commitments, message);
    const shares = new Map<string, Uint8Array>();
    s.keys.forEach((key, i) => {
      shares.set(key.secret.identifier, ours.signShare(key.secret, s.nonces[i]!.nonces));
    });
    const victim = s.ids[2]!;
    const bad = shares.get(victim)!.slice();
    bad[31]! ^= 1;
    shares.set(victim, bad);
    assert.deepEqual(ours.aggregate(shares), { bad: [victim] });
    assert.equal(ours.verifyShare(victim, new Uint8Array(31)), false);
    assert.equal(ours.verifyShare(victim, new Uint8Array(32).fill(0xff)), false);
    assert.equal(ours.verifyShare('not-a-signer', shares.get(s.ids[0]!)!), false);
  });

  it('refuses a session that does not carry the signer’s own nonce commitments', () => {
    const message = new Uint8Array(32).fill(5);
    const s = session(message);
    const swapped = s.commitments.map((c, i) => (i === 0 ? { ...c, hiding: s.commitments[1]!.hiding } : c));
    const ours = new FrostSigningSession(s.deal.public, swapped, message);
    assert.throws(() => ours.signShare(s.keys[0]!.secret, s.nonces[0]!.nonces), /nonce commitments/);
  });

  it('refuses to reuse nonces', () => {
    const message = new Uint8Array(32).fill(3);
    const s = session(message);
    const ours = new FrostSigningSession(s.deal.public, s.commitments, message);
    ours.signShare(s.keys[0]!.secret, s.nonces[0]!.nonces);
    assert.throws(() => ours.signShare(s.keys[0]!.secret, s.nonces[0]!.nonces), /already used/);
  });
});
