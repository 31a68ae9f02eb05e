import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import {
  generateOperatorKey,
  NATIVE_SECP256K1,
  operatorKeyFromPrivate,
  signWithOperatorKey,
  verifyOperatorSignature,
  verifyOperatorSignatureNative,
  verifyOperatorSignatureNoble,
} from '../../src/crypto/operator-key.js';
import { seededRng } from '../helpers/prng.js';

const Fn = secp256k1.Point.Fn;
const N = Fn.ORDER;
const HALF = N >> 1n;
const P = secp256k1.Point.Fp.ORDER;

const be32 = (value: bigint) => numberToBytesBE(value, 32);
const compact = (r: bigint, s: bigint) => new Uint8Array([...be32(r), ...be32(s)]);
const scalarsOf = (signature: Uint8Array) => ({
  r: bytesToNumberBE(signature.subarray(0, 32)),
  s: bytesToNumberBE(signature.subarray(32, 64)),
});

/** Same accept/reject from OpenSSL and from noble (the reference); returns it. Twice: cold and cached key. */
function crossCheck(
  label: string,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const reference = verifyOperatorSignatureNoble(publicKey, message, signature);
  for (let round = 0; round < 2; round++) {
    assert.equal(verifyOperatorSignatureNative(publicKey, message, signature), reference, `${label}: native`);
    assert.equal(verifyOperatorSignature(publicKey, message, signature), reference, `${label}: default`);
  }
  return reference;
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

/**
 * A key under which (r, s) is a valid signature of `message`, r from a chosen nonce:
 * s = k⁻¹(h + r·d) ⇒ d = (s·k − h)·r⁻¹. Lets the test hit s exactly at the low-s boundary.
 */
function keyForSignature(nonce: bigint, s: bigint, message: Uint8Array) {
  const r = Fn.create(secp256k1.Point.BASE.multiply(nonce).toAffine().x);
  const h = Fn.create(bytesToNumberBE(sha256(message)));
  const d = Fn.create(Fn.create(s * nonce - h) * Fn.inv(r));
  assert.notEqual(d, 0n);
  const publicKey = secp256k1.getPublicKey(be32(d), true);
  const signature = compact(r, s);
  // Valid as plain ECDSA; whether it is accepted then depends only on the low-s rule.
  assert.ok(secp256k1.verify(signature, message, publicKey, { lowS: false }));
  return { publicKey, signature };
}

describe('operator signatures: native (OpenSSL) verification matches noble', () => {
  it('uses OpenSSL on this Node', () => {
    assert.ok(NATIVE_SECP256K1, 'node:crypto lacks secp256k1: verification falls back to noble');
  });

  it('agrees on random keys and messages, and on a flipped bit, a wrong key, a wrong message', () => {
    const rng = seededRng('operator-signature/random');
    const other = generateOperatorKey();
    for (let i = 0; i < 100; i++) {
      const key = operatorKeyFromPrivate(secp256k1.utils.randomSecretKey(rng(48)));
      const message = rng((rng(1)[0]! % 200) + (i % 3 === 0 ? 0 : 1));
      const signature = signWithOperatorKey(key, message);
      assert.equal(crossCheck(`valid #${i}`, key.publicKey, message, signature), true);
      const uncompressed = secp256k1.Point.fromBytes(key.publicKey).toBytes(false);
      assert.equal(crossCheck(`uncompressed key #${i}`, uncompressed, message, signature), true);
      const bit = rng(2);
      assert.equal(
        crossCheck(`sig bit #${i}`, key.publicKey, message, flipBit(signature, bit[0]! % 512)),
        false,
      );
      if (message.length > 0) {
        const flipped = flipBit(message, (bit[1]! * 8 + bit[0]!) % (message.length * 8));
        assert.equal(crossCheck(`message bit #${i}`, key.publicKey, flipped, signature), false);
      }
      assert.equal(crossCheck(`other key #${i}`, other.publicKey, message, signature), false);
      assert.equal(
        crossCheck(`key bit #${i}`, flipBit(key.publicKey, 8 + (bit[0]! % 256)), message, signature),
        false,
      );
    }
  });

  it('agrees at the low-s boundary and on high-s, zero and out-of-range scalars', () => {
    const rng = seededRng('operator-signature/edges');
    const message = utf8ToBytes('edge message');
    const key = operatorKeyFromPrivate(secp256k1.utils.randomSecretKey(rng(48)));
    const valid = signWithOperatorKey(key, message);
    const { r, s } = scalarsOf(valid);
    assert.equal(crossCheck('valid', key.publicKey, message, valid), true);
    // The malleated twin (r, n − s) is valid ECDSA but high-s: OpenSSL alone would accept it.
    assert.ok(secp256k1.verify(compact(r, N - s), message, key.publicKey, { lowS: false }));
    assert.equal(crossCheck('high-s twin', key.publicKey, message, compact(r, N - s)), false);

    const nonce = bytesToNumberBE(rng()) % N;
    for (const [label, target, accepted] of [
      ['s = n/2', HALF, true],
      ['s = n/2 + 1', HALF + 1n, false],
      ['s = 1', 1n, true],
      ['s = n − 1', N - 1n, false],
    ] as const) {
      const edge = keyForSignature(nonce, target, message);
      assert.equal(crossCheck(label, edge.publicKey, message, edge.signature), accepted, label);
    }

    for (const [label, sig] of [
      ['r = 0', compact(0n, s)],
      ['s = 0', compact(r, 0n)],
      ['r = s = 0', new Uint8Array(64)],
      ['r = n', compact(N, s)],
      ['s = n', compact(r, N)],
      ['r = n + 1', compact(N + 1n, s)],
      ['r = 2^256 − 1', compact(2n ** 256n - 1n, s)],
      ['s = 2^256 − 1', compact(r, 2n ** 256n - 1n)],
      ['r + n', r + N < 2n ** 256n ? compact(r + N, s) : compact(N, s)],
      ['63 bytes', valid.subarray(0, 63)],
      ['65 bytes', new Uint8Array([...valid, 0])],
      ['65 bytes, prefixed', new Uint8Array([0, ...valid])],
      ['empty', new Uint8Array(0)],
      ['DER', secp256k1.Signature.fromBytes(valid).toBytes('der')],
      ['recovered', secp256k1.sign(message, key.privateKey, { format: 'recovered' })],
    ] as const) {
      assert.equal(crossCheck(label, key.publicKey, message, sig), false, label);
    }
  });

  it('agrees on malformed, off-curve and unusual public key encodings', () => {
    const rng = seededRng('operator-signature/keys');
    const message = rng(40);
    const key = operatorKeyFromPrivate(secp256k1.utils.randomSecretKey(rng(48)));
    const signature = signWithOperatorKey(key, message);
    const point = secp256k1.Point.fromBytes(key.publicKey);
    const uncompressed = point.toBytes(false);
    const { x, y } = point.toAffine();
    // The x coordinates p and the smallest x with no point on the curve (x³ + 7 not a square).
    let offX = 1n;
    while (secp256k1.utils.isValidPublicKey(new Uint8Array([2, ...be32(offX)]), true)) offX++;

    const cases: Array<[string, Uint8Array]> = [
      ['compressed', key.publicKey],
      ['uncompressed', uncompressed],
      ['other parity', new Uint8Array([key.publicKey[0]! ^ 1, ...key.publicKey.subarray(1)])],
      // OpenSSL decodes the hybrid form (06/07 + x + y); noble does not.
      ['hybrid 06/07', new Uint8Array([y & 1n ? 7 : 6, ...uncompressed.subarray(1)])],
      ['hybrid wrong parity', new Uint8Array([y & 1n ? 6 : 7, ...uncompressed.subarray(1)])],
      ['raw x||y', uncompressed.subarray(1)],
      ['x only', key.publicKey.subarray(1)],
      ['truncated compressed', key.publicKey.subarray(0, 32)],
      ['compressed + 1 byte', new Uint8Array([...key.publicKey, 0])],
      ['truncated uncompressed', uncompressed.subarray(0, 64)],
      ['prefix 04 on 33 bytes', new Uint8Array([4, ...key.publicKey.subarray(1)])],
      ['prefix 05', new Uint8Array([5, ...key.publicKey.subarray(1)])],
      ['prefix 00', new Uint8Array([0, ...key.publicKey.subarray(1)])],
      ['infinity 00', new Uint8Array([0])],
      ['empty', new Uint8Array(0)],
      ['x not on the curve', new Uint8Array([2, ...be32(offX)])],
      ['x = p', new Uint8Array([2, ...be32(P)])],
      ['x + p overflows', new Uint8Array([2, ...be32(2n ** 256n - 1n)])],
      ['y flipped (off curve)', new Uint8Array([4, ...be32(x), ...be32(y ^ 1n)])],
      ['y = p − y (negated point)', new Uint8Array([4, ...be32(x), ...be32(P - y)])],
      ['all zero 33', new Uint8Array(33)],
      ['all zero 65', new Uint8Array(65)],
      ['garbage 33', new Uint8Array([3, ...rng(32)])],
      ['garbage 65', new Uint8Array([4, ...rng(64)])],
      ['generator', secp256k1.Point.BASE.toBytes(true)],
    ];
    // A valid x below 2^256 − p, then the same x + p (non-canonical; OpenSSL and noble both refuse it).
    let smallX = 1n;
    while (!secp256k1.utils.isValidPublicKey(new Uint8Array([2, ...be32(smallX)]), true)) smallX++;
    cases.push(['x + p', new Uint8Array([2, ...be32(smallX + P)])]);
    // The same point with y + p (a non-canonical coordinate), when it fits in 32 bytes.
    if (y + P < 2n ** 256n) cases.push(['y + p', new Uint8Array([4, ...be32(x), ...be32(y + P)])]);
    const accepted = cases.filter(([label, publicKey]) => crossCheck(label, publicKey, message, signature));
    assert.deepEqual(
      accepted.map(([label]) => label),
      ['compressed', 'uncompressed'],
    );
  });

  it('never throws on inputs that are not byte arrays, like noble', () => {
    const key = generateOperatorKey();
    const message = utf8ToBytes('m');
    const signature = signWithOperatorKey(key, message);
    const hex = bytesToHex(signature) as unknown as Uint8Array;
    assert.equal(crossCheck('hex signature', key.publicKey, message, hex), false);
    assert.equal(crossCheck('string message', key.publicKey, 'm' as unknown as Uint8Array, signature), false);
    assert.equal(
      crossCheck('array key', [...key.publicKey] as unknown as Uint8Array, message, signature),
      false,
    );
    assert.equal(
      crossCheck('Buffer inputs', Buffer.from(key.publicKey), Buffer.from(message), Buffer.from(signature)),
      true,
    );
    // Subarray views with an offset into a larger buffer.
    const backing = new Uint8Array(200);
    backing.set(key.publicKey, 3);
    backing.set(message, 50);
    backing.set(signature, 100);
    assert.equal(
      crossCheck(
        'offset views',
        backing.subarray(3, 36),
        backing.subarray(50, 51),
        backing.subarray(100, 164),
      ),
      true,
    );
  });

  it('keeps agreeing once the key cache has evicted a key', () => {
    const key = generateOperatorKey();
    const message = utf8ToBytes('cache');
    const signature = signWithOperatorKey(key, message);
    assert.equal(crossCheck('before', key.publicKey, message, signature), true);
    const rng = seededRng('operator-signature/cache');
    for (let i = 0; i < 2100; i++) {
      assert.equal(verifyOperatorSignatureNative(new Uint8Array([4, ...rng(64)]), message, signature), false);
    }
    assert.equal(crossCheck('after eviction', key.publicKey, message, signature), true);
  });
});
