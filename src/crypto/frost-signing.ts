import type { FrostPublic, FrostSecret, NonceCommitments, Nonces } from '@noble/curves/abstract/frost.js';
import { pippenger } from '@noble/curves/abstract/curve.js';
import { schnorr, secp256k1, secp256k1_hasher } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * One FROST signing session (BIP-340 flavour, `FROST-secp256k1-SHA256-TR-v1`) with its public
 * work done once: binding factors, the group commitment, the challenge and the Lagrange
 * coefficients. noble's `signShare`/`verifyShare` recompute all of that on every call, which
 * for a 51-signer session is ~50 ms per share; a node holding many seats, or a coordinator
 * checking many shares, pays it once here. The scalar formulas are RFC 9591 §5.2/§5.4 with the
 * even-Y adjustments noble's taproot suite applies; a test checks byte equality with noble.
 */

const Point = secp256k1.Point;
const Fn = Point.Fn;
type Pt = InstanceType<typeof Point>;

const SUITE = 'FROST-secp256k1-SHA256-TR-v1';
const RHO_DST = utf8ToBytes(`${SUITE}rho`);
const MSG_PREFIX = utf8ToBytes(`${SUITE}msg`);
const COM_PREFIX = utf8ToBytes(`${SUITE}com`);

const hasEvenY = (p: Pt) => (p.toAffine().y & 1n) === 0n;
const scalarOf = (identifier: string) => Fn.fromBytes(hexToBytes(identifier));

interface Signer {
  readonly identifier: string;
  readonly x: bigint;
  readonly hiding: Pt;
  readonly binding: Pt;
  readonly rho: bigint;
}

/** Both nonce commitments decode to points other than infinity. */
export function validCommitment(commitment: NonceCommitments): boolean {
  try {
    return !Point.fromBytes(commitment.hiding).is0() && !Point.fromBytes(commitment.binding).is0();
  } catch {
    return false;
  }
}

export class FrostSigningSession {
  private readonly signers: Map<string, Signer>;
  private readonly groupKeyEven: boolean;
  private readonly commitmentEven: boolean;
  private readonly groupCommitment: Pt;
  private readonly challenge: bigint;
  private readonly xOnlyGroupKey: Uint8Array;
  private readonly lambdas = new Map<string, bigint>();

  /** Throws when a commitment is malformed or an identifier repeats. */
  constructor(
    private readonly pub: FrostPublic,
    commitments: readonly NonceCommitments[],
    private readonly message: Uint8Array,
  ) {
    const groupKey = Point.fromBytes(pub.commitments[0]!);
    this.groupKeyEven = hasEvenY(groupKey);
    const evenGroupKey = this.groupKeyEven ? groupKey : groupKey.negate();
    this.xOnlyGroupKey = groupKey.toBytes().subarray(1);
    const sorted = commitments
      .map((c) => ({
        identifier: c.identifier,
        x: scalarOf(c.identifier),
        hiding: Point.fromBytes(c.hiding),
        binding: Point.fromBytes(c.binding),
      }))
      .sort((a, b) => (a.x < b.x ? -1 : a.x > b.x ? 1 : 0));
    if (new Set(sorted.map((s) => s.x)).size !== sorted.length) throw new Error('duplicate signer');
    const encoded = concatBytes(
      ...sorted.flatMap((s) => [Fn.toBytes(s.x), s.hiding.toBytes(), s.binding.toBytes()]),
    );
    const rhoPrefix = concatBytes(
      evenGroupKey.toBytes(),
      sha256(concatBytes(MSG_PREFIX, message)),
      sha256(concatBytes(COM_PREFIX, encoded)),
    );
    this.signers = new Map(
      sorted.map((s) => [
        s.identifier,
        {
          ...s,
          rho: secp256k1_hasher.hashToScalar(concatBytes(rhoPrefix, Fn.toBytes(s.x)), { DST: RHO_DST }),
        },
      ]),
    );
    let hidingSum = Point.ZERO;
    for (const s of sorted) {
      if (s.hiding.is0() || s.binding.is0()) throw new Error('infinity commitment');
      hidingSum = hidingSum.add(s.hiding);
    }
    const list = [...this.signers.values()];
    this.groupCommitment = hidingSum.add(
      pippenger(
        Point,
        list.map((s) => s.binding),
        list.map((s) => s.rho),
      ),
    );
    this.commitmentEven = hasEvenY(this.groupCommitment);
    this.challenge = Fn.create(
      BigInt(
        `0x${bytesToHex(
          schnorr.utils.taggedHash(
            'BIP0340/challenge',
            this.groupCommitment.toBytes().subarray(1),
            evenGroupKey.toBytes().subarray(1),
            message,
          ),
        )}`,
      ),
    );
  }

