import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOperatorKey, type OperatorKey, operatorKeyFromPrivate } from '../crypto/operator-key.js';
import {
  CorruptBoxError,
  openWithPassword,
  type PasswordBox,
  sealWithPassword,
  WrongPasswordError,
} from '../crypto/password-box.js';
import { writeFileAtomic } from './atomic-file.js';
import { prepareKeyDir } from './key-dir.js';

/** On disk: the address in clear (to identify the file), the private key sealed. */
interface OperatorKeyFile {
  address: string;
  key: PasswordBox;
}

/** The key file's problem, for the operator: one line, exit 2. */
export class OperatorKeyError extends Error {
  override name = 'OperatorKeyError';
}

export async function writeOperatorKeyFile(path: string, key: OperatorKey, password: string): Promise<void> {
  const file: OperatorKeyFile = {
    address: key.address,
    key: await sealWithPassword(key.privateKey, password),
  };
  try {
    writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new OperatorKeyError(`cannot write operator key file ${path}: ${code}`);
  }
}

export async function readOperatorKeyFile(path: string, password: string): Promise<OperatorKey> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new OperatorKeyError(`cannot read operator key file ${path}: ${code}`);
  }
  let file: OperatorKeyFile;
  try {
    file = JSON.parse(text) as OperatorKeyFile;
  } catch {
    throw new OperatorKeyError(`operator key file ${path} is corrupt: not valid JSON`);
  }
  let privateKey: Uint8Array;
  try {
    privateKey = await openWithPassword(file?.key, password, { plaintextLength: 32 });
  } catch (err) {
    if (err instanceof WrongPasswordError) {
      const hint = err.certain ? '' : ' (or the file is damaged: files of this older format cannot tell)';
      throw new OperatorKeyError(
        `cannot decrypt operator key file ${path}: wrong KEEP_OPERATOR_PASSWORD${hint}`,
      );
    }
    if (err instanceof CorruptBoxError) {
      throw new OperatorKeyError(`operator key file ${path} is corrupt: ${err.message}`);
    }
    throw err;
  }
  let key: OperatorKey;
  try {
    key = operatorKeyFromPrivate(privateKey);
  } catch {
    // The underlying error may quote the bytes; this one must not.
    throw new OperatorKeyError(`operator key file ${path} is corrupt: it holds no valid secp256k1 key`);
  }
  if (key.address !== file.address) {
    throw new OperatorKeyError(
      `operator key file ${path} is inconsistent: address ${JSON.stringify(file.address)} ≠ ${key.address}`,
    );
  }
  return key;
}

/**
 * The operator key: from the configured key file, or else from `<storage>/operator-key.json`,
 * generated there on first start. `created` tells the caller to log that it happened.
 */
export async function loadOrCreateOperatorKey(options: {
  keyFile: string | undefined;
  storageDir: string;
  password: string;
}): Promise<{ key: OperatorKey; path: string; created: boolean }> {
  if (options.keyFile) {
    return {
      key: await readOperatorKeyFile(options.keyFile, options.password),
      path: options.keyFile,
      created: false,
    };
  }
  prepareKeyDir(options.storageDir);
  const path = join(options.storageDir, 'operator-key.json');
  if (existsSync(path))
    return { key: await readOperatorKeyFile(path, options.password), path, created: false };
  const key = generateOperatorKey();
  await writeOperatorKeyFile(path, key, options.password);
  return { key, path, created: true };
}
