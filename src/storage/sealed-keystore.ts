import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import {
  CorruptBoxError,
  openWithPassword,
  sealWithPassword,
  WrongPasswordError,
} from '../crypto/password-box.js';
import { writeFileAtomic } from './atomic-file.js';
import { prepareKeyDir } from './key-dir.js';
import { StorageError } from './storage-error.js';

const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? 'error';

/**
 * A directory of key-share files `<kind>-<id>.json`, each `{ "<idKey>": id, "sealed": … }`
 * with the content sealed under the operator password and written atomically, so a crash
 * leaves no partial file. The wallet and beacon stores keep their content in one.
 *
 * A file that cannot be opened stops the load with a StorageError naming it: key shares are
 * never skipped silently, and no error carries decrypted bytes.
 */
export class SealedKeystore<Content> {
  private readonly name: RegExp;

  constructor(
    private readonly dir: string,
    private readonly password: string,
    private readonly kind: string,
    private readonly idKey: string,
    idPattern: string,
  ) {
    prepareKeyDir(dir, { tighten: true });
    this.name = new RegExp(`^${kind}-(${idPattern})\\.json$`);
  }

  /** Seals and writes the content; returns the file's path. */
  async save(id: string, content: Content): Promise<string> {
    const file = {
      [this.idKey]: id,
      sealed: await sealWithPassword(utf8ToBytes(JSON.stringify(content)), this.password),
    };
    const path = join(this.dir, `${this.kind}-${id}.json`);
    try {
      writeFileAtomic(path, `${JSON.stringify(file)}\n`);
    } catch (err) {
      throw new StorageError(`cannot write key-share file ${path}: ${code(err)}`);
    }
    return path;
  }

  /** Every file's content as `decode` makes it (it throws on content it does not accept), in file-name order. */
  async loadAll<T>(decode: (content: Content) => T): Promise<T[]> {
    let names: string[];
    try {
      names = readdirSync(this.dir).sort();
    } catch (err) {
      throw new StorageError(`cannot read directory ${this.dir}: ${code(err)}`);
    }
    const loaded: T[] = [];
    for (const name of names) {
      const id = this.name.exec(name)?.[1];
      if (id !== undefined) loaded.push(await this.load(join(this.dir, name), id, decode));
    }
    return loaded;
  }

  private async load<T>(path: string, id: string, decode: (content: Content) => T): Promise<T> {
    const corrupt = (reason: string) => new StorageError(`key-share file ${path} is corrupt: ${reason}`);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new StorageError(`cannot read key-share file ${path}: ${code(err)}`);
    }
    let file: Record<string, unknown>;
    try {
      file = JSON.parse(text);
    } catch {
      throw corrupt('not valid JSON');
    }
    if (file?.[this.idKey] !== id) throw corrupt(`its ${this.idKey} does not match the file name`);
    let opened: Uint8Array;
    try {
      opened = await openWithPassword(file.sealed, this.password);
    } catch (err) {
      if (err instanceof WrongPasswordError) {
        const hint = err.certain ? '' : ' (or the file is damaged: files of this older format cannot tell)';
        throw new StorageError(`cannot decrypt key-share file ${path}: wrong KEEP_OPERATOR_PASSWORD${hint}`);
      }
      if (err instanceof CorruptBoxError) throw corrupt(err.message);
      throw err;
    }
    // The reasons below are fixed strings: a parser's message would quote decrypted bytes.
    let content: Content;
    try {
      content = JSON.parse(new TextDecoder().decode(opened)) as Content;
    } catch {
      throw corrupt(`its sealed content is not JSON`);
    } finally {
      opened.fill(0);
    }
    try {
      return decode(content);
    } catch {
      throw corrupt(`its sealed content is not a ${this.kind} key-share record`);
    }
  }
}
