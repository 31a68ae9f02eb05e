/**
 * Operator signature verification, verifies/s: OpenSSL (node:crypto, the node's path) vs noble
 * (pure JS, the reference), same keys and messages in the same run. Run: node dist/bench/operator-signature.js
 */
import { cpus } from 'node:os';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import {
  generateOperatorKey,
  signWithOperatorKey,
  verifyOperatorSignatureNative,
  verifyOperatorSignatureNoble,
} from '../src/crypto/operator-key.js';

const KEYS = 16; // peers repeat, as on the wire
const SECONDS = 1.5;
const ROUNDS = 3;

const keys = Array.from({ length: KEYS }, () => generateOperatorKey());
const samples = Array.from({ length: 64 }, (_, i) => {
  const key = keys[i % KEYS]!;
  const message = utf8ToBytes(`envelope ${i} `.repeat(20));
  return { publicKey: key.publicKey, message, signature: signWithOperatorKey(key, message) };
});

type Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

function perSecond(verify: Verify): number {
  let count = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    for (const { publicKey, message, signature } of samples) {
      if (!verify(publicKey, message, signature)) throw new Error('signature did not verify');
    }
    count += samples.length;
  }
  return count / ((performance.now() - start) / 1000);
}

console.log(`operator signature verify, ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
const native: number[] = [];
const noble: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  native.push(perSecond(verifyOperatorSignatureNative));
  noble.push(perSecond(verifyOperatorSignatureNoble));
}
const best = (values: number[]) => Math.max(...values);
console.log(`native (OpenSSL): ${best(native).toFixed(0)} verifies/s`);
console.log(`noble (pure JS):  ${best(noble).toFixed(0)} verifies/s`);
console.log(`ratio: ${(best(native) / best(noble)).toFixed(1)}x`);
