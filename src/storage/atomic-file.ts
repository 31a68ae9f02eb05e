import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The temporary file a write of `path` goes through: `.<name>.<pid>.tmp` beside it. */
const tempPathOf = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
const TEMP_NAME = /^\.(.+)\.\d+\.tmp$/;

/**
 * Writes a file so that a crash leaves either the old content or the new one, never a
 * partial file: write a temporary file, fsync it, rename it over the target, fsync the dir.
 * A crash before the rename leaves the temporary file, named after its target (see
 * `leftoverTempFiles`).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): void {
  const temp = tempPathOf(path);
  const fd = openSync(temp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameAtomic(temp, path);
}

/** Renames a file and makes the rename durable (fsync of the directory). */
export function renameAtomic(from: string, to: string): void {
  renameSync(from, to);
  syncDir(dirname(to));
}

/** Removes a file, durably; a file already gone is fine. */
export function removeDurably(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  syncDir(dirname(path));
}

/**
 * Temporary files a crashed write left in `dir`, each with the name of the file it was
 * written for (`undefined` for the older `.<pid>.<ms>.tmp` names, which do not say).
 */
export function leftoverTempFiles(dir: string): { temp: string; target: string | undefined }[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith('.') && name.endsWith('.tmp'))
    .sort()
    .map((name) => {
      const target = TEMP_NAME.exec(name)?.[1];
      return {
        temp: join(dir, name),
        target: target && !/^\d+$/.test(target) ? join(dir, target) : undefined,
      };
    });
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
