import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { openWithPassword, sealWithPassword } from '../crypto/password-box.js';
import { writeFileAtomic } from './atomic-file.js';

/**
 * A directory of key-share files `<kind>-<id>.json`, each `{ "<idKey>": id, "sealed": … }`
 * with the content sealed under the operator password and written atomically, so a crash
 * leaves no partial file. The wallet and beacon stores keep their content in one.
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
    mkdirSync(dir, { recursive: true });
    this.name = new RegExp(`^${kind}-${idPattern}\\.json$`);
  }

  /** Seals and writes the content; returns the file's path. */
  async save(id: string, content: Content): Promise<string> {
    const file = {
      [this.idKey]: id,
      sealed: await sealWithPassword(utf8ToBytes(JSON.stringify(content)), this.password),
    };
    const path = join(this.dir, `${this.kind}-${id}.json`);
    writeFileAtomic(path, `${JSON.stringify(file)}\n`);
    return path;
  }

  /** Every file's content, in file-name order. */
  async loadAll(): Promise<Content[]> {
    const contents: Content[] = [];
    for (const name of readdirSync(this.dir).sort()) {
      if (!this.name.test(name)) continue;
      const file = JSON.parse(readFileSync(join(this.dir, name), 'utf8'));
      const opened = await openWithPassword(file.sealed, this.password);
      contents.push(JSON.parse(new TextDecoder().decode(opened)) as Content);
    }
    return contents;
  }
}
