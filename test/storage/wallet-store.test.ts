import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { dealRound1, finalizeKeys, type ReceivedShare, sharesFor, xOnly } from '../../src/crypto/frost-dkg.js';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { sealWithPassword } from '../../src/crypto/password-box.js';
import { StorageError } from '../../src/storage/storage-error.js';
import { WalletStore } from '../../src/storage/wallet-store.js';
import { frostSign } from '../helpers/frost.js';
import { tempDir } from '../helpers/process.js';

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

function someWallet(fill: number) {
  const seats = [1, 2, 3];
  const { secrets, packages } = dealRound1(seats, 2, 3);
  const shares: ReceivedShare[] = [];
  for (const [dealer, secret] of secrets) {
    for (const [recipient, share] of sharesFor(secret, seats)) shares.push({ dealer, recipient, share });
  }
  const keys = finalizeKeys({ threshold: 2, qualified: seats, packages, shares, localSeats: [1, 3] });
  const groupPublicKey = keys.get(1)!.public.commitments[0]!;
  return { seed: new Uint8Array(32).fill(fill), groupPublicKey, group: ['0xa'], qualifiedSeats: seats, keys };
}

test('pending shares become active on activation and are gone after discard', async () => {
  const dir = tempDir();
  try {
    const store = new WalletStore(dir.path, 'pw');
    const kept = someWallet(1);
    const lost = someWallet(2);
    await store.savePending(kept);
    await store.savePending(lost);
    assert.equal((await store.loadAll()).length, 0, 'pending shares are not a registered wallet');
    assert.equal((await store.loadPending()).length, 2);
    assert.equal(
      store.activate(kept.groupPublicKey),
      `${dir.path}/wallet-${bytesToHex(xOnly(kept.groupPublicKey))}.json`,
    );
    store.discard(lost.groupPublicKey);
    assert.deepEqual(readdirSync(dir.path), [`wallet-${bytesToHex(xOnly(kept.groupPublicKey))}.json`]);
    const [loaded] = await store.loadAll();
    assert.equal(bytesToHex(loaded!.groupPublicKey), bytesToHex(kept.groupPublicKey));
  } finally {
    dir.remove();
  }
});

test('at load, a complete temporary file a crash left is renamed to its target and a partial one removed', async () => {
  const source = tempDir();
  const dir = tempDir();
  try {
    const complete = someWallet(3);
    const older = someWallet(4);
    const partial = someWallet(5);
    const writer = new WalletStore(source.path, 'pw');
    const bytesOf = async (save: Promise<string>) => readFileSync(await save);
    const id = (wallet: { groupPublicKey: Uint8Array }) => bytesToHex(xOnly(wallet.groupPublicKey));
    // Killed between the write and the rename: temporary files named after their target.
    writeFileSync(
      `${dir.path}/.pending-wallet-${id(complete)}.json.4242.tmp`,
      await bytesOf(writer.savePending(complete)),
    );
    const partialBytes = await bytesOf(writer.save(partial));
    writeFileSync(
      `${dir.path}/.wallet-${id(partial)}.json.4243.tmp`,
      partialBytes.subarray(0, partialBytes.length >> 1),
    );
    // The name an older version gave its temporary files: the target comes from the content.
    writeFileSync(`${dir.path}/.4244.1700000000000.tmp`, await bytesOf(writer.save(older)));

    const store = new WalletStore(dir.path, 'pw');
    const recovery = await store.recoverTempFiles();
    assert.deepEqual(recovery, {
      recovered: [`${dir.path}/wallet-${id(older)}.json`, `${dir.path}/pending-wallet-${id(complete)}.json`],
      removed: [`${dir.path}/.wallet-${id(partial)}.json.4243.tmp`],
      unreadable: [],
    });
    assert.deepEqual(readdirSync(dir.path).sort(), [
      `pending-wallet-${id(complete)}.json`,
      `wallet-${id(older)}.json`,
    ]);
    assert.deepEqual(
      (await store.loadPending()).map((w) => bytesToHex(w.groupPublicKey)),
      [bytesToHex(complete.groupPublicKey)],
    );
    assert.deepEqual(
      (await store.loadAll()).map((w) => bytesToHex(w.groupPublicKey)),
      [bytesToHex(older.groupPublicKey)],
    );

    // A whole file sealed under another password is not deleted: the operator decides.
    writeFileSync(`${dir.path}/.wallet-${id(partial)}.json.4245.tmp`, partialBytes);
    const wrong = await new WalletStore(dir.path, 'other').recoverTempFiles();
    assert.deepEqual(wrong.unreadable, [`${dir.path}/.wallet-${id(partial)}.json.4245.tmp`]);
    assert.ok(readdirSync(dir.path).includes(`.wallet-${id(partial)}.json.4245.tmp`));
  } finally {
    source.remove();
    dir.remove();
  }
});
