import type { TempFileRecovery } from './key-share-files.js';
import { KeyShareFiles } from './key-share-files.js';

/** What differs between the wallet store and the beacon store: file names and content. */
export interface GroupFileFormat<G, C> {
  /** File names: `<kind>-<id>.json`, `pending-<kind>-<id>.json`. */
  readonly kind: string;
  /** The unsealed field naming the id, and the id's shape. */
  readonly idKey: string;
  readonly idPattern: string;
  idOf(groupPublicKey: Uint8Array): string;
  contentOf(group: G): C;
  /** Throws on content it does not accept (the load then names the file as corrupt). */
  groupOf(content: C): G;
}

/**
 * The key shares of one kind of group on disk: `<dir>/<kind>-<id>.json` for registered groups
 * and `<dir>/pending-<kind>-<id>.json` for shares a DKG produced whose group is not registered
 * yet, sealed under the operator password and written atomically.
 */
export class SealedGroupStore<G extends { readonly groupPublicKey: Uint8Array }, C> {
  private readonly files: KeyShareFiles<C>;

  constructor(
    dir: string,
    password: string,
    private readonly format: GroupFileFormat<G, C>,
  ) {
    this.files = new KeyShareFiles(dir, password, format.kind, format.idKey, format.idPattern);
  }

  /** Writes the shares of a registered group. */
  save(group: G): Promise<string> {
    return this.files.save(this.format.idOf(group.groupPublicKey), this.format.contentOf(group));
  }

  /** Writes the shares the moment the DKG produced them, before its result is signed. */
  savePending(group: G): Promise<string> {
    return this.files.savePending(this.format.idOf(group.groupPublicKey), this.format.contentOf(group));
  }

  /** The group was registered: its pending shares become active. */
  activate(groupPublicKey: Uint8Array): string | undefined {
    return this.files.activate(this.format.idOf(groupPublicKey));
  }

  /** The DKG registered another group or timed out: its pending shares are removed. */
  discard(groupPublicKey: Uint8Array): void {
    this.files.discard(this.format.idOf(groupPublicKey));
  }

  recoverTempFiles(): Promise<TempFileRecovery> {
    return this.files.recoverTempFiles();
  }

  loadAll(): Promise<G[]> {
    return this.files.loadAll((content) => this.format.groupOf(content));
  }

  loadPending(): Promise<G[]> {
    return this.files.loadPending((content) => this.format.groupOf(content));
  }
}
