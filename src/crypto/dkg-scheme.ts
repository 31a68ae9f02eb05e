/**
 * The curve-specific part of a verifiable DKG (Feldman commitments with a proof of knowledge
 * per dealer, shares as 32-byte scalars). The phase machinery in `src/dkg/dkg-protocol.ts`
 * (announcement, per-pair encryption, complaints, exclusion) and the result signing and
 * submission of the DKG executor are shared; only this interface differs between the wallet
 * DKG (FROST on secp256k1) and the beacon DKG (threshold BLS on BLS12-381).
 */

export type Seat = number;

export interface DealerPackage {
  readonly seat: Seat;
  /** t serialised points: the commitments to the dealer's polynomial coefficients. */
  readonly commitment: Uint8Array[];
  readonly proofOfKnowledge: Uint8Array;
}

export interface ReceivedShare {
  readonly dealer: Seat;
  readonly recipient: Seat;
  readonly share: Uint8Array;
}

export interface DealtSeats {
  readonly packages: DealerPackage[];
  /** The dealer seat's share for each recipient seat. */
  sharesFor(dealer: Seat, recipients: readonly Seat[]): Map<Seat, Uint8Array>;
}

export interface FinalizeOptions {
  readonly threshold: number;
  readonly qualified: readonly Seat[];
  readonly packages: readonly DealerPackage[];
  readonly shares: readonly ReceivedShare[];
  readonly localSeats: readonly Seat[];
}

export interface DkgScheme<K> {
  readonly name: string;
  /** Length of one serialised share. */
  readonly shareBytes: number;
  /**
   * Round 1 for each local seat: a random polynomial of degree t-1, commitments and proof.
   * `context` (the DKG session) binds the proofs to this run where the scheme supports it.
   */
  deal(seats: readonly Seat[], threshold: number, participants: number, context: Uint8Array): DealtSeats;
  /** Dealers whose package is malformed or whose proof of knowledge (for `context`) fails. */
  invalidDealers(packages: readonly DealerPackage[], threshold: number, context: Uint8Array): Seat[];
  /** Dealers that sent at least one share inconsistent with their commitments. */
  dealersWithInvalidShares(shares: readonly ReceivedShare[], packages: readonly DealerPackage[]): Seat[];
  /** The group key and the key material of the local seats. */
  finalize(options: FinalizeOptions): { groupPublicKey: Uint8Array; keys: Map<Seat, K> };
}

/**
 * What a dealer's proof of knowledge commits to, for either scheme's challenge hash:
 * len(context) | seat | context | φ₀ | R, so that a proof is bound to its DKG run and seat.
 */
export function proofChallengeInput(
  context: Uint8Array,
  seat: Seat,
  phi: Uint8Array,
  R: Uint8Array,
): Uint8Array {
  const header = new Uint8Array(8);
  const view = new DataView(header.buffer);
  view.setUint32(0, context.length);
  view.setUint32(4, seat);
  const input = new Uint8Array(header.length + context.length + phi.length + R.length);
  input.set(header, 0);
  input.set(context, header.length);
  input.set(phi, header.length + context.length);
  input.set(R, header.length + context.length + phi.length);
  return input;
}
