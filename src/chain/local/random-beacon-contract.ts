import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { GENESIS_ENTRY, isG2PublicKey, verifyEntry } from '../../crypto/threshold-bls.js';
import {
  type Address,
  type BeaconGroupRegisteredEvent,
  type BeaconParameters,
  ChainError,
  type DkgParameters,
  type RelayEntryRequestedEvent,
  type RelayEntrySubmittedEvent,
  type RelayEntryTimedOutEvent,
} from '../types.js';
import { AsyncEmitter } from './async-emitter.js';
import type { BlockEngine } from './block-engine.js';
import { DkgRegistryContract, type DkgRegistryState } from './dkg-registry-contract.js';
import type { SortitionPool } from './sortition-pool.js';

/** The beacon's parameters besides its group DKG's. */
export type RelayParameters = Omit<BeaconParameters, 'groupSize' | 'groupThreshold'>;

/** What a restart needs of the beacon besides its group DKG. */
export interface RandomBeaconState {
  readonly dkg: DkgRegistryState;
  /** The DKG registry's groups with their beacon ids. */
  readonly groups: readonly BeaconGroupRegisteredEvent[];
  readonly entry: Uint8Array;
  readonly request: RelayEntryRequestedEvent | undefined;
  readonly timedOut: readonly number[];
  readonly nextRequestId: number;
  readonly seeds: number;
}

const BEACON_SEED_DOMAIN = utf8ToBytes('keep-core-ts/beacon-dkg-seed');

export function checkRelayParameters(params: RelayParameters): void {
  for (const [name, value] of Object.entries(params)) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`beacon.${name} must be a non-negative integer, got ${value}`);
    }
  }
  if (params.relayEntryTimeoutBlocks < 1)
    throw new RangeError('beacon.relayEntryTimeoutBlocks must be at least 1');
}

/**
 * The random beacon of the local chain: its group DKG (a DKG registry with BLS12-381 G2 group
 * keys and its own seeds), and relay
 * entries: a request names a group chosen from the last entry; an entry is accepted when it
 * is that group's BLS signature over the previous entry; a request without an entry after
 * `relayEntryTimeoutBlocks` can be reported once, and is then re-requested from a group that
 * has not timed out on that entry (if any).
 */
export class RandomBeaconContract {
  readonly dkg: DkgRegistryContract;
  readonly events: {
    readonly groupRegistered: AsyncEmitter<BeaconGroupRegisteredEvent>;
    readonly relayEntryRequested: AsyncEmitter<RelayEntryRequestedEvent>;
    readonly relayEntrySubmitted: AsyncEmitter<RelayEntrySubmittedEvent>;
    readonly relayEntryTimedOut: AsyncEmitter<RelayEntryTimedOutEvent>;
  };
  private groupList: BeaconGroupRegisteredEvent[] = [];
  private entry: Uint8Array = GENESIS_ENTRY.slice();
  private request: RelayEntryRequestedEvent | undefined;
  /** Groups that timed out on the current previous entry: not asked again for it. */
  private readonly timedOut = new Set<number>();
  private nextRequestId = 1;
  private seeds = 0;
  private readonly stopBlocks: () => void;

  constructor(
    private readonly blocks: BlockEngine,
    pool: SortitionPool,
    dkgParams: DkgParameters,
    readonly relay: RelayParameters,
    onListenerError: (error: unknown) => void,
  ) {
    checkRelayParameters(relay);
    this.events = {
      groupRegistered: new AsyncEmitter(onListenerError),
      relayEntryRequested: new AsyncEmitter(onListenerError),
      relayEntrySubmitted: new AsyncEmitter(onListenerError),
      relayEntryTimedOut: new AsyncEmitter(onListenerError),
    };
    const seed = () => {
      const counter = new Uint8Array(4);
      new DataView(counter.buffer).setUint32(0, this.seeds++);
      return sha256(concatBytes(BEACON_SEED_DOMAIN, blocks.hashAt(blocks.height), counter));
    };
    const groupKey = { valid: isG2PublicKey, description: '96-byte compressed BLS12-381 G2 point' };
    this.dkg = new DkgRegistryContract(blocks, pool, dkgParams, groupKey, seed, onListenerError);
    // Subscribed first, so the group is registered before anyone else hears of the approval.
    this.dkg.events.groupRegistered.on((registered) => {
      const group: BeaconGroupRegisteredEvent = { groupId: this.groupList.length, ...registered };
      this.groupList.push(group);
      this.events.groupRegistered.emit(copyGroup(group));
    });
    this.stopBlocks = blocks.watchBlocks((height) => this.onBlock(height));
  }

  get params(): BeaconParameters {
    return {
      groupSize: this.dkg.params.groupSize,
      groupThreshold: this.dkg.params.honestThreshold,
      ...this.relay,
    };
  }

