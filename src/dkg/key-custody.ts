import { bytesToHex } from '@noble/hashes/utils.js';
import type { Address, DkgFlow, Unsubscribe } from '../chain/types.js';
import type { Recorder } from '../clientinfo/recorder.js';
import type { Logger } from '../log.js';
import type { GroupKeys } from './group-keys.js';

/** Where a group's shares are kept: pending from the DKG's outcome, active once registered. */
export interface GroupKeyStore<K> {
  savePending(keys: GroupKeys<K>): Promise<string>;
  /** Returns the active file, or undefined when nothing was pending. */
  activate(groupPublicKey: Uint8Array): string | undefined;
  discard(groupPublicKey: Uint8Array): void;
  loadPending(): Promise<GroupKeys<K>[]>;
}

/** A registered wallet or beacon group as the chain lists it: qualified seats and their operators. */
export interface RegisteredGroup {
  readonly groupPublicKey: Uint8Array;
  readonly members: readonly { readonly index: number; readonly operator: Address }[];
}

/** A registered group in which this operator holds seats but has no key share. */
export interface SeatsWithoutKeyShare {
  readonly group_public_key: string;
  readonly seats: number[];
}

export interface KeyCustodyOptions<K> {
  /** Which registry: the gauge label and the log's word. */
  readonly kind: 'wallet' | 'beacon';
  readonly operator: Address;
  /** The registry's DKG events (for timeouts and its state). */
  readonly registry: Pick<DkgFlow, 'dkgState' | 'onDkgTimedOut'>;
  /** Registered groups with their members, and the event that adds one. */
  readonly registeredGroups: () => Promise<RegisteredGroup[]>;
  readonly onGroupRegistered: (listener: (group: RegisteredGroup) => void) => Unsubscribe;
  /** Absent: shares are kept in memory only (tests). */
  readonly store?: GroupKeyStore<K>;
  /** Groups whose shares were loaded from disk at start. */
  readonly held: readonly GroupKeys<K>[];
  /** Called once per group whose shares became active (its registration named their key). */
  readonly activated: (keys: GroupKeys<K>, path: string | undefined) => void;
  readonly recorder: Recorder;
  readonly log: Logger;
}

/**
 * Custody of the key shares a DKG produced, from the moment they are final to the group's
 * registration: `save` keeps them pending (on disk, before the result is signed); the
 * registration naming their key activates them; a registration of another key or the DKG's
 * timeout discards them. It also reports seats of registered groups this operator holds
 * without a key share, in the log, a gauge and `/diagnostics`.
 */
export class KeyCustody<K> {
  private readonly pending = new Map<string, GroupKeys<K>>();
  private readonly held = new Set<string>();
  /** Groups already logged as missing shares (logged once each). */
  private readonly logged = new Set<string>();
  private registered: RegisteredGroup[] = [];
  private readonly unsubscribe: Unsubscribe[] = [];

  constructor(private readonly options: KeyCustodyOptions<K>) {
    for (const keys of options.held) this.held.add(bytesToHex(keys.groupPublicKey));
  }

  /**
   * Subscribes to the registry, then settles shares left pending by an earlier run: active if
   * their group was registered meanwhile, discarded if no DKG is running any more.
   */
  async start(): Promise<void> {
    const { registry, store, log, kind } = this.options;
    this.unsubscribe.push(
      this.options.onGroupRegistered((group) => this.groupRegistered(group)),
      registry.onDkgTimedOut((event) =>
        this.discardWhere((keys) => sameHex(keys.seed, event.seed), 'DKG timed out'),
      ),
    );
    for (const keys of (await store?.loadPending()) ?? [])
      this.pending.set(bytesToHex(keys.groupPublicKey), keys);
    this.registered = await this.options.registeredGroups();
    for (const group of this.registered) this.activate(group.groupPublicKey);
    if (this.pending.size > 0 && (await registry.dkgState()) === 'idle')
      this.discardWhere(() => true, `the DKG ended without registering this ${kind}`);
    if (this.pending.size > 0)
      log.info({ kind, pending: this.pending.size }, 'key shares pending registration');
    this.report();
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
  }

  /** The executor's `saveGroup`: persists the shares as pending. */
  readonly save = async (keys: GroupKeys<K>): Promise<void> => {
    const path = await this.options.store?.savePending(keys);
    this.pending.set(bytesToHex(keys.groupPublicKey), keys);
    this.options.log.info(
      { kind: this.options.kind, path, seats: [...keys.keys.keys()] },
      'stored key shares pending registration',
    );
    // A slow node may store its shares after the group was registered: activate them now.
    const key = bytesToHex(keys.groupPublicKey);
    if (this.registered.some((group) => bytesToHex(group.groupPublicKey) === key)) {
      this.activate(keys.groupPublicKey);
      this.report();
    }
  };

  /** Registered groups in which this operator holds seats without a key share. */
  seatsWithoutKeyShare(): SeatsWithoutKeyShare[] {
    return this.registered.flatMap((group) => {
      const key = bytesToHex(group.groupPublicKey);
      if (this.held.has(key)) return [];
      const seats = group.members.filter((m) => m.operator === this.options.operator).map((m) => m.index);
      return seats.length ? [{ group_public_key: key, seats }] : [];
    });
  }

  private groupRegistered(group: RegisteredGroup): void {
    const key = bytesToHex(group.groupPublicKey);
    if (!this.registered.some((known) => bytesToHex(known.groupPublicKey) === key))
      this.registered.push(group);
    this.activate(group.groupPublicKey);
    this.discardWhere(() => true, `another ${this.options.kind} was registered`);
    this.report();
  }

  private activate(groupPublicKey: Uint8Array): void {
    const key = bytesToHex(groupPublicKey);
    const keys = this.pending.get(key);
    if (!keys) return;
    this.pending.delete(key);
    const path = this.options.store?.activate(groupPublicKey);
    this.held.add(key);
    this.options.activated(keys, path);
  }

  private discardWhere(match: (keys: GroupKeys<K>) => boolean, reason: string): void {
    for (const [key, keys] of this.pending) {
      if (!match(keys)) continue;
      this.pending.delete(key);
      this.options.store?.discard(keys.groupPublicKey);
      this.options.log.info(
        { kind: this.options.kind, groupPublicKey: key, reason },
        'discarded pending key shares',
      );
    }
  }

  /** Sets the gauge; logs each registered group whose seats here have no share once, at error level. */
  private report(): void {
    const { recorder, log, kind } = this.options;
    const missing = this.seatsWithoutKeyShare();
    recorder.set(
      'performance_seats_without_key_share',
      missing.reduce((sum, group) => sum + group.seats.length, 0),
      { group: kind },
    );
    for (const group of missing) {
      if (this.logged.has(group.group_public_key)) continue;
      this.logged.add(group.group_public_key);
      log.error(
        { kind, groupPublicKey: group.group_public_key, seats: group.seats },
        `seats without a key share: this operator holds seats of a registered ${kind} but has no key share for them; they cannot sign`,
      );
    }
  }
}

function sameHex(a: Uint8Array, b: Uint8Array): boolean {
  return bytesToHex(a) === bytesToHex(b);
}
