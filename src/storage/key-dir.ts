import { accessSync, chmodSync, constants, mkdirSync, statSync } from 'node:fs';
import { StorageError } from './storage-error.js';

const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? 'error';

/**
 * Makes `dir` ready to hold key material: creates it (and missing parents) with mode 0700,
 * checks it is a writable directory, and with `tighten` sets an existing one to 0700 too.
 */
export function prepareKeyDir(dir: string, options: { tighten?: boolean } = {}): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const reason = code(err);
    if (reason === 'EEXIST') throw new StorageError(`${dir} is not a directory`);
    if (reason === 'ENOTDIR') throw new StorageError(`cannot create directory ${dir}: a parent is a file`);
    throw new StorageError(`cannot create directory ${dir}: ${reason}`);
  }
  if (!statSync(dir).isDirectory()) throw new StorageError(`${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new StorageError(`directory ${dir} is not writable: ${code(err)}`);
  }
  if (options.tighten) {
    try {
      chmodSync(dir, 0o700);
    } catch (err) {
      throw new StorageError(`cannot set mode 0700 on ${dir}: ${code(err)}`);
    }
  }
}