  groups(): BeaconGroupRegisteredEvent[] {
    return this.groupList.map(copyGroup);
  }

  lastEntry(): Uint8Array {
    return this.entry.slice();
  }

  currentRequest(): RelayEntryRequestedEvent | undefined {
    return this.request && copyRequest(this.request);
  }

  requestRelayEntry(): void {
    if (this.request) throw new ChainError(`relay entry request ${this.request.requestId} is in progress`);
    if (this.groupList.length === 0) throw new ChainError('no beacon group is registered');
    this.timedOut.clear();
    this.issueRequest();
  }

  submitRelayEntry(sender: Address, requestId: number, entry: Uint8Array): void {
    const request = this.pending(requestId);
    if (!verifyEntry(entry, request.previousEntry, request.groupPublicKey)) {
      throw new ChainError('the entry is not the group’s BLS signature over the previous entry');
    }
    this.entry = entry.slice();
    this.request = undefined;
    this.timedOut.clear();
    this.events.relayEntrySubmitted.emit({
      requestId,
      entry: entry.slice(),
      previousEntry: request.previousEntry.slice(),
      groupId: request.groupId,
      submitter: sender,
      blockNumber: this.blocks.height,
    });
  }

  reportRelayEntryTimeout(sender: Address, requestId: number): void {
    const request = this.pending(requestId);
    const deadline = request.blockNumber + this.relay.relayEntryTimeoutBlocks;
    const now = this.blocks.height;
    if (now <= deadline) {
      throw new ChainError(
        `relay entry request ${requestId} times out after block ${deadline}; current block is ${now}`,
      );
    }
    this.request = undefined;
    this.timedOut.add(request.groupId);
    this.events.relayEntryTimedOut.emit({
      requestId,
      groupId: request.groupId,
      reporter: sender,
      blockNumber: now,
    });
    // Re-request the same entry from a group that has not timed out on it.
    if (this.groupList.some((g) => !this.timedOut.has(g.groupId))) this.issueRequest();
  }

  snapshot(): RandomBeaconState {
    return {
      dkg: this.dkg.snapshot(),
      groups: this.groups(),
      entry: this.lastEntry(),
      request: this.currentRequest(),
      timedOut: [...this.timedOut],
      nextRequestId: this.nextRequestId,
      seeds: this.seeds,
    };
  }

  restore(state: RandomBeaconState): void {
    this.dkg.restore(state.dkg);
    this.groupList = state.groups.map(copyGroup);
    this.entry = state.entry.slice();
    this.request = state.request && copyRequest(state.request);
    this.timedOut.clear();
    for (const groupId of state.timedOut) this.timedOut.add(groupId);
    this.nextRequestId = state.nextRequestId;
    this.seeds = state.seeds;
  }

  close(): void {
    this.stopBlocks();
    this.dkg.close();
    for (const emitter of Object.values(this.events)) emitter.clear();
  }

  private pending(requestId: number): RelayEntryRequestedEvent {
    if (!this.request) throw new ChainError('no relay entry request is in progress');
    if (this.request.requestId !== requestId) {
      throw new ChainError(
        `relay entry request ${requestId} is not current (current: ${this.request.requestId})`,
      );
    }
    return this.request;
  }

  /** A group from the candidates, chosen by sha256(previous entry | request id). */
  private issueRequest(): void {
    const candidates = this.groupList.filter((g) => !this.timedOut.has(g.groupId));
    const requestId = this.nextRequestId++;
    const id = new Uint8Array(4);
    new DataView(id.buffer).setUint32(0, requestId);
    const digest = sha256(concatBytes(this.entry, id));
    const pick = Number(new DataView(digest.buffer).getUint32(0) % candidates.length);
    const group = candidates[pick]!;
    this.request = {
      requestId,
      previousEntry: this.entry.slice(),
      groupId: group.groupId,
      groupPublicKey: group.groupPublicKey.slice(),
      blockNumber: this.blocks.height,
    };
    this.events.relayEntryRequested.emit(copyRequest(this.request));
  }

  /** Devnet: periodic requests every `relayRequestIntervalBlocks` when none is pending. */
  private onBlock(height: number): void {
    const interval = this.relay.relayRequestIntervalBlocks;
    if (interval === 0 || height % interval !== 0) return;
    if (this.request || this.groupList.length === 0) return;
    this.requestRelayEntry();
  }
}

function copyGroup(group: BeaconGroupRegisteredEvent): BeaconGroupRegisteredEvent {
  return {
    ...group,
    groupPublicKey: group.groupPublicKey.slice(),
    members: group.members.map((m) => ({ ...m })),
  };
}

function copyRequest(request: RelayEntryRequestedEvent): RelayEntryRequestedEvent {
  return {
    ...request,
    previousEntry: request.previousEntry.slice(),
    groupPublicKey: request.groupPublicKey.slice(),
  };
}
