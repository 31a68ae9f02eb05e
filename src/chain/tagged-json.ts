import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/**
 * JSON for chain values: Uint8Array ⇄ {"$hex": "<lower-case hex>"}, bigint ⇄ {"$big": "<decimal>"}.
 * Used on the chain server's wire and in the local chain's state file.
 */

/** Longer decimals are refused: parsing huge ones costs time and no stake is that big. */
const MAX_BIG_DIGITS = 100;

/** The value with byte arrays and bigints tagged, ready for JSON.stringify. */
export function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $hex: bytesToHex(value) };
  if (typeof value === 'bigint') return { $big: value.toString() };
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = toWire(item);
    }
    return out;
  }
  return value;
}

/** The inverse of `toWire`; throws a one-line Error on a malformed tag. */
export function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, tagged] = entries[0]!;
    if (key === '$hex') {
      if (typeof tagged !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(tagged)) {
        throw new Error('$hex must be a string of hex digit pairs');
      }
      return hexToBytes(tagged);
    }
    if (key === '$big') {
      if (typeof tagged !== 'string' || !/^-?\d+$/.test(tagged) || tagged.length > MAX_BIG_DIGITS) {
        throw new Error(`$big must be a decimal string of at most ${MAX_BIG_DIGITS} digits`);
      }
      return BigInt(tagged);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    if (key !== '__proto__') out[key] = fromWire(item);
  }
  return out;
}
