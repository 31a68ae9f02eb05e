import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { InactivityClaim } from './types.js';

const DOMAIN = utf8ToBytes('keep-core-ts/inactivity-claim/v1');

/**
 * What wallet members sign and the chain checks claim signatures against: the wallet, the
 * claim nonce (so a signature cannot be replayed for a later claim), the inactive seats and
 * whether the claim follows failed heartbeats.
 */
export function inactivityClaimHash(
  claim: Pick<InactivityClaim, 'walletId' | 'nonce' | 'inactiveMembersIndices' | 'heartbeatFailed'>,
): Uint8Array {
  const wallet = hexToBytes(claim.walletId);
  const inactive = claim.inactiveMembersIndices;
  const bytes = new Uint8Array(DOMAIN.length + wallet.length + 4 + 2 + inactive.length * 2 + 1);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  bytes.set(DOMAIN, offset);
  offset += DOMAIN.length;
  bytes.set(wallet, offset);
  offset += wallet.length;
  view.setUint32(offset, claim.nonce);
  offset += 4;
  view.setUint16(offset, inactive.length);
  offset += 2;
  for (const seat of inactive) {
    view.setUint16(offset, seat);
    offset += 2;
  }
  view.setUint8(offset, claim.heartbeatFailed ? 1 : 0);
  return sha256(bytes);
}
