import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BeaconGroupKeys } from '../../src/beacon/relay-executor.js';
import { BeaconStore, beaconGroupId } from '../../src/storage/beacon-store.js';
import { tempDir } from '../helpers/process.js';

const bytes = (length: number, fill: number) => new Uint8Array(length).fill(fill);

test('beacon key shares round-trip through a 0700 directory of 0600 files', async () => {
  const dir = tempDir();
  try {
    const keystore = join(dir.path, 'keystore', 'beacon');
    const groupPublicKey = bytes(96, 9);
    const publicKeyShares = new Map([
      [1, bytes(96, 1)],
      [3, bytes(96, 3)],
    ]);
    const share = (seat: number) => ({
      seat,
      secretShare: bytes(32, 100 + seat),
      groupPublicKey,
      threshold: 2,
      publicKeyShares,
    });
    const group: BeaconGroupKeys = {
      seed: bytes(32, 5),
      groupPublicKey,
      group: ['0x01', '0x02', '0x03'],
      qualifiedSeats: [1, 3],
      keys: new Map([
        [1, share(1)],
        [3, share(3)],
      ]),
    };
    const path = await new BeaconStore(keystore, 'pw').save(group);
    assert.deepEqual(readdirSync(keystore), [`group-${beaconGroupId(groupPublicKey)}.json`]);
    assert.equal(statSync(keystore).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(await new BeaconStore(keystore, 'pw').loadAll(), [group]);
  } finally {
    dir.remove();
  }
});
