import { createPublicKey, getCurves, type KeyObject, verify as nodeVerify } from 'node:crypto';
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

/**
 * Compact 64-byte low-s ECDSA signature over sha256(message); deterministic (RFC 6979), so it stays
 * with noble: OpenSSL signs with a random nonce and would change the signature bytes.
 */
export function signWithOperatorKey(key: OperatorKey, message: Uint8Array): Uint8Array {
  return secp256k1.sign(message, key.privateKey);
}

/**
 * Whether `signature` (compact 64-byte r||s, low-s) signs sha256(message) under `publicKey` (33-byte
 * compressed or 65-byte uncompressed). Never throws. Verified by OpenSSL (`node:crypto`) where it
 * supports secp256k1, with the same accept/reject as noble's `secp256k1.verify`
 * ({@link verifyOperatorSignatureNoble}, the reference a test cross-checks it against).
 */
export function verifyOperatorSignature(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  return NATIVE_SECP256K1
    ? verifyOperatorSignatureNative(publicKey, message, signature)
    : verifyOperatorSignatureNoble(publicKey, message, signature);
}

/** The reference: noble's pure-JS verification (sha256 prehash, rejects high-s). */
export function verifyOperatorSignatureNoble(
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

/** Whether this Node's OpenSSL has secp256k1 (some FIPS or trimmed builds do not). */
export const NATIVE_SECP256K1: boolean = getCurves().includes('secp256k1');

// Big-endian 32-byte n (the group order) and floor(n / 2): noble accepts r in [1, n-1] and, rejecting
// high-s, s in [1, n/2]. OpenSSL accepts any s in [1, n-1], so these bounds are checked here.
const ORDER = Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex');
const HALF_ORDER = Buffer.from('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0', 'hex');
// SubjectPublicKeyInfo DER prefix for an uncompressed secp256k1 point (id-ecPublicKey, secp256k1).
const SPKI_PREFIX = Buffer.from('3056301006072a8648ce3d020106052b8104000a034200', 'hex');
const KEY_CACHE_LIMIT = 2048;
/** Public key bytes (hex) → OpenSSL key, or null when noble rejects the key. Peers repeat keys. */
const keyCache = new Map<string, KeyObject | null>();

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The OpenSSL key for an encoded point, or null when noble would reject it (not on the curve, …). */
function nativePublicKey(publicKey: Uint8Array): KeyObject | null {
  const id = asBuffer(publicKey).toString('hex');
  const cached = keyCache.get(id);
  if (cached !== undefined) {
    // Least recently used goes first.
    keyCache.delete(id);
    keyCache.set(id, cached);
    return cached;
  }
  let key: KeyObject | null;
  try {
    // noble decides which encodings are valid (02/03 + x, or 04 + x + y, on the curve, coordinates
    // below p); OpenSSL would also take the hybrid 06/07 form.
    const uncompressed = secp256k1.Point.fromBytes(publicKey).toBytes(false);
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, uncompressed]), format: 'der', type: 'spki' });
  } catch {
    key = null;
  }
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, key);
  return key;
}

/** OpenSSL verification with noble's accept/reject; exported for the cross-check test and bench. */
export function verifyOperatorSignatureNative(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (
    !(publicKey instanceof Uint8Array) ||
    !(message instanceof Uint8Array) ||
    !(signature instanceof Uint8Array) ||
    signature.length !== 64
  ) {
    return false;
  }
  const sig = asBuffer(signature);
  const r = sig.subarray(0, 32);
  const s = sig.subarray(32, 64);
  // r in [1, n-1] and s in [1, n/2], as noble (low-s).
  if (isZero(r) || Buffer.compare(r, ORDER) >= 0 || isZero(s) || Buffer.compare(s, HALF_ORDER) > 0) {
    return false;
  }
  const key = nativePublicKey(publicKey);
  if (key === null) return false;
  try {
    return nodeVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    return false;
  }
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
