import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOperatorKey, type OperatorKey, operatorKeyFromPrivate } from '../crypto/operator-key.js';
import {
  openWithPassword,
  type PasswordBox,
  sealWithPassword,
  WrongPasswordError,
} from '../crypto/password-box.js';
import { writeFileAtomic } from './atomic-file.js';

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
  writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
}

export async function readOperatorKeyFile(path: string, password: string): Promise<OperatorKey> {
  let file: OperatorKeyFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as OperatorKeyFile;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new OperatorKeyError(`cannot read operator key file ${path}: ${code ?? 'not valid JSON'}`);
  }
  let privateKey: Uint8Array;
  try {
    privateKey = await openWithPassword(file.key, password);
  } catch (err) {
    if (err instanceof WrongPasswordError) {
      throw new OperatorKeyError(`cannot decrypt operator key file ${path}: wrong KEEP_OPERATOR_PASSWORD`);
    }
    throw new OperatorKeyError(`operator key file ${path} is not a keep-client key file`);
  }
  const key = operatorKeyFromPrivate(privateKey);
  if (key.address !== file.address) {
    throw new OperatorKeyError(
      `operator key file ${path} is inconsistent: address ${file.address} ≠ ${key.address}`,
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
  mkdirSync(options.storageDir, { recursive: true });
  const path = join(options.storageDir, 'operator-key.json');
  if (existsSync(path))
    return { key: await readOperatorKeyFile(path, options.password), path, created: false };
  const key = generateOperatorKey();
  await writeOperatorKeyFile(path, key, options.password);
  return { key, path, created: true };
}
