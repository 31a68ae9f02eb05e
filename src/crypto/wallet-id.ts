import { bytesToHex } from '@noble/hashes/utils.js';
import { xOnly } from './frost-dkg.js';

/**
 * A wallet's id: its x-only (BIP-340) group public key as 64 hex digits. The wallet registry,
 * the wallet keystore and the node's channels and logs all name a wallet by it.
 */
export function walletIdOf(groupPublicKey: Uint8Array): string {
  return bytesToHex(xOnly(groupPublicKey));
}
