import { pippenger } from '@noble/curves/abstract/curve.js';
import type { DKG_Secret, Key } from '@noble/curves/abstract/frost.js';
import { schnorr_FROST, secp256k1, secp256k1_hasher } from '@noble/curves/secp256k1.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { DealerPackage, DkgScheme, ReceivedShare, Seat } from './dkg-scheme.js';
import { randomWeight } from './batch-weight.js';
import * as feldman from './feldman-shares.js';

/**
 * The FROST DKG (Pedersen VSS with proofs of knowledge) for a node that may hold several
 * seats of a group, composed from @noble/curves:
 *
 * - round 1 (commitments and proof of knowledge) is noble's `DKG.round1`, one per seat;
 * - the dealers' proofs of knowledge are checked once per node (not once per seat), all in
 *   one multi-scalar multiplication, with noble's round-2 equation; shares are the same
 *   polynomial evaluations noble's round 2 computes;
 * - received shares are checked together: for random 128-bit r, Σ r·s·G = Σ r·Σ_k x^k·C_k is
 *   one multi-scalar multiplication over all dealers' commitments, for all local seats at once,
 *   instead of one polynomial evaluation in the exponent per (dealer, seat);
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

/** Round 1 for each local seat: a random polynomial of degree t-1, commitments and proof. */
export function dealRound1(seats: readonly Seat[], threshold: number, participants: number) {
  const secrets = new Map<Seat, DKG_Secret>();
  const packages: DealerPackage[] = [];
  for (const seat of seats) {
    const { public: pub, secret } = schnorr_FROST.DKG.round1(identifierOf(seat), {
      min: threshold,
      max: participants,
    });
    secrets.set(seat, secret);
    packages.push({ seat, commitment: pub.commitment, proofOfKnowledge: pub.proofOfKnowledge });
  }
  return { secrets, packages };
}

function wellFormed(pkg: DealerPackage, threshold: number): boolean {
  if (pkg.commitment.length !== threshold) return false;
  try {
    for (const c of pkg.commitment) if (Point.fromBytes(c).equals(Point.ZERO)) return false;
    return true;
  } catch {
    return false;
  }
}

/** noble's schnorr_FROST DKG hash domain (its suite name + "dkg"). */
const DKG_DST = utf8ToBytes('FROST-secp256k1-SHA256-TR-v1dkg');

interface ProofTerms {
  readonly R: CurvePoint;
  readonly z: bigint;
  readonly phi: CurvePoint;
  readonly c: bigint;
}

/** The terms of noble's proof-of-knowledge equation R = z·G − c·φ₀, c = H_dkg(id | φ₀ | R). */
function proofTerms(pkg: DealerPackage): ProofTerms | undefined {
  try {
    const proof = pkg.proofOfKnowledge;
    if (proof.length !== 64 || pkg.commitment.length === 0) return undefined;
    const R = Point.fromBytes(concatBytes(Uint8Array.of(0x02), proof.subarray(0, 32)));
    const z = Fn.fromBytes(proof.subarray(32));
    const phi = Point.fromBytes(pkg.commitment[0]!);
    const c = secp256k1_hasher.hashToScalar(
      concatBytes(Fn.toBytes(scalarOf(pkg.seat)), phi.toBytes(true), R.toBytes(true)),
      { DST: DKG_DST },
    );
    return { R, z, phi, c };
  } catch {
    return undefined;
  }
}

/** Σ rᵢ·(Rᵢ − zᵢ·G + cᵢ·φᵢ) = 0 for random rᵢ: every proof holds (one MSM for all of them). */
function proofsHold(terms: readonly ProofTerms[]): boolean {
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

/** Checks one dealer's proof of knowledge, exactly as noble's DKG round 2 does. */
export function proofOfKnowledgeValid(pkg: DealerPackage): boolean {
  const terms = proofTerms(pkg);
  return terms !== undefined && proofsHold([terms]);
}

/**
 * The dealers whose package is malformed or whose proof of knowledge fails: all proofs are
 * checked together in one multi-scalar multiplication, each alone only after a failure.
 */
export function invalidDealers(packages: readonly DealerPackage[], threshold: number): Seat[] {
  const bad: Seat[] = [];
  const checked: [DealerPackage, ProofTerms][] = [];
  for (const pkg of packages) {
    const terms = wellFormed(pkg, threshold) ? proofTerms(pkg) : undefined;
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
export function sharesFor(secret: DKG_Secret, recipients: readonly Seat[]): Map<Seat, Uint8Array> {
  if (!secret.coefficients) throw new Error('DKG secret already consumed');
  const shares = new Map<Seat, Uint8Array>();
  for (const recipient of recipients)
    shares.set(recipient, Fn.toBytes(evaluate(secret.coefficients, scalarOf(recipient))));
  return shares;
}

function parsedCommitments(packages: readonly DealerPackage[]): Map<Seat, CurvePoint[]> {
  return new Map(packages.map((pkg) => [pkg.seat, pkg.commitment.map((c) => Point.fromBytes(c))]));
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

/** Whether one share is valid against its dealer's commitments (for judging complaints). */
export function shareValid(share: ReceivedShare, pkg: DealerPackage): boolean {
  try {
    return feldman.sharesHold(Point, [share], parsedCommitments([pkg]));
  } catch {
    return false;
  }
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
      group[k] = group[k]!.add(Point.fromBytes(c));
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
  deal(seats, threshold, participants) {
    const { secrets, packages } = dealRound1(seats, threshold, participants);
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
