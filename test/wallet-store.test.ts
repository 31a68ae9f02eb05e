import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { dealRound1, finalizeKeys, type ReceivedShare, sharesFor, xOnly } from '../src/crypto/frost-dkg.js';
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
    await assert.rejects(new WalletStore(dir.path, 'wrong').loadAll(), /wrong password/);
  } finally {
    dir.remove();
  }
});
