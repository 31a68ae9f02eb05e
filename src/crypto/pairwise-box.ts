import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from '@noble/ciphers/utils.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';

/**
 * Authenticated encryption between two members of a protocol run: each side announces an
 * ephemeral secp256k1 key for the pair; the pair key is sha256 of their ECDH point, and
 * payloads are sealed with XChaCha20-Poly1305 bound to context bytes (session, sender, receiver).
 * An ephemeral key per pair means revealing one (to prove a complaint) exposes only that pair.
 */
export interface EphemeralKey {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function generateEphemeralKey(): EphemeralKey {
  const privateKey = secp256k1.utils.randomSecretKey();
  return { privateKey, publicKey: secp256k1.getPublicKey(privateKey, true) };
}

/** Length of an announced ephemeral public key (compressed secp256k1 point). */
export const EPHEMERAL_PUBLIC_KEY_BYTES = 33;

/** Whether bytes from a peer are a usable ephemeral public key: a compressed, valid curve point. */
export function validPublicKey(bytes: Uint8Array): boolean {
  if (bytes.length !== EPHEMERAL_PUBLIC_KEY_BYTES) return false;
  try {
    secp256k1.Point.fromBytes(bytes).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/** Whether revealed bytes are a valid ephemeral private key (a scalar in [1, n)). */
export function validPrivateKey(bytes: Uint8Array): boolean {
  return bytes.length === 32 && secp256k1.utils.isValidSecretKey(bytes);
}

export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(privateKey, true);
}

export function pairKey(ownPrivateKey: Uint8Array, theirPublicKey: Uint8Array): Uint8Array {
  return sha256(secp256k1.getSharedSecret(ownPrivateKey, theirPublicKey, true).subarray(1));
}

export interface SealedBox {
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
}

export function seal(key: Uint8Array, context: Uint8Array, plaintext: Uint8Array): SealedBox {
  const nonce = randomBytes(24);
  return { nonce, ciphertext: xchacha20poly1305(key, nonce, context).encrypt(plaintext) };
}

/** Throws when the box was not sealed with this key and context. */
export function open(key: Uint8Array, context: Uint8Array, box: SealedBox): Uint8Array {
  return xchacha20poly1305(key, box.nonce, context).decrypt(box.ciphertext);
}
