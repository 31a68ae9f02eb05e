import type { Key } from '@noble/curves/abstract/frost.js';
import { schnorr, schnorr_FROST, secp256k1 } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';

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

const Fn = secp256k1.Point.Fn;

/**
 * Interpolates the seats' signing shares at 0 by hand (Lagrange over their seat numbers, in
 * noble's scalar field): the group secret when there are at least `threshold` of them.
 */
export function interpolateSecret(keys: Key[]): bigint {
  const xs = keys.map((key) => Fn.fromBytes(hexToBytes(key.secret.identifier)));
  let secret = Fn.ZERO;
  keys.forEach((key, i) => {
    let lambda = Fn.ONE;
    xs.forEach((xj, j) => {
      if (j !== i) lambda = Fn.mul(lambda, Fn.div(xj, Fn.sub(xj, xs[i]!)));
    });
    secret = Fn.add(secret, Fn.mul(lambda, Fn.fromBytes(key.secret.signingShare)));
  });
  return secret;
}

/** A BIP-340 signature made with the secret the seats' shares interpolate to. */
export function signWithInterpolatedSecret(keys: Key[], message: Uint8Array): Uint8Array {
  return schnorr.sign(message, Fn.toBytes(interpolateSecret(keys)));
}
