import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from '@noble/ciphers/utils.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * Data sealed under a password: scrypt derives a 32-byte key, XChaCha20-Poly1305 encrypts and
 * authenticates. The JSON form is what key files and key shares are stored as.
 *
 * Version 2 adds `checksum`, a sha256 over every other field. It holds nothing secret (all it
 * covers is in the file already); it tells a damaged file from a wrong password: only a file
 * whose checksum matches and whose tag fails was opened with the wrong password. Version 1
 * files (no checksum) still open.
 */
export interface PasswordBox {
  version: 2;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: { name: 'xchacha20poly1305'; nonce: string };
  ciphertext: string;
  checksum: string;
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** scrypt cost of new files: 2^17 takes about 1 s and 128 MiB here, once per file read or write. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

/**
 * What a file may ask for, checked before scrypt runs so that a tampered file costs nothing:
 * N a power of two from 2^15 (files written before 2^17 became the default) to 2^18, and at most
 * twice the default work and memory in all.
 */
export const SCRYPT_BOUNDS = { minLogN: 15, maxLogN: 18, maxR: 8, maxP: 4, maxWork: 2 ** 21 };

const SALT_BYTES = 16;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;

/** The file is well-formed and its checksum holds, but the tag fails: the password is wrong. */
export class WrongPasswordError extends Error {
  override name = 'WrongPasswordError';
  /** False for version 1 files: without a checksum a damaged ciphertext looks the same. */
  readonly certain: boolean;
  constructor(certain: boolean) {
    super(certain ? 'wrong password' : 'wrong password or a damaged ciphertext');
    this.certain = certain;
  }
}

/** The file is not a sealed box we can open: bad structure, parameters out of range, damage. */
export class CorruptBoxError extends Error {
  override name = 'CorruptBoxError';
}

function checksumOf(box: Omit<PasswordBox, 'checksum' | 'version'> & { version: number }): string {
  const { kdf, cipher } = box;
  const fields = [
    box.version,
    kdf.name,
    kdf.N,
    kdf.r,
    kdf.p,
    kdf.salt,
    cipher.name,
    cipher.nonce,
    box.ciphertext,
  ];
  return bytesToHex(sha256(utf8ToBytes(JSON.stringify(fields))));
}

export function checkScryptParams({ N, r, p }: ScryptParams): void {
  const { minLogN, maxLogN, maxR, maxP, maxWork } = SCRYPT_BOUNDS;
  const logN = Math.log2(N);
  if (!Number.isInteger(logN) || logN < minLogN || logN > maxLogN) {
    throw new CorruptBoxError(`scrypt N = ${N} is not a power of two from 2^${minLogN} to 2^${maxLogN}`);
  }
  if (!Number.isInteger(r) || r < 1 || r > maxR)
    throw new CorruptBoxError(`scrypt r = ${r} is not 1 to ${maxR}`);
  if (!Number.isInteger(p) || p < 1 || p > maxP)
    throw new CorruptBoxError(`scrypt p = ${p} is not 1 to ${maxP}`);
  if (N * r * p > maxWork) throw new CorruptBoxError(`scrypt N·r·p = ${N * r * p} exceeds ${maxWork}`);
}

async function deriveKey(password: string, salt: Uint8Array, params: ScryptParams) {
  return scryptAsync(utf8ToBytes(password), salt, { ...params, dkLen: 32 });
}

export async function sealWithPassword(
  plaintext: Uint8Array,
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<PasswordBox> {
  checkScryptParams(params);
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const key = await deriveKey(password, salt, params);
  const ciphertext = xchacha20poly1305(key, nonce).encrypt(plaintext);
  const box = {
    version: 2 as const,
    kdf: { name: 'scrypt' as const, N: params.N, r: params.r, p: params.p, salt: bytesToHex(salt) },
    cipher: { name: 'xchacha20poly1305' as const, nonce: bytesToHex(nonce) },
    ciphertext: bytesToHex(ciphertext),
  };
  return { ...box, checksum: checksumOf(box) };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function hexField(value: unknown, what: string, length: (bytes: number) => boolean): Uint8Array {
  if (typeof value !== 'string' || !/^(?:[0-9a-f]{2})*$/i.test(value)) {
    throw new CorruptBoxError(`${what} is not hex`);
  }
  const bytes = hexToBytes(value);
  if (!length(bytes.length)) throw new CorruptBoxError(`${what} has a wrong length (${bytes.length} bytes)`);
  return bytes;
}

/**
 * Opens a box read from a file. Everything is checked before scrypt runs; `plaintextLength`,
 * when the caller knows it, catches a truncated ciphertext even in a version 1 file.
 * Throws CorruptBoxError or WrongPasswordError; neither carries any decrypted byte.
 */
export async function openWithPassword(
  box: unknown,
  password: string,
  options: { plaintextLength?: number } = {},
): Promise<Uint8Array> {
  if (!isObject(box) || !isObject(box.kdf) || !isObject(box.cipher)) {
    throw new CorruptBoxError('not a sealed box (missing kdf or cipher)');
  }
  const { version, kdf, cipher } = box;
  if (version !== 1 && version !== 2)
    throw new CorruptBoxError(`unsupported version ${JSON.stringify(version)}`);
  if (kdf.name !== 'scrypt' || cipher.name !== 'xchacha20poly1305') {
    throw new CorruptBoxError('unsupported kdf or cipher');
  }
  const params = { N: kdf.N, r: kdf.r, p: kdf.p } as ScryptParams;
  checkScryptParams(params);
  const salt = hexField(kdf.salt, 'salt', (n) => n >= SALT_BYTES && n <= 64);
  const nonce = hexField(cipher.nonce, 'nonce', (n) => n === NONCE_BYTES);
  const expected = options.plaintextLength;
  const ciphertext = hexField(box.ciphertext, 'ciphertext', (n) =>
    expected === undefined ? n >= TAG_BYTES : n === expected + TAG_BYTES,
  );
  if (version === 2 && box.checksum !== checksumOf(box as unknown as PasswordBox)) {
    throw new CorruptBoxError('checksum mismatch (the file was damaged or edited)');
  }
  const key = await deriveKey(password, salt, params);
  try {
    return xchacha20poly1305(key, nonce).decrypt(ciphertext);
  } catch {
    throw new WrongPasswordError(version === 2);
  }
}
