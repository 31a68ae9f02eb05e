import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { DkgResult } from './types.js';

const DOMAIN = utf8ToBytes('keep-core-ts/dkg-result/v1');

/**
 * What members sign and the chain checks signatures against: the seed, the group key and
 * the excluded seats. (Signatures and the submitter are not part of it.)
 */
export function dkgResultHash(
  result: Pick<DkgResult, 'seed' | 'groupPublicKey' | 'misbehavedMembersIndices'>,
): Uint8Array {
  const misbehaved = result.misbehavedMembersIndices;
  const bytes = new Uint8Array(
    DOMAIN.length + result.seed.length + result.groupPublicKey.length + 2 + misbehaved.length * 2,
  );
  const view = new DataView(bytes.buffer);
  let offset = 0;
  bytes.set(DOMAIN, offset);
  offset += DOMAIN.length;
  bytes.set(result.seed, offset);
  offset += result.seed.length;
  bytes.set(result.groupPublicKey, offset);
  offset += result.groupPublicKey.length;
  view.setUint16(offset, misbehaved.length);
  offset += 2;
  for (const index of misbehaved) {
    view.setUint16(offset, index);
    offset += 2;
  }
  return sha256(bytes);
}
