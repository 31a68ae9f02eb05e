import { pippenger } from '@noble/curves/abstract/curve.js';
import type { Key } from '@noble/curves/abstract/frost.js';
import { schnorr_FROST, secp256k1, secp256k1_hasher } from '@noble/curves/secp256k1.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
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
 * The FROST DKG (Pedersen VSS with proofs of knowledge, RFC 9591 appendix C / the FROST
 * paper's KeyGen) for a node that may hold several seats of a group, composed from
 * @noble/curves:
 *
 * - round 1: per seat a random polynomial of degree t-1, its Feldman commitments and a
 *   Schnorr proof of knowledge of the constant term whose challenge binds the DKG session
 *   and the seat (noble's own round-1 proof hashes only id, φ₀ and R, so a package of one
 *   session would pass in another);
 * - every point and scalar a dealer sends is parsed once, at the boundary (`invalidDealers`):
 *   a package that does not parse is the dealer's fault, never an exception;
 * - the dealers' proofs are checked once per node (not once per seat), all in one
 *   multi-scalar multiplication; shares are the polynomial evaluations noble's round 2 makes;
 * - received shares are checked together: for random 128-bit r, Σ r·s·G = Σ r·Σ_k x^k·C_k is
 *   one multi-scalar multiplication over all dealers' commitments, for all local seats at once;
 * - the group commitment and every participant's verifying share are computed once per node.
 *
 * The output is noble's FROST `Key` package, so signing is plain `schnorr_FROST`. The group
 * key is left untweaked: its x coordinate is the BIP-340 key that signatures verify under.
 */

const Point = secp256k1.Point;
const Fn = Point.Fn;
type CurvePoint = InstanceType<typeof Point>;

export type { DealerPackage, ReceivedShare, Seat } from './dkg-scheme.js';

export const identifierOf = (seat: Seat): string => schnorr_FROST.Identifier.fromNumber(seat);

const scalarOf = (seat: Seat): bigint => BigInt(seat);

export const POINT_BYTES = 33;
export const SCALAR_BYTES = 32;
/** A proof of knowledge: R (compressed point) | z (scalar). */
export const PROOF_BYTES = POINT_BYTES + SCALAR_BYTES;
const POK_DST = utf8ToBytes('keep-core-ts/wallet-dkg/pok/v1');

/**
 * Decompressing a point costs a square root; a run parses every dealer's commitments in
 * three steps (proofs, share checks, finalisation), so parsed points are kept per byte array.
 */
const parsedPoints = new WeakMap<Uint8Array, CurvePoint>();
function point(bytes: Uint8Array): CurvePoint {
  let parsed = parsedPoints.get(bytes);
  if (!parsed) {
    if (bytes.length !== POINT_BYTES) throw new Error(`a point is ${POINT_BYTES} bytes`);
    parsed = Point.fromBytes(bytes);
    parsedPoints.set(bytes, parsed);
  }
  return parsed;
}

/**
 * The proof's challenge c = H(len(context) | context | seat | φ₀ | R), hashed to a scalar
 * (RFC 9380 hash_to_field) under this scheme's own domain tag: bound to the DKG run and seat.
 */
function challenge(context: Uint8Array, seat: Seat, phi: Uint8Array, R: Uint8Array): bigint {
  return secp256k1_hasher.hashToScalar(proofChallengeInput(context, seat, phi, R), { DST: POK_DST });
}

/** A uniformly random non-zero scalar (noble's secret-key generation). */
const randomScalar = (): bigint => Fn.fromBytes(secp256k1.utils.randomSecretKey());

/** The dealer's secret: the coefficients a_0..a_{t-1} of its polynomial. */
export interface DealerSecret {
  readonly coefficients: readonly bigint[];
}

/**
 * Round 1 for each local seat: a random polynomial of degree t-1, its commitments
 * C_k = a_k·G and a proof of knowledge of a_0 bound to `context` (the DKG session).
 */
export function dealRound1(
  seats: readonly Seat[],
  threshold: number,
  _participants: number,
  context: Uint8Array = new Uint8Array(),
) {
  const secrets = new Map<Seat, DealerSecret>();
  const packages: DealerPackage[] = [];
  for (const seat of seats) {
    const coefficients = Array.from({ length: threshold }, randomScalar);
    const commitment = coefficients.map((a) => Point.BASE.multiply(a).toBytes(true));
    const k = randomScalar();
    const R = Point.BASE.multiply(k).toBytes(true);
    // z = k + c·a_0, so that z·G − c·φ₀ = R.
    const z = Fn.add(k, Fn.mul(coefficients[0]!, challenge(context, seat, commitment[0]!, R)));
    secrets.set(seat, { coefficients });
    packages.push({ seat, commitment, proofOfKnowledge: concatBytes(R, Fn.toBytes(z)) });
  }
  return { secrets, packages };
}

interface ProofTerms {
  readonly R: CurvePoint;
  readonly z: bigint;
  readonly phi: CurvePoint;
  readonly c: bigint;
}

/**
 * Parses a dealer's package at the boundary: `threshold` commitments, each a valid non-zero
 * point, and a proof R | z with R a point and z a canonical scalar. Undefined when anything
 * fails to parse; never throws.
 */
function proofTerms(pkg: DealerPackage, threshold: number, context: Uint8Array): ProofTerms | undefined {
  try {
    if (pkg.commitment.length !== threshold || threshold < 1) return undefined;
    for (const c of pkg.commitment) if (point(c).equals(Point.ZERO)) return undefined;
    const proof = pkg.proofOfKnowledge;
    if (proof.length !== PROOF_BYTES) return undefined;
    const rBytes = proof.subarray(0, POINT_BYTES);
    const R = Point.fromBytes(rBytes);
    const z = Fn.fromBytes(proof.subarray(POINT_BYTES));
    const phi = point(pkg.commitment[0]!);
    return { R, z, phi, c: challenge(context, pkg.seat, pkg.commitment[0]!, rBytes) };
  } catch {
    return undefined;
  }
}

/** Σ rᵢ·(Rᵢ − zᵢ·G + cᵢ·φᵢ) = 0 for random rᵢ: every proof holds (one MSM for all of them). */
function proofsHold(terms: readonly ProofTerms[]): boolean {
  if (terms.length === 0) return true;
  const points: CurvePoint[] = [Point.BASE];
  const scalars: bigint[] = [];
  let zSum = Fn.ZERO;
  for (const { R, z, phi, c } of terms) {
    const r = randomWeight();
    zSum = Fn.add(zSum, Fn.mul(r, z));
    points.push(R, phi);
    scalars.push(r, Fn.mul(r, c));
  }
  scalars.unshift(Fn.neg(zSum));
  return pippenger(Point, points, scalars).equals(Point.ZERO);
}

/** Checks one dealer's package and proof of knowledge for the DKG session `context`. */
export function proofOfKnowledgeValid(
  pkg: DealerPackage,
  threshold: number,
  context: Uint8Array = new Uint8Array(),
): boolean {
  const terms = proofTerms(pkg, threshold, context);
  return terms !== undefined && proofsHold([terms]);
}

/**
 * The dealers whose package is malformed or whose proof of knowledge (for `context`) fails:
 * all proofs are checked together in one multi-scalar multiplication, each alone only after
 * a failure.
 */
export function invalidDealers(
  packages: readonly DealerPackage[],
  threshold: number,
  context: Uint8Array = new Uint8Array(),
): Seat[] {
  const bad: Seat[] = [];
  const checked: [DealerPackage, ProofTerms][] = [];
  for (const pkg of packages) {
    const terms = proofTerms(pkg, threshold, context);
    if (terms) checked.push([pkg, terms]);
    else bad.push(pkg.seat);
  }
  if (!proofsHold(checked.map(([, terms]) => terms))) {
    for (const [pkg, terms] of checked) if (!proofsHold([terms])) bad.push(pkg.seat);
  }
  return bad.sort((a, b) => a - b);
}

function evaluate(coefficients: readonly bigint[], x: bigint): bigint {
  let result = Fn.ZERO;
  for (let k = coefficients.length - 1; k >= 0; k--) result = Fn.add(Fn.mul(result, x), coefficients[k]!);
  return result;
}

/** The dealer seat's share for each recipient seat: f(recipient), 32 bytes. */
export function sharesFor(secret: DealerSecret, recipients: readonly Seat[]): Map<Seat, Uint8Array> {
  const shares = new Map<Seat, Uint8Array>();
  for (const recipient of recipients)
    shares.set(recipient, Fn.toBytes(evaluate(secret.coefficients, scalarOf(recipient))));
  return shares;
}

/** The commitments of the packages that parse; a dealer left out fails every share check. */
function parsedCommitments(packages: readonly DealerPackage[]): Map<Seat, CurvePoint[]> {
  const parsed = new Map<Seat, CurvePoint[]>();
  for (const pkg of packages) {
    try {
      parsed.set(pkg.seat, pkg.commitment.map(point));
    } catch {
      // a malformed package has no commitments: its shares fail
    }
  }
  return parsed;
}
/**
 * The dealers that sent at least one invalid share: one combined check for everything;
 * only when it fails, one check per dealer to name the culprits.
 */
export function dealersWithInvalidShares(
  shares: readonly ReceivedShare[],
  packages: readonly DealerPackage[],
): Seat[] {
  return feldman.dealersWithInvalidShares(Point, shares, parsedCommitments(packages));
}

/**
 * The FROST key packages of the local seats from the qualified dealers' commitments and the
 * shares they sent. Public work (group commitment, verifying shares) is done once.
 */
export function finalizeKeys(options: {
  threshold: number;
  qualified: readonly Seat[];
  packages: readonly DealerPackage[];
  shares: readonly ReceivedShare[];
  localSeats: readonly Seat[];
}): Map<Seat, Key> {
  const qualified = new Set(options.qualified);
  const dealers = options.packages.filter((pkg) => qualified.has(pkg.seat));
  if (dealers.length !== qualified.size) throw new Error('a qualified dealer has no commitment');
  const group: CurvePoint[] = new Array(options.threshold).fill(Point.ZERO);
  for (const pkg of dealers) {
    pkg.commitment.forEach((c, k) => {
      group[k] = group[k]!.add(point(c));
    });
  }
  const verifyingShares: Record<string, Uint8Array> = {};
  // Y_x = A_0 + x·(A_1 + x·(A_2 + ...)): Horner's rule in the exponent. Seat numbers are
  // small, so each step is a short multiplication instead of a full-width one.
  for (const seat of options.qualified) {
    const x = scalarOf(seat);
    let y = group[group.length - 1]!;
    for (let k = group.length - 2; k >= 0; k--) y = y.multiplyUnsafe(x).add(group[k]!);
    verifyingShares[identifierOf(seat)] = y.toBytes(true);
  }
  const publicPackage = {
    signers: { min: options.threshold, max: options.qualified.length },
    commitments: group.map((p) => p.toBytes(true)),
    verifyingShares,
  } as Key['public'];
  const keys = new Map<Seat, Key>();
  for (const seat of options.localSeats) {
    let signingShare = Fn.ZERO;
    const fromDealers = options.shares.filter((s) => s.recipient === seat && qualified.has(s.dealer));
    if (fromDealers.length !== qualified.size) throw new Error(`seat ${seat} lacks shares`);
    for (const { share } of fromDealers) signingShare = Fn.add(signingShare, Fn.fromBytes(share));
    const identifier = identifierOf(seat);
    if (!Point.BASE.multiply(signingShare).equals(Point.fromBytes(verifyingShares[identifier]!))) {
      throw new Error(`seat ${seat}: signing share does not match its verifying share`);
    }
    keys.set(seat, {
      public: publicPackage,
      secret: { identifier, signingShare: Fn.toBytes(signingShare) } as Key['secret'],
    });
  }
  return keys;
}

/** The x-only (BIP-340) public key of a group commitment. */
export function xOnly(groupPublicKey: Uint8Array): Uint8Array {
  return groupPublicKey.subarray(1, 33);
}

/** The wallet DKG's scheme: FROST key packages on secp256k1 (33-byte compressed group key). */
export const FROST_DKG_SCHEME: DkgScheme<Key> = {
  name: 'frost-secp256k1',
  shareBytes: 32,
  deal(seats, threshold, participants, context) {
    const { secrets, packages } = dealRound1(seats, threshold, participants, context);
    return { packages, sharesFor: (dealer, recipients) => sharesFor(secrets.get(dealer)!, recipients) };
  },
  invalidDealers,
  dealersWithInvalidShares,
  finalize(options) {
    const keys = finalizeKeys(options);
    const first = keys.values().next().value!;
    return { groupPublicKey: first.public.commitments[0]!, keys };
  },
};
