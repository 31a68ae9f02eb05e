import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { dealRound1, finalizeKeys, type ReceivedShare, sharesFor, xOnly } from '../src/crypto/frost-dkg.js';
import { generateOperatorKey } from '../src/crypto/operator-key.js';
import { sealWithPassword } from '../src/crypto/password-box.js';
import { StorageError } from '../src/storage/storage-error.js';
import { WalletStore } from '../src/storage/wallet-store.js';
import { frostSign } from './helpers/frost.js';
import { tempDir } from './helpers/process.js';

test('wallet key shares are sealed on disk and reload into keys that still sign', async () => {
  const dir = tempDir();
  try {
    const seats = [1, 2, 3, 4, 5];
    const { secrets, packages } = dealRound1(seats, 3, 5);
    const shares: ReceivedShare[] = [];
    for (const [dealer, secret] of secrets) {
      for (const [recipient, share] of sharesFor(secret, seats)) shares.push({ dealer, recipient, share });
    }
    const keys = finalizeKeys({ threshold: 3, qualified: seats, packages, shares, localSeats: [2, 4, 5] });
    const groupPublicKey = keys.get(2)!.public.commitments[0]!;
    const store = new WalletStore(dir.path, 'pw');
    await store.save({
      seed: new Uint8Array(32).fill(7),
      groupPublicKey,
      group: ['0xa', '0xb'],
      qualifiedSeats: seats,
      keys,
    });
    assert.deepEqual(readdirSync(dir.path), [`wallet-${bytesToHex(xOnly(groupPublicKey))}.json`]);
    const text = readFileSync(`${dir.path}/${readdirSync(dir.path)[0]}`, 'utf8');
    for (const key of keys.values())
      assert.ok(!text.includes(bytesToHex(key.secret.signingShare)), 'no share in clear');

    const [loaded] = await new WalletStore(dir.path, 'pw').loadAll();
    assert.ok(loaded);
    assert.deepEqual([...loaded.keys.keys()], [2, 4, 5]);
    const message = new Uint8Array(32).fill(3);
    const signature = frostSign([...loaded.keys.values()], message);
    assert.equal(schnorr.verify(signature, message, xOnly(loaded.groupPublicKey)), true);
    await assert.rejects(new WalletStore(dir.path, 'wrong').loadAll(), /: wrong KEEP_OPERATOR_PASSWORD$/);
  } finally {
    dir.remove();
  }
});

test('the keystore directory is 0700 (an existing one is tightened) and its files 0600', async () => {
  const dir = tempDir();
  try {
    const created = join(dir.path, 'new', 'tbtc');
    new WalletStore(created, 'pw');
    assert.equal(statSync(created).mode & 0o777, 0o700);
    const existing = join(dir.path, 'old');
    mkdirSync(existing);
    chmodSync(existing, 0o755);
    new WalletStore(existing, 'pw');
    assert.equal(statSync(existing).mode & 0o777, 0o700);
  } finally {
    dir.remove();
  }
});

test('a wallet file whose sealed content is not JSON fails naming the file, without a byte of it', async () => {
  const dir = tempDir();
  try {
    const key = generateOperatorKey();
    const path = join(dir.path, `wallet-${'ef'.repeat(32)}.json`);
    writeFileSync(
      path,
      JSON.stringify({ walletId: 'ef'.repeat(32), sealed: await sealWithPassword(key.privateKey, 'pw') }),
    );
    await assert.rejects(new WalletStore(dir.path, 'pw').loadAll(), (err: unknown) => {
      assert.ok(err instanceof StorageError, String(err));
      assert.equal(err.message, `key-share file ${path} is corrupt: its sealed content is not JSON`);
      const text = `${err.message}\n${err.stack ?? ''}`;
      const latin1 = Buffer.from(text, 'latin1');
      for (let i = 0; i + 4 <= 32; i++) {
        const window = key.privateKey.subarray(i, i + 4);
        assert.ok(!text.toLowerCase().includes(bytesToHex(window)), `hex of key bytes ${i}.. in the error`);
        assert.equal(latin1.indexOf(window), -1, `key bytes ${i}.. in the error`);
        assert.ok(!text.includes(new TextDecoder().decode(window)), `key bytes ${i}.. (utf-8) in the error`);
      }
      assert.equal(err.cause, undefined, 'no cause carrying the parser error');
      return true;
    });
  } finally {
    dir.remove();
  }
});