  /** z = d + e·ρ + λ·s·c, with the key and nonces negated where BIP-340 needs even Y. */
  signShare(secret: FrostSecret, nonces: Nonces): Uint8Array {
    const lambda = this.lambda(secret.identifier);
    const rho = this.signer(secret.identifier).rho;
    const share = Fn.fromBytes(secret.signingShare);
    const key = this.groupKeyEven ? share : Fn.neg(share);
    let hiding = Fn.fromBytes(nonces.hiding);
    let binding = Fn.fromBytes(nonces.binding);
    if (Fn.is0(hiding) || Fn.is0(binding)) throw new Error('signing nonces already used');
    const signer = this.signer(secret.identifier);
    if (
      !Point.BASE.multiply(hiding).equals(signer.hiding) ||
      !Point.BASE.multiply(binding).equals(signer.binding)
    ) {
      throw new Error('the session does not carry this signer’s nonce commitments');
    }
    if (!this.commitmentEven) {
      hiding = Fn.neg(hiding);
      binding = Fn.neg(binding);
    }
    const z = Fn.add(Fn.add(hiding, Fn.mul(binding, rho)), Fn.mul(Fn.mul(lambda, key), this.challenge));
    nonces.hiding.fill(0);
    nonces.binding.fill(0);
    return Fn.toBytes(z);
  }

  /** z·G == ±(D + ρ·E) + c·λ·Y_i (Y_i negated with an odd group key). */
  verifyShare(identifier: string, share: Uint8Array): boolean {
    const signer = this.signers.get(identifier);
    const verifyingShare = this.pub.verifyingShares[identifier];
    if (!signer || !verifyingShare || share.length !== Fn.BYTES) return false;
    let z: bigint;
    try {
      z = Fn.fromBytes(share);
    } catch {
      return false;
    }
    let commitment = signer.hiding.add(signer.binding.multiplyUnsafe(signer.rho));
    if (!this.commitmentEven) commitment = commitment.negate();
    let publicShare = Point.fromBytes(verifyingShare);
    if (!this.groupKeyEven) publicShare = publicShare.negate();
    const expected = commitment.add(
      publicShare.multiplyUnsafe(Fn.mul(this.challenge, this.lambda(identifier))),
    );
    return Point.BASE.multiplyUnsafe(z).equals(expected);
  }

  /**
   * The BIP-340 signature from one share per signer. The sum is checked as a whole first (one
   * verification); only when it fails is each share checked, to name the bad signers.
   */
  aggregate(shares: ReadonlyMap<string, Uint8Array>): { signature: Uint8Array } | { bad: string[] } {
    if (shares.size !== this.signers.size || [...this.signers.keys()].some((id) => !shares.has(id))) {
      throw new Error('aggregate needs exactly one share per signer');
    }
    let z = Fn.ZERO;
    try {
      for (const share of shares.values()) z = Fn.add(z, Fn.fromBytes(share));
    } catch {
      z = Fn.ZERO; // an out-of-range share: fall through to the per-share checks
    }
    const signature = concatBytes(this.groupCommitment.toBytes().subarray(1), Fn.toBytes(z));
    if (!Fn.is0(z) && schnorr.verify(signature, this.message, this.xOnlyGroupKey)) return { signature };
    return { bad: [...shares].filter(([id, share]) => !this.verifyShare(id, share)).map(([id]) => id) };
  }

  private signer(identifier: string): Signer {
    const signer = this.signers.get(identifier);
    if (!signer) throw new Error('not a signer of this session');
    return signer;
  }

  private lambda(identifier: string): bigint {
    const cached = this.lambdas.get(identifier);
    if (cached !== undefined) return cached;
    const xi = this.signer(identifier).x;
    let num = Fn.ONE;
    let den = Fn.ONE;
    for (const { x } of this.signers.values()) {
      if (x === xi) continue;
      num = Fn.mul(num, x);
      den = Fn.mul(den, Fn.sub(x, xi));
    }
    const lambda = Fn.div(num, den);
    this.lambdas.set(identifier, lambda);
    return lambda;
  }
}
