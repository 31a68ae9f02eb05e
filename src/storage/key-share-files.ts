import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { openWithPassword, WrongPasswordError } from '../crypto/password-box.js';
import { leftoverTempFiles, removeDurably, renameAtomic } from './atomic-file.js';
import { SealedKeystore } from './sealed-keystore.js';

/** What start-up did with the temporary files a crashed write left behind. */
export interface TempFileRecovery {
  /** Complete files (they open under the password): renamed to the file they were written for. */
  readonly recovered: readonly string[];
  /** Partial files (not a whole sealed file): removed. */
  readonly removed: readonly string[];
  /** Whole files that do not open under this password: left in place for the operator. */
  readonly unreadable: readonly string[];
}

/**
 * One kind of key-share file in a directory, in two states: `pending-<kind>-<id>.json`, written
 * the moment a DKG produced the shares, and `<kind>-<id>.json`, the shares of a registered
 * group. Activation is an atomic rename; a crash leaves a file in one state or the other.
 */
export class KeyShareFiles<Content> {
  private readonly active: SealedKeystore<Content>;
  private readonly pending: SealedKeystore<Content>;
  private readonly ours: RegExp;

  constructor(
    private readonly dir: string,
    private readonly password: string,
    private readonly kind: string,
    private readonly idKey: string,
    private readonly idPattern: string,
  ) {
    this.active = new SealedKeystore(dir, password, kind, idKey, idPattern);
    this.pending = new SealedKeystore(dir, password, `pending-${kind}`, idKey, idPattern);
    this.ours = new RegExp(`^(pending-)?${kind}-${idPattern}\\.json$`);
  }

  /** Writes the shares of a registered group. */
  save(id: string, content: Content): Promise<string> {
    return this.active.save(id, content);
  }

  /** Writes the shares of a group not (yet) registered. */
  savePending(id: string, content: Content): Promise<string> {
    return this.pending.save(id, content);
  }

  /** Makes pending shares active; returns the active file, or undefined when none was pending. */
  activate(id: string): string | undefined {
    const from = this.path(`pending-${this.kind}`, id);
    const to = this.path(this.kind, id);
    if (!existsSync(from)) return existsSync(to) ? to : undefined;
    renameAtomic(from, to);
    return to;
  }

  /** Removes pending shares (their DKG registered another group or timed out). */
  discard(id: string): void {
    removeDurably(this.path(`pending-${this.kind}`, id));
  }

  /** The registered groups' contents as `decode` makes them (see SealedKeystore.loadAll). */
  loadAll<T>(decode: (content: Content) => T): Promise<T[]> {
    return this.active.loadAll(decode);
  }

  loadPending<T>(decode: (content: Content) => T): Promise<T[]> {
    return this.pending.loadAll(decode);
  }

  /**
   * Finishes or cleans up writes a crash interrupted: a temporary file that holds a whole
   * sealed file opening under the password is renamed to its target; a partial one is removed.
   */
  async recoverTempFiles(): Promise<TempFileRecovery> {
    const recovered: string[] = [];
    const removed: string[] = [];
    const unreadable: string[] = [];
    for (const { temp, target } of leftoverTempFiles(this.dir)) {
      if (target !== undefined && !this.ours.test(basename(target))) continue; // another file's write
      const state = await this.inspect(temp);
      if (state === 'partial') {
        removeDurably(temp);
        removed.push(temp);
      } else if (state === 'unreadable') {
        unreadable.push(temp);
      } else {
        // The older temp names do not say their target; they were always active files.
        const to = target ?? this.path(this.kind, state.id);
        renameAtomic(temp, to);
        recovered.push(to);
      }
    }
    return { recovered, removed, unreadable };
  }

  private async inspect(temp: string): Promise<'partial' | 'unreadable' | { id: string }> {
    let file: { sealed?: unknown } & Record<string, unknown>;
    try {
      file = JSON.parse(readFileSync(temp, 'utf8'));
    } catch {
      return 'partial';
    }
    const id = file?.[this.idKey];
    if (typeof id !== 'string' || !new RegExp(`^${this.idPattern}$`).test(id) || !file.sealed)
      return 'partial';
    try {
      const opened = await openWithPassword(
        file.sealed as Parameters<typeof openWithPassword>[0],
        this.password,
      );
      JSON.parse(new TextDecoder().decode(opened));
      opened.fill(0);
    } catch (err) {
      return err instanceof WrongPasswordError ? 'unreadable' : 'partial';
    }
    return { id };
  }

  private path(kind: string, id: string): string {
    return join(this.dir, `${kind}-${id}.json`);
  }
}
