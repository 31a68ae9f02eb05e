import { randomBytes } from 'node:crypto';
import { type DkgFlowApi, randomBeaconApi, walletRegistryApi } from '../api/chain-api.js';
import type { MethodsOf } from '../api/definition.js';
import { type EventSource, subscriptionsOf } from '../api/subscriptions.js';
import { CHAIN_EVENT_NAMES, type ChainEventName, type ChainEvents } from '../events.js';
import {
  type Address,
  type Chain,
  ChainError,
  type DkgParameters,
  type RandomBeacon,
  type WalletRegistry,
} from '../types.js';
import type { AsyncEmitter } from './async-emitter.js';
import { BlockEngine, type BlockEngineState } from './block-engine.js';
import type { DkgRegistryContract } from './dkg-registry-contract.js';
import { DEFAULT_EVENT_LOG_BOUNDS, EventLog, type EventLogBounds, type EventLogState } from './event-log.js';
import {
  RandomBeaconContract,
  type RandomBeaconState,
  type RelayParameters,
} from './random-beacon-contract.js';
import { SortitionPool, type SortitionPoolState } from './sortition-pool.js';
import { WalletRegistryContract, type WalletRegistryState } from './wallet-registry-contract.js';

/** Everything a local chain needs to continue after a restart (its parameters come from its options). */
export interface LocalChainState {
  /** Tells this chain from another one started afresh (clients' event cursors name it). */
  readonly chainId: string;
  readonly blocks: BlockEngineState;
  readonly pool: SortitionPoolState;
  readonly walletRegistry: WalletRegistryState;
  readonly beacon: RandomBeaconState;
  readonly events: EventLogState;
}

export interface LocalChainOptions {
  /** One block every this many ms; 0 = blocks only on `blocks.mine()` (tests). */
  readonly blockIntervalMs: number;
  readonly dkg: DkgParameters;
  /** The random beacon's group DKG parameters; default: the wallet DKG's. */
  readonly beaconDkg?: DkgParameters;
  /** The random beacon's relay parameters; default: DEFAULT_RELAY_PARAMETERS. */
  readonly relay?: Partial<RelayParameters>;
  /** Source of DKG seeds (32 bytes); default: sha256 of the start block's hash and a counter. */
  readonly random?: () => Uint8Array;
  /** Errors thrown by event or block listeners; default: a process warning. */
  readonly onListenerError?: (error: unknown) => void;
  /** Largest stake one operator may register; default DEFAULT_MAX_STAKE. */
  readonly maxStake?: bigint;
  /** How many of the latest block hashes are kept; default DEFAULT_KEPT_BLOCK_HASHES. */
  readonly keptBlockHashes?: number;
  /** Bounds of the event log kept for clients that catch up; default DEFAULT_EVENT_LOG_BOUNDS. */
  readonly eventLog?: Partial<EventLogBounds>;
  /** A saved state to continue from (see `snapshot()`). */
  readonly state?: LocalChainState;
}

export const DEFAULT_RELAY_PARAMETERS: RelayParameters = {
  relayEntryTimeoutBlocks: 64,
  relayEntrySubmissionStepBlocks: 1,
  relayRequestIntervalBlocks: 0,
};

const ADDRESS = /^0x[0-9a-f]{40}$/;

function warnListenerError(error: unknown): void {
  process.emitWarning(
    `local chain listener threw: ${error instanceof Error ? error.message : String(error)}`,
  );
}

type LocalEmitters = { readonly [K in ChainEventName]: AsyncEmitter<ChainEvents[K]> };

function emittersOf(registry: WalletRegistryContract, beacon: RandomBeaconContract): LocalEmitters {
  return {
    DkgStarted: registry.dkg.events.dkgStarted,
    DkgResultSubmitted: registry.dkg.events.dkgResultSubmitted,
    DkgResultChallenged: registry.dkg.events.dkgResultChallenged,
    DkgResultApproved: registry.dkg.events.dkgResultApproved,
    DkgTimedOut: registry.dkg.events.dkgTimedOut,
    WalletRegistered: registry.events.walletRegistered,
    InactivityClaimed: registry.events.inactivityClaimed,
    BeaconDkgStarted: beacon.dkg.events.dkgStarted,
    BeaconDkgResultSubmitted: beacon.dkg.events.dkgResultSubmitted,
    BeaconDkgResultChallenged: beacon.dkg.events.dkgResultChallenged,
    BeaconDkgResultApproved: beacon.dkg.events.dkgResultApproved,
    BeaconDkgTimedOut: beacon.dkg.events.dkgTimedOut,
    BeaconGroupRegistered: beacon.events.groupRegistered,
    RelayEntryRequested: beacon.events.relayEntryRequested,
    RelayEntrySubmitted: beacon.events.relayEntrySubmitted,
    RelayEntryTimedOut: beacon.events.relayEntryTimedOut,
  };
}

/** A DKG registry's flow (the wallet registry's or the beacon's), its transactions sent by `sender`. */
function dkgFlowMethods(
  contract: DkgRegistryContract,
  sender: Address,
  transaction: (run: () => void) => Promise<void>,
): MethodsOf<DkgFlowApi> {
  return {
    dkgParameters: async () => ({ ...contract.params }),
    dkgState: async () => contract.state(),
    selectGroup: async (seed) => contract.selectGroup(seed),
    isDkgResultValid: async (result) => contract.validity(result),
    submitDkgResult: (result) => transaction(() => contract.submit(sender, result)),
    challengeDkgResult: (result) => transaction(() => contract.challenge(sender, result)),
    approveDkgResult: (result) => transaction(() => contract.approve(sender, result)),
    notifyDkgTimeout: () => transaction(() => contract.notifyTimeout()),
  };
}

