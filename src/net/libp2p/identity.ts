import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import type { PeerId } from '@libp2p/interface';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import { operatorAddress } from '../../crypto/operator-key.js';

/** The peer id of an operator: its libp2p identity is its secp256k1 operator key. */
export function peerIdOfOperatorKey(publicKey: Uint8Array): PeerId {
  return peerIdFromPublicKey(publicKeyFromRaw(publicKey));
}

/** The operator address behind a peer id, or undefined for a non-secp256k1 peer. */
export function operatorAddressOfPeer(peerId: PeerId): string | undefined {
  if (peerId.type !== 'secp256k1' || !peerId.publicKey) return undefined;
  try {
    return operatorAddress(peerId.publicKey.raw);
  } catch {
    return undefined;
  }
}
