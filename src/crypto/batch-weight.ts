import { randomBytes } from '@noble/hashes/utils.js';

/**
 * A random non-zero 128-bit weight for batch verification (Σ rᵢ·checkᵢ = 0): a set with an
 * invalid member passes with probability about 2⁻¹²⁸.
 */
export function randomWeight(): bigint {
  let r = 0n;
  for (const byte of randomBytes(16)) r = (r << 8n) | BigInt(byte);
  return r === 0n ? 1n : r;
}
