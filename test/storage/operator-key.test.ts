import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { peerIdOfOperatorKey } from '../../src/net/libp2p/identity.js';
import {
  loadOrCreateOperatorKey,
  OperatorKeyError,
  readOperatorKeyFile,
  writeOperatorKeyFile,
} from '../../src/storage/operator-key-file.js';
import { runCli, startNodeProcess, tempDir } from '../helpers/process.js';

test('an operator key file round-trips under its password and refuses a wrong one', async () => {
  const dir = tempDir();
  try {
    const key = generateOperatorKey();
    const path = join(dir.path, 'key.json');
    await writeOperatorKeyFile(path, key, 'secret');
    assert.deepEqual(readdirSync(dir.path), ['key.json'], 'no temporary file left behind');
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes(Buffer.from(key.privateKey).toString('hex')), 'the private key is not in clear');
    assert.deepEqual((await readOperatorKeyFile(path, 'secret')).privateKey, key.privateKey);
    await assert.rejects(readOperatorKeyFile(path, 'wrong'), OperatorKeyError);
    writeFileSync(path, '{ not json');
    await assert.rejects(readOperatorKeyFile(path, 'secret'), /is corrupt: not valid JSON/);
  } finally {
    dir.remove();
  }
});

test('without a key file a key is generated once into the storage dir and reused', async () => {
  const dir = tempDir();
  try {
    const first = await loadOrCreateOperatorKey({ keyFile: undefined, storageDir: dir.path, password: '' });
    const second = await loadOrCreateOperatorKey({ keyFile: undefined, storageDir: dir.path, password: '' });
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(second.key.address, first.key.address);
  } finally {
    dir.remove();
  }
});

test('keep-client start logs the generated key and uses it as its libp2p identity', async () => {
  const dir = tempDir();
  try {
    const node = await startNodeProcess(['--clientInfo.port', '0', '--storage.dir', dir.path]);
    const generated = node.logs.find((line) => line.msg === 'generated a new operator key');
    const started = node.logs.find((line) => line.msg === 'node started');
    await node.stop();
    assert.ok(generated, 'a log line says a key was generated');
    const key = await readOperatorKeyFile(join(dir.path, 'operator-key.json'), '');
    assert.equal(generated.operator, key.address);
    assert.equal(started?.peerId, peerIdOfOperatorKey(key.publicKey).toString());
    const json = JSON.stringify(node.logs);
    assert.ok(!json.includes(Buffer.from(key.privateKey).toString('hex')), 'no key material in logs');
  } finally {
    dir.remove();
  }
});

test('a wrong password is one line and exit 2', async () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, 'key.json');
    await writeOperatorKeyFile(path, generateOperatorKey(), 'right');
    const result = await runCli([
      'start',
      '--operator.keyFile',
      path,
      '--clientInfo.port',
      '0',
      '--network.port',
      '0',
    ]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, /wrong KEEP_OPERATOR_PASSWORD/);
  } finally {
    dir.remove();
  }
});

test('a damaged or tampered key file is reported as corrupt, not as a wrong password', async () => {
  const dir = tempDir();
  try {
    const path = join(dir.path, 'key.json');
    await writeOperatorKeyFile(path, generateOperatorKey(), 'right');
    const original = JSON.parse(readFileSync(path, 'utf8'));
    const variant = (change: (file: typeof original) => void) => {
      const file = structuredClone(original);
      change(file);
      writeFileSync(path, JSON.stringify(file));
    };
    const cases: [(file: typeof original) => void, RegExp][] = [
      [(file) => (file.key.kdf.N = 2 ** 20), /is corrupt: scrypt N = 1048576 is not a power of two/],
      [
        (file) => (file.key.ciphertext = file.key.ciphertext.slice(0, 64)),
        /is corrupt: ciphertext has a wrong length/,
      ],
      [
        (file) => (file.key.ciphertext = `${file.key.ciphertext.slice(0, -2)}00`),
        /is corrupt: checksum mismatch/,
      ],
      [(file) => delete file.key, /is corrupt: not a sealed box/],
    ];
    for (const [change, expected] of cases) {
      variant(change);
      await assert.rejects(readOperatorKeyFile(path, 'right'), (err: unknown) => {
        assert.ok(err instanceof OperatorKeyError);
        assert.match(err.message, expected);
        assert.doesNotMatch(err.message, /PASSWORD/);
        return true;
      });
    }
    writeFileSync(path, JSON.stringify(original).slice(0, 100));
    await assert.rejects(readOperatorKeyFile(path, 'right'), /key\.json is corrupt: not valid JSON/);
    writeFileSync(path, JSON.stringify(original));
    await assert.rejects(readOperatorKeyFile(path, 'wrong'), /: wrong KEEP_OPERATOR_PASSWORD$/);
  } finally {
    dir.remove();
  }
});
