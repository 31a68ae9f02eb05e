import { pippenger } from '@noble/curves/abstract/curve.js';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { randomWeight } from './batch-weight.js';

/**
 * Threshold BLS on BLS12-381, minimal-signature-size variant (noble's `shortSignatures`):
 * signatures, signature shares and relay entries are 48-byte compressed G1 points; the group
 * key and public key shares are 96-byte compressed G2 points. The message of a relay entry is
 * the previous entry's bytes, hashed to G1 with noble's default hash-to-curve suite
 * (BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_), so every entry verifies with plain
 * `bls12_381.shortSignatures.verify(entry, shortSignatures.hash(previousEntry), groupKey)`.
 */

const BLS = bls12_381.shortSignatures;
const G1 = bls12_381.G1.Point;
const G2 = bls12_381.G2.Point;
const Fr = bls12_381.fields.Fr;
export type G1Point = InstanceType<typeof G1>;
type G2Point = InstanceType<typeof G2>;

/** The first relay entry's "previous entry": a fixed G1 point everyone can recompute. */
export const GENESIS_ENTRY: Uint8Array = BLS.hash(
  new TextEncoder().encode('keep-core-ts/random-beacon/genesis-entry/v1'),
).toBytes(true);

/** The point a relay entry signs: the previous entry hashed to G1. */
export const entryMessage = (previousEntry: Uint8Array): G1Point => BLS.hash(previousEntry);

/** One seat's signature share: secretShare · H(previousEntry), 48 bytes. */
export function signShare(secretShare: Uint8Array, message: G1Point): Uint8Array {
  return message.multiply(Fr.fromBytes(secretShare)).toBytes(true);
}

export interface ShareToCheck {
  readonly seat: number;
  /** 48-byte compressed G1 point. */
  readonly share: Uint8Array;
  /** 96-byte compressed G2 public key share of the seat. */
  readonly publicKeyShare: Uint8Array;
}

/** One pairing equation per share: e(σᵢ, G2) = e(H(m), PKᵢ). */
export function verifyShare(share: ShareToCheck, message: G1Point): boolean {
  try {
    return BLS.verify(G1.fromBytes(share.share), message, G2.fromBytes(share.publicKeyShare));
  } catch {
    return false;
  }
}

/**
 * All shares at once with random 128-bit weights rᵢ: e(Σ rᵢ·σᵢ, G2) = e(H(m), Σ rᵢ·PKᵢ), one
 * pairing equation and one MSM per group instead of one pairing equation per share. A forged
 * set passes with probability about 2⁻¹²⁸.
 */
export function verifySharesBatch(shares: readonly ShareToCheck[], message: G1Point): boolean {
  if (shares.length === 0) return true;
  if (shares.length === 1) return verifyShare(shares[0]!, message);
  try {
    const sigs: G1Point[] = [];
    const keys: G2Point[] = [];
    const weights: bigint[] = [];
    for (const s of shares) {
      sigs.push(G1.fromBytes(s.share));
      keys.push(G2.fromBytes(s.publicKeyShare));
      weights.push(randomWeight());
    }
    return BLS.verify(pippenger(G1, sigs, weights), message, pippenger(G2, keys, weights));
  } catch {
    return false;
  }
}

/**
 * The invalid shares among `shares`: one batch check; when it fails, the set is split in
 * halves and each half checked the same way, down to single shares, so a few bad shares
 * among many cost a few batch checks instead of one pairing check per share.
 */
export function invalidShares(shares: readonly ShareToCheck[], message: G1Point): ShareToCheck[] {
  if (shares.length === 0 || verifySharesBatch(shares, message)) return [];
  if (shares.length === 1) return [...shares];
  const middle = shares.length >> 1;
  return [
    ...invalidShares(shares.slice(0, middle), message),
    ...invalidShares(shares.slice(middle), message),
  ];
}

/** The group signature from `threshold` valid shares: Lagrange interpolation at 0 in G1. */
export function combineShares(shares: readonly { seat: number; share: Uint8Array }[]): Uint8Array {
  const xs = shares.map((s) => BigInt(s.seat));
  const lambdas = xs.map((xi, i) => {
    let num = 1n;
    let den = 1n;
    xs.forEach((xj, j) => {
      if (j === i) return;
      num = Fr.mul(num, xj);
      den = Fr.mul(den, Fr.sub(xj, xi));
    });
    return Fr.div(num, den);
  });
  return pippenger(
    G1,
    shares.map((s) => G1.fromBytes(s.share)),
    lambdas,
  ).toBytes(true);
}

/** Whether `entry` is the group's signature over `previousEntry` (what the chain checks). */
export function verifyEntry(
  entry: Uint8Array,
  previousEntry: Uint8Array,
  groupPublicKey: Uint8Array,
): boolean {
  try {
    if (entry.length !== 48 || groupPublicKey.length !== 96) return false;
    return BLS.verify(G1.fromBytes(entry), entryMessage(previousEntry), G2.fromBytes(groupPublicKey));
  } catch {
    return false;
  }
}

/** Whether `bytes` is a 96-byte compressed G2 point (a beacon group key). */
export function isG2PublicKey(bytes: Uint8Array): boolean {
  if (bytes.length !== 96) return false;
  try {
    return !G2.fromBytes(bytes).equals(G2.ZERO);
  } catch {
    return false;
  }
}
