import { pippenger } from '@noble/curves/abstract/curve.js';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { randomWeight } from './batch-weight.js';
import {
  type DealerPackage,
  type DkgScheme,
  proofChallengeInput,
  type ReceivedShare,
  type Seat,
} from './dkg-scheme.js';
import * as feldman from './feldman-shares.js';

/**
 * The beacon DKG's curve part: Feldman VSS over BLS12-381 with public keys in G2 (the
 * "minimal-signature-size" variant: signatures and relay entries are 48-byte G1 points, the
 * group key and public key shares are 96-byte compressed G2 points), each dealer proving
 * knowledge of its constant term with a Schnorr proof in G2. Checks are batched the same way
 * as the FROST DKG's: one multi-scalar multiplication for all proofs and one for all shares,
 * per-dealer checks only after a failure.
 */

const G2 = bls12_381.G2.Point;
const Fr = bls12_381.fields.Fr;
type G2Point = InstanceType<typeof G2>;

export const G2_BYTES = 96;
export const SCALAR_BYTES = 32;
const POK_DOMAIN = utf8ToBytes('keep-core-ts/beacon-dkg/pok/v1');

/** A uniformly random non-zero scalar. */
export function randomScalar(): bigint {
  for (;;) {
    const s = Fr.create(bytesToNumberBE(randomBytes(64)));
    if (s !== 0n) return s;
  }
}

export const scalarToBytes = (s: bigint): Uint8Array => Fr.toBytes(s);

/**
 * Decompressing a G2 point (with its subgroup check) costs about as much as a scalar
 * multiplication; a DKG run parses every dealer's commitments in three steps (proofs, share
 * checks, finalisation), so parsed points are kept per byte array.
 */
const parsedPoints = new WeakMap<Uint8Array, G2Point>();
function g2(bytes: Uint8Array): G2Point {
  let point = parsedPoints.get(bytes);
  if (!point) {
    point = G2.fromBytes(bytes);
    parsedPoints.set(bytes, point);
  }
  return point;
}

function evaluate(coefficients: readonly bigint[], x: bigint): bigint {
  let result = 0n;
  for (let k = coefficients.length - 1; k >= 0; k--) result = Fr.add(Fr.mul(result, x), coefficients[k]!);
  return result;
}

/** The proof's challenge, bound to the DKG run (`context`) so a proof cannot be replayed in another. */
function challenge(context: Uint8Array, seat: Seat, phi: Uint8Array, R: Uint8Array): bigint {
  return Fr.create(
    bytesToNumberBE(sha512(concatBytes(POK_DOMAIN, proofChallengeInput(context, seat, phi, R)))),
  );
}

interface ProofTerms {
  readonly R: G2Point;
  readonly z: bigint;
  readonly phi: G2Point;
  readonly c: bigint;
}

function proofTerms(pkg: DealerPackage, threshold: number, context: Uint8Array): ProofTerms | undefined {
  try {
    if (pkg.commitment.length !== threshold) return undefined;
    for (const c of pkg.commitment) if (c.length !== G2_BYTES) return undefined;
    const proof = pkg.proofOfKnowledge;
    if (proof.length !== G2_BYTES + SCALAR_BYTES) return undefined;
    const R = G2.fromBytes(proof.subarray(0, G2_BYTES));
    const z = Fr.fromBytes(proof.subarray(G2_BYTES));
    const phi = g2(pkg.commitment[0]!);
    if (phi.equals(G2.ZERO)) return undefined;
    for (const c of pkg.commitment.slice(1)) g2(c); // each must be a valid point
    return { R, z, phi, c: challenge(context, pkg.seat, pkg.commitment[0]!, proof.subarray(0, G2_BYTES)) };
  } catch {
    return undefined;
  }
}

/** Σ rᵢ·(zᵢ·G − Rᵢ − cᵢ·φᵢ) = 0 for random rᵢ: every proof holds. */
function proofsHold(terms: readonly ProofTerms[]): boolean {
  if (terms.length === 0) return true;
  const points: G2Point[] = [G2.BASE];
  const scalars: bigint[] = [0n];
  let zSum = 0n;
  for (const { R, z, phi, c } of terms) {
    const r = randomWeight();
    zSum = Fr.add(zSum, Fr.mul(r, z));
    points.push(R, phi);
    scalars.push(Fr.neg(r), Fr.neg(Fr.mul(r, c)));
  }
  scalars[0] = zSum;
  return msmIsZero(points, scalars);
}

function msmIsZero(points: G2Point[], scalars: bigint[]): boolean {
  const kept = scalars.map((s, i) => [points[i]!, s] as const).filter(([, s]) => s !== 0n);
  if (kept.length === 0) return true;
  return pippenger(
    G2,
    kept.map(([p]) => p),
    kept.map(([, s]) => s),
  ).equals(G2.ZERO);
}