/**
 * An embedded chain in one process: blocks, a stake-weighted operator pool and the wallet
 * registry's DKG flow. Nodes get a `Chain` bound to their operator from `connect`.
 */
export class LocalChain {
  readonly blocks: BlockEngine;
  /** Every event of the chain, recent ones kept, in order (what a chain server replays). */
  readonly events: EventLog;
  readonly chainId: string;
  private readonly pool: SortitionPool;
  private readonly registry: WalletRegistryContract;
  private readonly beacon: RandomBeaconContract;
  /** The contract emitter behind each chain event. */
  private readonly emitters: LocalEmitters;
  private readonly operatorListeners = new Set<{ readonly listener: (address: Address) => void }>();
  private closed = false;

  constructor(options: LocalChainOptions) {
    const onListenerError = options.onListenerError ?? warnListenerError;
    this.pool = new SortitionPool(options.maxStake);
    this.events = new EventLog({ ...DEFAULT_EVENT_LOG_BOUNDS, ...options.eventLog }, onListenerError);
    this.blocks = new BlockEngine(options.blockIntervalMs, onListenerError, options.keptBlockHashes);
    this.registry = new WalletRegistryContract(
      this.blocks,
      this.pool,
      { ...options.dkg },
      options.random,
      onListenerError,
    );
    this.beacon = new RandomBeaconContract(
      this.blocks,
      this.pool,
      { ...(options.beaconDkg ?? options.dkg) },
      { ...DEFAULT_RELAY_PARAMETERS, ...options.relay },
      onListenerError,
    );
    this.emitters = emittersOf(this.registry, this.beacon);
    this.chainId = options.state?.chainId ?? randomBytes(16).toString('hex');
    if (options.state) this.restore(options.state);
    this.recordEvents();
  }

  /** Stakes an operator identified by its 33-byte compressed public key; returns its address. */
  registerOperator(publicKey: Uint8Array, stake: bigint): Address {
    this.ensureOpen();
    const address = this.pool.register(publicKey, stake);
    for (const { listener } of [...this.operatorListeners]) listener(address);
    return address;
  }

  /** Called synchronously after each operator registration. */
  onOperatorRegistered(listener: (address: Address) => void): () => void {
    const entry = { listener };
    this.operatorListeners.add(entry);
    return () => {
      this.operatorListeners.delete(entry);
    };
  }

  snapshot(): LocalChainState {
    return {
      chainId: this.chainId,
      blocks: this.blocks.snapshot(),
      pool: this.pool.snapshot(),
      walletRegistry: this.registry.snapshot(),
      beacon: this.beacon.snapshot(),
      events: this.events.snapshot(),
    };
  }

  /** The chain as seen by `operator`: its transactions are sent from that address. */
  connect(operator: Address): Chain {
    const sender = operator.toLowerCase();
    if (!ADDRESS.test(sender)) throw new ChainError(`not an operator address: ${operator}`);
    const { registry, beacon, blocks } = this;
    const transaction = async (run: () => void): Promise<void> => {
      this.ensureOpen();
      run();
    };
    const events: EventSource = (name, listener) => this.emitters[name].on(listener);
    const walletRegistry: WalletRegistry = {
      ...subscriptionsOf(walletRegistryApi, events),
      ...dkgFlowMethods(registry.dkg, sender, transaction),
      registeredWallets: async () => registry.registeredWallets(),
      requestNewWallet: () => transaction(() => registry.dkg.requestNewGroup()),
      inactivityClaimNonce: async (walletId) => registry.inactivityClaimNonce(walletId),
      submitInactivityClaim: (claim) => transaction(() => registry.claimInactivity(sender, claim)),
    };
    const randomBeacon: RandomBeacon = {
      ...subscriptionsOf(randomBeaconApi, events),
      ...dkgFlowMethods(beacon.dkg, sender, transaction),
      beaconParameters: async () => beacon.params,
      groups: async () => beacon.groups(),
      requestNewGroup: () => transaction(() => beacon.dkg.requestNewGroup()),
      requestRelayEntry: () => transaction(() => beacon.requestRelayEntry()),
      currentRelayRequest: async () => beacon.currentRequest(),
      lastEntry: async () => beacon.lastEntry(),
      submitRelayEntry: (requestId, entry) =>
        transaction(() => beacon.submitRelayEntry(sender, requestId, entry)),
      reportRelayEntryTimeout: (requestId) =>
        transaction(() => beacon.reportRelayEntryTimeout(sender, requestId)),
    };
    return {
      operator: sender,
      blocks: {
        currentBlock: () => blocks.currentBlock(),
        waitForBlock: (height, signal) => blocks.waitForBlock(height, signal),
        watchBlocks: (listener) => blocks.watchBlocks(listener),
        blockHash: (height) => blocks.blockHash(height),
      },
      operatorRegistry: { operators: async () => this.pool.operators() },
      walletRegistry,
      randomBeacon,
    };
  }

  /** Stops block production, rejects pending block waits and refuses further transactions. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.blocks.close();
    this.registry.close();
    this.beacon.close();
    this.events.clear();
    this.operatorListeners.clear();
  }

  private restore(state: LocalChainState): void {
    this.blocks.restore(state.blocks);
    this.pool.restore(state.pool);
    this.registry.restore(state.walletRegistry);
    this.beacon.restore(state.beacon);
    this.events.restore(state.events);
  }

  /** Logs every event the chain's contracts emit, under its wire name, at its block. */
  private recordEvents(): void {
    for (const name of CHAIN_EVENT_NAMES) this.record(name);
  }

  private record<K extends ChainEventName>(name: K): void {
    this.emitters[name].on((data) => this.events.append(name, data, data.blockNumber));
  }

  private ensureOpen(): void {
    if (this.closed) throw new ChainError('local chain is closed');
  }
}
