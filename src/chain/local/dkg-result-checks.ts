import { secp256k1 } from '@noble/curves/secp256k1.js';
import { verifyOperatorSignature } from '../../crypto/operator-key.js';
import { dkgResultHash } from '../dkg-result.js';
import type { DkgParameters, DkgResult } from '../types.js';

function isSeat(index: number, groupSize: number): boolean {
  return Number.isInteger(index) && index >= 1 && index <= groupSize;
}

export function ascendingSeats(indices: readonly number[], groupSize: number): boolean {
  return indices.every((index, i) => isSeat(index, groupSize) && (i === 0 || index > indices[i - 1]!));
}

function isCompressedPoint(bytes: Uint8Array): boolean {
  if (bytes.length !== 33) return false;
  try {
    secp256k1.Point.fromBytes(bytes);
    return true;
  } catch {
    return false;
  }
}

/** What a registry accepts as a group public key. */
export interface GroupKeyCheck {
  valid(bytes: Uint8Array): boolean;
  readonly description: string;
}

/** The wallet registry's: a compressed secp256k1 point. */
export const SECP256K1_GROUP_KEY: GroupKeyCheck = {
  valid: isCompressedPoint,
  description: '33-byte compressed secp256k1 point',
};

/** What submission checks: the result's form, nothing that needs keys or blocks. */
export function resultFormProblem(
  result: DkgResult,
  params: DkgParameters,
  groupKey: GroupKeyCheck = SECP256K1_GROUP_KEY,
): string | undefined {
  const { groupSize } = params;
  if (!isSeat(result.submitterMemberIndex, groupSize)) {
    return `submitter member index ${result.submitterMemberIndex} is not a seat (1..${groupSize})`;
  }
  if (!groupKey.valid(result.groupPublicKey)) {
    return `group public key is not a ${groupKey.description}`;
  }
  const misbehaved = result.misbehavedMembersIndices;
  if (!ascendingSeats(misbehaved, groupSize)) {
    return `misbehaved member indices must be ascending, unique and within 1..${groupSize}`;
  }
  const signing = result.signingMembersIndices;
  if (!ascendingSeats(signing, groupSize)) {
    return `signing member indices must be ascending, unique and within 1..${groupSize}`;
  }
  const misbehavedSigner = signing.find((index) => misbehaved.includes(index));
  if (misbehavedSigner !== undefined) return `signing member ${misbehavedSigner} is marked misbehaved`;
  if (result.signatures.length !== signing.length) {
    return `${result.signatures.length} signatures for ${signing.length} signing members`;
  }
  const badLength = result.signatures.findIndex((signature) => signature.length !== 64);
  if (badLength >= 0) return `signature of member ${signing[badLength]} is not 64 bytes`;
  if (signing.length < params.honestThreshold) {
    return `${signing.length} signatures; at least ${params.honestThreshold} required`;
  }
  const active = groupSize - misbehaved.length;
  if (active < params.groupQuorum) return `${active} active members; at least ${params.groupQuorum} required`;
  return undefined;
}

/** Every signature must verify over the result hash under the key of its seat's operator. */
export function resultSignatureProblem(
  result: DkgResult,
  publicKeyOfSeat: (seat: number) => Uint8Array | undefined,
): string | undefined {
  return seatSignatureProblem(
    dkgResultHash(result),
    result.signingMembersIndices,
    result.signatures,
    publicKeyOfSeat,
  );
}

/** Signature i must verify over `hash` under the key of the operator holding `seats[i]`. */
export function seatSignatureProblem(
  hash: Uint8Array,
  seats: readonly number[],
  signatures: readonly Uint8Array[],
  publicKeyOfSeat: (seat: number) => Uint8Array | undefined,
): string | undefined {
  if (signatures.length !== seats.length)
    return `${signatures.length} signatures for ${seats.length} members`;
  for (const [i, seat] of seats.entries()) {
    const publicKey = publicKeyOfSeat(seat);
    const signature = signatures[i]!;
    if (!publicKey || signature.length !== 64 || !verifyOperatorSignature(publicKey, hash, signature)) {
      return `signature of member ${seat} does not verify under its operator's key`;
    }
  }
  return undefined;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

export function sameResult(a: DkgResult, b: DkgResult): boolean {
  return (
    a.submitterMemberIndex === b.submitterMemberIndex &&
    sameBytes(a.seed, b.seed) &&
    sameBytes(a.groupPublicKey, b.groupPublicKey) &&
    sameNumbers(a.misbehavedMembersIndices, b.misbehavedMembersIndices) &&
    sameNumbers(a.signingMembersIndices, b.signingMembersIndices) &&
    a.signatures.length === b.signatures.length &&
    a.signatures.every((signature, i) => sameBytes(signature, b.signatures[i]!))
  );
}

export function cloneResult(result: DkgResult): DkgResult {
  return {
    seed: result.seed.slice(),
    submitterMemberIndex: result.submitterMemberIndex,
    groupPublicKey: result.groupPublicKey.slice(),
    misbehavedMembersIndices: [...result.misbehavedMembersIndices],
    signingMembersIndices: [...result.signingMembersIndices],
    signatures: result.signatures.map((signature) => signature.slice()),
  };
}
