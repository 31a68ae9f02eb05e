import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { sealWithPassword } from '../../src/crypto/password-box.js';
import { writeOperatorKeyFile } from '../../src/storage/operator-key-file.js';
import { SealedKeystore } from '../../src/storage/sealed-keystore.js';
import { type CliResult, runCli, startNodeProcess, tempDir } from '../helpers/process.js';

const PASSWORD = 'startup test';
const root = tempDir();
after(() => root.remove());
let counter = 0;
const freshDir = () => join(root.path, `case-${++counter}`);

/** `keep-client start` on STORAGE, expected to exit at once. */
const start = (storage: string, options: Parameters<typeof runCli>[1] = {}) =>
  runCli(['start', '--storage.dir', storage, '--clientInfo.port', '0', '--network.port', '0'], {
    ...options,
    env: { KEEP_OPERATOR_PASSWORD: PASSWORD, ...options.env },
  });

function assertOneLine(result: CliResult, code: number, expected: RegExp): void {
  assert.equal(result.code, code, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${result.stderr}`);
  assert.match(lines[0]!, expected);
  assert.doesNotMatch(result.stderr, /\bat .*\.js:\d+|\n\s+at /, 'no stack trace');
}

/** Neither any 4 consecutive bytes of SECRET nor their hex appear in OUTPUT. */
function assertNoBytesOf(secret: Uint8Array, output: Buffer): void {
  const text = output.toString('latin1').toLowerCase();
  for (let i = 0; i + 4 <= secret.length; i++) {
    const window = secret.subarray(i, i + 4);
    assert.equal(output.indexOf(window), -1, `raw bytes ${i}..${i + 4} of the secret leaked`);
    assert.ok(!text.includes(bytesToHex(window)), `hex of bytes ${i}..${i + 4} of the secret leaked`);
  }
}

const WALLET_ID = 'ab'.repeat(32);
const GROUP_ID = 'cd'.repeat(16);

/** A storage dir with a usable operator key and the keystore directories. */
async function storageWithKey(): Promise<{ dir: string; wallets: string; groups: string }> {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true });
  await writeOperatorKeyFile(join(dir, 'operator-key.json'), generateOperatorKey(), PASSWORD);
  return { dir, wallets: join(dir, 'keystore', 'tbtc'), groups: join(dir, 'keystore', 'beacon') };
}

describe('start-up refuses unusable storage with one line naming it', () => {
  test('the storage dir is a file', async () => {
    const file = freshDir();
    writeFileSync(file, 'not a directory');
    assertOneLine(await start(file), 1, new RegExp(`^keep-client: ${file} is not a directory$`));
  });

  test('the storage dir is a file on the way', async () => {
    const file = freshDir();
    writeFileSync(file, 'not a directory');
    assertOneLine(
      await start(join(file, 'data')),
      1,
      new RegExp(`^keep-client: cannot create directory ${file}/data: a parent is a file$`),
    );
  });

  test('the storage dir is read-only for the node', async () => {
    // Root writes anywhere: then the node runs as nobody, for whom the directory is read-only.
    const asRoot = process.getuid?.() === 0;
    const parent = freshDir();
    const storage = join(parent, 'data');
    mkdirSync(storage, { recursive: true });
    chmodSync(root.path, 0o755);
    chmodSync(parent, 0o755);
    chmodSync(storage, 0o555);
    const result = await start(storage, asRoot ? { uid: 65534, gid: 65534 } : {});
    assertOneLine(result, 1, new RegExp(`^keep-client: directory ${storage} is not writable: EACCES$`));
  });

  test('a node creates its storage dir 0700, its key file 0600 and tightens the keystore to 0700', async () => {
    const storage = join(freshDir(), 'data');
    mkdirSync(join(storage, 'keystore', 'tbtc'), { recursive: true, mode: 0o755 });
    chmodSync(join(storage, 'keystore'), 0o755);
    chmodSync(join(storage, 'keystore', 'tbtc'), 0o755);
    chmodSync(storage, 0o755);
    const fresh = join(freshDir(), 'data');
    const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);
    for (const dir of [storage, fresh]) {
      const node = await startNodeProcess(['--clientInfo.port', '0', '--storage.dir', dir], {
        env: { KEEP_OPERATOR_PASSWORD: PASSWORD },
      });
      await node.stop();
    }
    assert.equal(modeOf(fresh), '700', 'a storage dir the node creates');
    assert.equal(modeOf(join(fresh, 'operator-key.json')), '600');
    for (const dir of [fresh, storage]) {
      for (const sub of ['keystore', 'keystore/tbtc', 'keystore/beacon']) {
        assert.equal(modeOf(join(dir, sub)), '700', `${dir}/${sub}`);
      }
    }
  });
});

describe('key files and key shares', () => {
  test('an empty password is refused for a new key without the opt-in', async () => {
    const storage = freshDir();
    const result = await start(storage, {
      env: { KEEP_OPERATOR_PASSWORD: '', KEEP_ALLOW_EMPTY_PASSWORD: '' },
    });
    assertOneLine(
      result,
      2,
      /^keep-client: KEEP_OPERATOR_PASSWORD is empty or unset: set it \(or KEEP_ALLOW_EMPTY_PASSWORD=1/,
    );
  });

  test('an empty password is refused for an existing key file without the opt-in', async () => {
    const storage = freshDir();
    mkdirSync(storage);
    await writeOperatorKeyFile(join(storage, 'operator-key.json'), generateOperatorKey(), '');
    const result = await start(storage, {
      env: { KEEP_OPERATOR_PASSWORD: '', KEEP_ALLOW_EMPTY_PASSWORD: '' },
    });
    assertOneLine(result, 2, /KEEP_OPERATOR_PASSWORD is empty or unset/);
  });

  test('a truncated wallet key-share file stops start-up naming the file', async () => {
    const { dir, wallets } = await storageWithKey();
    const path = await new SealedKeystore(wallets, PASSWORD, 'wallet', 'walletId', '[0-9a-f]{64}').save(
      WALLET_ID,
      { any: 'content' },
    );
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, text.length / 2));
    assertOneLine(
      await start(dir),
      1,
      new RegExp(`^keep-client: key-share file ${path} is corrupt: not valid JSON$`),
    );
  });

  test('a beacon key-share file sealed under another password stops start-up as a wrong password', async () => {
    const { dir, groups } = await storageWithKey();
    const path = await new SealedKeystore(
      groups,
      'another password',
      'group',
      'groupId',
      '[0-9a-f]{32}',
    ).save(GROUP_ID, { any: 'content' });
    assertOneLine(
      await start(dir),
      1,
      new RegExp(`^keep-client: cannot decrypt key-share file ${path}: wrong KEEP_OPERATOR_PASSWORD$`),
    );
  });

  test('a damaged beacon key-share file is corrupt, not a wrong password', async () => {
    const { dir, groups } = await storageWithKey();
    const path = await new SealedKeystore(groups, PASSWORD, 'group', 'groupId', '[0-9a-f]{32}').save(
      GROUP_ID,
      {
        any: 'content',
      },
    );
    const file = JSON.parse(readFileSync(path, 'utf8'));
    const last = file.sealed.ciphertext.at(-1);
    file.sealed.ciphertext = `${file.sealed.ciphertext.slice(0, -1)}${last === '0' ? '1' : '0'}`;
    writeFileSync(path, JSON.stringify(file));
    assertOneLine(
      await start(dir),
      1,
      new RegExp(`^keep-client: key-share file ${path} is corrupt: checksum mismatch`),
    );
  });

  test('a wallet file whose content is not a wallet stops start-up as corrupt', async () => {
    const { dir, wallets } = await storageWithKey();
    const path = await new SealedKeystore(wallets, PASSWORD, 'wallet', 'walletId', '[0-9a-f]{64}').save(
      WALLET_ID,
      { seats: 'not a list' },
    );
    assertOneLine(
      await start(dir),
      1,
      new RegExp(
        `^keep-client: key-share file ${path} is corrupt: its sealed content is not a wallet key-share record$`,
      ),
    );
  });

  test('a key-share file holding an operator key box prints no byte of the key', async () => {
    const { dir, wallets } = await storageWithKey();
    const key = generateOperatorKey();
    mkdirSync(wallets, { recursive: true });
    const path = join(wallets, `wallet-${WALLET_ID}.json`);
    writeFileSync(
      path,
      JSON.stringify({ walletId: WALLET_ID, sealed: await sealWithPassword(key.privateKey, PASSWORD) }),
    );
    const result = await start(dir);
    assertOneLine(
      result,
      1,
      new RegExp(`^keep-client: key-share file ${path} is corrupt: its sealed content is not JSON$`),
    );
    assertNoBytesOf(key.privateKey, result.stderrBytes);
    assertNoBytesOf(key.privateKey, Buffer.from(result.stdout, 'utf8'));
  });
});