function invalidDealers(packages: readonly DealerPackage[], threshold: number, context: Uint8Array): Seat[] {
  const bad: Seat[] = [];
  const checked: [DealerPackage, ProofTerms][] = [];
  for (const pkg of packages) {
    const terms = proofTerms(pkg, threshold, context);
    if (terms) checked.push([pkg, terms]);
    else bad.push(pkg.seat);
  }
  if (!proofsHold(checked.map(([, t]) => t))) {
    for (const [pkg, terms] of checked) if (!proofsHold([terms])) bad.push(pkg.seat);
  }
  return bad.sort((a, b) => a - b);
}

function parsedCommitments(packages: readonly DealerPackage[]): Map<Seat, G2Point[]> {
  const parsed = new Map<Seat, G2Point[]>();
  for (const pkg of packages) {
    try {
      parsed.set(
        pkg.seat,
        pkg.commitment.map((c) => g2(c)),
      );
    } catch {
      // a malformed package has no commitments: its shares fail
    }
  }
  return parsed;
}

function dealersWithInvalidShares(
  shares: readonly ReceivedShare[],
  packages: readonly DealerPackage[],
): Seat[] {
  return feldman.dealersWithInvalidShares(G2, shares, parsedCommitments(packages));
}

/** What a beacon group member holds for one seat after the DKG. */
export interface BlsKeyShare {
  readonly seat: Seat;
  /** 32-byte big-endian scalar: the seat's share of the group secret. */
  readonly secretShare: Uint8Array;
  /** 96-byte compressed G2 group public key. */
  readonly groupPublicKey: Uint8Array;
  readonly threshold: number;
  /** Public key share (96-byte compressed G2) of every qualified seat. */
  readonly publicKeyShares: ReadonlyMap<Seat, Uint8Array>;
}

function finalize(options: Parameters<DkgScheme<BlsKeyShare>['finalize']>[0]): {
  groupPublicKey: Uint8Array;
  keys: Map<Seat, BlsKeyShare>;
} {
  const qualified = new Set(options.qualified);
  const dealers = options.packages.filter((pkg) => qualified.has(pkg.seat));
  if (dealers.length !== qualified.size) throw new Error('a qualified dealer has no commitment');
  const group: G2Point[] = new Array(options.threshold).fill(G2.ZERO);
  for (const pkg of dealers) {
    pkg.commitment.forEach((c, k) => {
      group[k] = group[k]!.add(g2(c));
    });
  }
  const groupPublicKey = group[0]!.toBytes(true);
  const publicKeyShares = new Map<Seat, Uint8Array>();
  for (const seat of options.qualified) {
    const x = BigInt(seat);
    let y = group[group.length - 1]!;
    for (let k = group.length - 2; k >= 0; k--) y = y.multiplyUnsafe(x).add(group[k]!);
    publicKeyShares.set(seat, y.toBytes(true));
  }
  const keys = new Map<Seat, BlsKeyShare>();
  for (const seat of options.localSeats) {
    const fromDealers = options.shares.filter((s) => s.recipient === seat && qualified.has(s.dealer));
    if (fromDealers.length !== qualified.size) throw new Error(`seat ${seat} lacks shares`);
    let secret = 0n;
    for (const { share } of fromDealers) secret = Fr.add(secret, Fr.fromBytes(share));
    if (!G2.BASE.multiply(secret).equals(G2.fromBytes(publicKeyShares.get(seat)!))) {
      throw new Error(`seat ${seat}: secret share does not match its public key share`);
    }
    keys.set(seat, {
      seat,
      secretShare: Fr.toBytes(secret),
      groupPublicKey,
      threshold: options.threshold,
      publicKeyShares,
    });
  }
  return { groupPublicKey, keys };
}

/** The beacon DKG's scheme: threshold BLS keys on BLS12-381, public keys in G2. */
export const BLS_DKG_SCHEME: DkgScheme<BlsKeyShare> = {
  name: 'bls12-381-g2',
  shareBytes: SCALAR_BYTES,
  deal(seats, threshold, _participants, context) {
    const polynomials = new Map<Seat, bigint[]>();
    const packages: DealerPackage[] = [];
    for (const seat of seats) {
      const coefficients = Array.from({ length: threshold }, () => randomScalar());
      polynomials.set(seat, coefficients);
      const commitment = coefficients.map((a) => G2.BASE.multiply(a).toBytes(true));
      const k = randomScalar();
      const R = G2.BASE.multiply(k).toBytes(true);
      const z = Fr.add(k, Fr.mul(coefficients[0]!, challenge(context, seat, commitment[0]!, R)));
      packages.push({ seat, commitment, proofOfKnowledge: concatBytes(R, Fr.toBytes(z)) });
    }
    return {
      packages,
      sharesFor(dealer, recipients) {
        const coefficients = polynomials.get(dealer);
        if (!coefficients) throw new Error(`no polynomial for seat ${dealer}`);
        return new Map(recipients.map((r) => [r, Fr.toBytes(evaluate(coefficients, BigInt(r)))]));
      },
    };
  },
  invalidDealers,
  dealersWithInvalidShares,
  finalize,
};
