import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from '@noble/ciphers/utils.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * Data sealed under a password: scrypt derives a 32-byte key, XChaCha20-Poly1305 encrypts and
 * authenticates. The JSON form is what key files and key shares are stored as.
 */
export interface PasswordBox {
  version: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: { name: 'xchacha20poly1305'; nonce: string };
  ciphertext: string;
}

/** scrypt cost: 2^15 takes about 0.1 s here, paid once per file read or write. */
export const DEFAULT_SCRYPT = { N: 2 ** 15, r: 8, p: 1 };

export class WrongPasswordError extends Error {
  override name = 'WrongPasswordError';
}

async function deriveKey(password: string, salt: Uint8Array, params: { N: number; r: number; p: number }) {
  return scryptAsync(utf8ToBytes(password), salt, { ...params, dkLen: 32 });
}

export async function sealWithPassword(
  plaintext: Uint8Array,
  password: string,
  params = DEFAULT_SCRYPT,
): Promise<PasswordBox> {
  const salt = randomBytes(16);
  const nonce = randomBytes(24);
  const key = await deriveKey(password, salt, params);
  const ciphertext = xchacha20poly1305(key, nonce).encrypt(plaintext);
  return {
    version: 1,
    kdf: { name: 'scrypt', ...params, salt: bytesToHex(salt) },
    cipher: { name: 'xchacha20poly1305', nonce: bytesToHex(nonce) },
    ciphertext: bytesToHex(ciphertext),
  };
}

export async function openWithPassword(box: PasswordBox, password: string): Promise<Uint8Array> {
  if (box?.version !== 1 || box.kdf?.name !== 'scrypt' || box.cipher?.name !== 'xchacha20poly1305') {
    throw new Error('unsupported encrypted file format');
  }
  const { N, r, p } = box.kdf;
  const key = await deriveKey(password, hexToBytes(box.kdf.salt), { N, r, p });
  try {
    return xchacha20poly1305(key, hexToBytes(box.cipher.nonce)).decrypt(hexToBytes(box.ciphertext));
  } catch {
    throw new WrongPasswordError('wrong password or corrupted file');
  }
}
