import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** The operator's secp256k1 key: its chain identity, its libp2p identity and its signer. */
export interface OperatorKey {
  readonly privateKey: Uint8Array;
  /** 33-byte compressed public key. */
  readonly publicKey: Uint8Array;
  /** Ethereum-style address: 0x + last 20 bytes of keccak256 of the uncompressed key. */
  readonly address: string;
}

export function operatorAddress(publicKey: Uint8Array): string {
  const uncompressed = secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return `0x${bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12))}`;
}

export function operatorKeyFromPrivate(privateKey: Uint8Array): OperatorKey {
  if (!secp256k1.utils.isValidSecretKey(privateKey)) throw new Error('invalid secp256k1 private key');
  const publicKey = secp256k1.getPublicKey(privateKey, true);
  return { privateKey, publicKey, address: operatorAddress(publicKey) };
}

export function generateOperatorKey(): OperatorKey {
  return operatorKeyFromPrivate(secp256k1.utils.randomSecretKey());
}

/** Compact 64-byte ECDSA signature over sha256(message); deterministic (RFC 6979). */
export function signWithOperatorKey(key: OperatorKey, message: Uint8Array): Uint8Array {
  return secp256k1.sign(message, key.privateKey);
}

export function verifyOperatorSignature(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return secp256k1.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}
