import type { Key } from '@noble/curves/abstract/frost.js';
import { schnorr_FROST } from '@noble/curves/secp256k1.js';

/** Signs with the given key packages, coordinator-style, with fresh nonces. */
export function frostSign(keys: Key[], message: Uint8Array): Uint8Array {
  const nonces = keys.map((key) => schnorr_FROST.commit(key.secret));
  const commitments = nonces.map((n) => n.commitments);
  const pub = keys[0]!.public;
  const sigShares: Record<string, Uint8Array> = {};
  keys.forEach((key, i) => {
    sigShares[key.secret.identifier] = schnorr_FROST.signShare(
      key.secret,
      pub,
      nonces[i]!.nonces,
      commitments,
      message,
    );
  });
  return schnorr_FROST.aggregate(pub, commitments, message, sigShares);
}
