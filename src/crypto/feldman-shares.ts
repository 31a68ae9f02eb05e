// biome-ignore-all lint/suspicious/noExplicitAny: noble's point types are parameterised by their field element type
import { type CurvePoint, type CurvePointCons, pippenger } from '@noble/curves/abstract/curve.js';
import { randomWeight } from './batch-weight.js';
import type { ReceivedShare, Seat } from './dkg-scheme.js';

/**
 * Received Feldman shares against their dealers' commitments C_k, on any noble curve: for a
 * random 128-bit r per share, Σ r·s·G − Σ_dealer Σ_k (Σ r·x^k)·C_k is one MSM, zero when
 * every share is valid (a set with an invalid share passes with probability about 2⁻¹²⁸).
 */
export function sharesHold<P extends CurvePoint<any, P>>(
  Point: CurvePointCons<P>,
  shares: readonly ReceivedShare[],
  commitments: ReadonlyMap<Seat, readonly P[]>,
): boolean {
  const Fn = Point.Fn;
  const weights = new Map<Seat, bigint[]>(); // dealer → Σ over its shares of r·x^k, per k
  let lhs = Fn.ZERO;
  for (const { dealer, recipient, share } of shares) {
    const points = commitments.get(dealer);
    if (!points) return false;
    let s: bigint;
    try {
      s = Fn.fromBytes(share);
    } catch {
      return false;
    }
    const r = randomWeight();
    lhs = Fn.add(lhs, Fn.mul(r, s));
    const w = weights.get(dealer) ?? new Array<bigint>(points.length).fill(Fn.ZERO);
    let power = r;
    for (let k = 0; k < points.length; k++) {
      w[k] = Fn.add(w[k]!, power);
      power = Fn.mul(power, BigInt(recipient));
    }
    weights.set(dealer, w);
  }
  const points: P[] = [Point.BASE];
  const scalars: bigint[] = [Fn.neg(lhs)];
  for (const [dealer, w] of weights) {
    const dealerPoints = commitments.get(dealer)!;
    w.forEach((weight, k) => {
      points.push(dealerPoints[k]!);
      scalars.push(weight);
    });
  }
  const kept = scalars.map((s, i) => [points[i]!, s] as const).filter(([, s]) => s !== Fn.ZERO);
  if (kept.length === 0) return true;
  return pippenger(
    Point,
    kept.map(([p]) => p),
    kept.map(([, s]) => s),
  ).equals(Point.ZERO);
}

/** The dealers that sent at least one invalid share: one check for all, one per dealer after a failure. */
export function dealersWithInvalidShares<P extends CurvePoint<any, P>>(
  Point: CurvePointCons<P>,
  shares: readonly ReceivedShare[],
  commitments: ReadonlyMap<Seat, readonly P[]>,
): Seat[] {
  if (sharesHold(Point, shares, commitments)) return [];
  const dealers = [...new Set(shares.map((s) => s.dealer))].sort((a, b) => a - b);
  return dealers.filter(
    (dealer) =>
      !sharesHold(
        Point,
        shares.filter((s) => s.dealer === dealer),
        commitments,
      ),
  );
}
