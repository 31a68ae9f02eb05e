import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CorruptBoxError,
  openWithPassword,
  type PasswordBox,
  sealWithPassword,
  WrongPasswordError,
} from '../../src/crypto/password-box.js';

const secret = new Uint8Array(32).map((_, i) => i + 1);
const OLD_PARAMS = { N: 2 ** 15, r: 8, p: 1 };

type Editable = Omit<PasswordBox, 'version' | 'checksum' | 'kdf'> & {
  version: number;
  checksum?: string;
  kdf?: PasswordBox['kdf'];
};

/** A copy of the box with some fields changed, its checksum left as it was. */
const edited = (box: PasswordBox, change: (copy: Editable) => void) => {
  const copy: Editable = structuredClone(box);
  change(copy);
  return copy;
};

const rejectsAsCorrupt = (box: unknown, reason: RegExp) =>
  assert.rejects(openWithPassword(box, 'pw'), (err: unknown) => {
    assert.ok(err instanceof CorruptBoxError, `a CorruptBoxError, got ${String(err)}`);
    assert.match(err.message, reason);
    return true;
  });

test('new boxes use scrypt N = 2^17 and open under their password only', async () => {
  const box = await sealWithPassword(secret, 'pw');
  assert.equal(box.kdf.N, 2 ** 17);
  assert.deepEqual(await openWithPassword(box, 'pw'), secret);
  await assert.rejects(openWithPassword(box, 'other'), (err: unknown) => {
    assert.ok(err instanceof WrongPasswordError);
    assert.equal(err.certain, true, 'a well-formed file failing its tag is a wrong password');
    return true;
  });
});

test('files written at N = 2^15, and version 1 files without a checksum, still open', async () => {
  const box = await sealWithPassword(secret, 'pw', OLD_PARAMS);
  assert.deepEqual(await openWithPassword(box, 'pw'), secret);
  const version1 = edited(box, (copy) => {
    copy.version = 1;
    delete copy.checksum;
  });
  assert.deepEqual(await openWithPassword(version1, 'pw'), secret);
  await assert.rejects(openWithPassword(version1, 'other'), (err: unknown) => {
    assert.ok(err instanceof WrongPasswordError);
    assert.equal(err.certain, false, 'a version 1 file cannot tell damage from a wrong password');
    return true;
  });
});

test('scrypt parameters outside the bounds are refused as corrupt', async () => {
  const box = await sealWithPassword(secret, 'pw', OLD_PARAMS);
  // Checked before the checksum and before scrypt runs, so an edited N costs nothing.
  const withKdf = (kdf: Partial<PasswordBox['kdf']>) =>
    edited(box, (copy) => {
      Object.assign(copy.kdf!, kdf);
    });
  await rejectsAsCorrupt(
    withKdf({ N: 2 ** 20 }),
    /scrypt N = 1048576 is not a power of two from 2\^15 to 2\^18/,
  );
  await rejectsAsCorrupt(withKdf({ N: 2 ** 30 }), /scrypt N = 1073741824/);
  await rejectsAsCorrupt(withKdf({ N: 2 ** 10 }), /scrypt N = 1024/);
  await rejectsAsCorrupt(withKdf({ N: 3 * 2 ** 15 }), /not a power of two/);
  await rejectsAsCorrupt(withKdf({ r: 1000 }), /scrypt r = 1000/);
  await rejectsAsCorrupt(withKdf({ p: 64 }), /scrypt p = 64/);
  await rejectsAsCorrupt(withKdf({ N: 2 ** 18, p: 4 }), /N·r·p/);
});

test('a damaged box is reported as corrupt, not as a wrong password', async () => {
  const box = await sealWithPassword(secret, 'pw');
  const flipped = box.ciphertext.startsWith('0')
    ? `1${box.ciphertext.slice(1)}`
    : `0${box.ciphertext.slice(1)}`;
  await rejectsAsCorrupt(
    edited(box, (copy) => {
      copy.ciphertext = flipped;
    }),
    /checksum mismatch/,
  );
  await rejectsAsCorrupt(
    edited(box, (copy) => {
      copy.ciphertext = box.ciphertext.slice(0, 40);
    }),
    /checksum mismatch/,
  );
  await rejectsAsCorrupt(
    edited(box, (copy) => {
      copy.ciphertext = box.ciphertext.slice(0, 21);
    }),
    /ciphertext is not hex/,
  );
  await rejectsAsCorrupt(
    edited(box, (copy) => {
      copy.kdf!.salt = 'zz';
    }),
    /salt is not hex/,
  );
  await rejectsAsCorrupt(
    edited(box, (copy) => {
      copy.cipher.nonce = copy.cipher.nonce.slice(0, 10);
    }),
    /nonce has a wrong length/,
  );
  await rejectsAsCorrupt(
    edited(box, (copy) => {
      delete copy.kdf;
    }),
    /not a sealed box/,
  );
  await rejectsAsCorrupt({ version: 7, kdf: {}, cipher: {} }, /unsupported version 7/);
  // A version 1 file: a known plaintext length still catches a truncated ciphertext.
  const truncatedV1 = edited(box, (copy) => {
    copy.version = 1;
    delete copy.checksum;
    copy.ciphertext = box.ciphertext.slice(0, 64);
  });
  await assert.rejects(
    openWithPassword(truncatedV1, 'pw', { plaintextLength: 32 }),
    /ciphertext has a wrong length/,
  );
});
