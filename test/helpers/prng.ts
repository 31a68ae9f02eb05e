import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** mulberry32: a small seeded PRNG for fuzz tests, so a failing run can be replayed from its seed. */
export function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  return { next, int, pick, bytes, hex: (n: number) => bytesToHex(bytes(n)) };
}
export type Rng = ReturnType<typeof prng>;

/** A deterministic byte stream (sha256 in counter mode) standing in for randomness. */
export function seededRng(seed: string) {
  let counter = 0;
  return (length = 32): Uint8Array => {
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += 32) {
      out.set(sha256(utf8ToBytes(`${seed}/${counter++}`)).subarray(0, length - at), at);
    }
    return out;
  };
}
