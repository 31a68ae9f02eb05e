import { randomBytes } from 'node:crypto';
import type { ChainEventName, ChainEvents } from '../events.js';
import {
  type Address,
  type BlockCounter,
  type Chain,
  ChainError,
  type DkgParameters,
  type RandomBeacon,
  type WalletRegistry,
} from '../types.js';
import type { AsyncEmitter } from './async-emitter.js';
import { BlockEngine, type BlockEngineState } from './block-engine.js';
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
    const registry = this.registry;
    const blocks = this.blocks;
    const transaction = async (run: () => void): Promise<void> => {
      this.ensureOpen();
      run();
    };
    const blockCounter: BlockCounter = {
      currentBlock: () => blocks.currentBlock(),
      waitForBlock: (height, signal) => blocks.waitForBlock(height, signal),
      watchBlocks: (listener) => blocks.watchBlocks(listener),
      blockHash: (height) => blocks.blockHash(height),
    };
    const walletRegistry: WalletRegistry = {
      dkgParameters: async () => ({ ...registry.params }),
      dkgState: async () => registry.state(),
      selectGroup: async (seed) => registry.selectGroup(seed),
      onDkgStarted: (listener) => registry.events.dkgStarted.on(listener),
      onDkgResultSubmitted: (listener) => registry.events.dkgResultSubmitted.on(listener),
      onDkgResultChallenged: (listener) => registry.events.dkgResultChallenged.on(listener),
      onDkgResultApproved: (listener) => registry.events.dkgResultApproved.on(listener),
      onDkgTimedOut: (listener) => registry.events.dkgTimedOut.on(listener),
      onWalletRegistered: (listener) => registry.events.walletRegistered.on(listener),
      isDkgResultValid: async (result) => registry.validity(result),
      submitDkgResult: (result) => transaction(() => registry.submit(sender, result)),
      challengeDkgResult: (result) => transaction(() => registry.challenge(sender, result)),
      approveDkgResult: (result) => transaction(() => registry.approve(sender, result)),
      notifyDkgTimeout: () => transaction(() => registry.notifyTimeout()),
      registeredWallets: async () => registry.registeredWallets(),
      requestNewWallet: () => transaction(() => registry.requestNewWallet()),
      inactivityClaimNonce: async (walletId) => registry.inactivityClaimNonce(walletId),
      submitInactivityClaim: (claim) => transaction(() => registry.claimInactivity(sender, claim)),
      onInactivityClaimed: (listener) => registry.events.inactivityClaimed.on(listener),
    };
    const beacon = this.beacon;
    const randomBeacon: RandomBeacon = {
      dkgParameters: async () => ({ ...beacon.dkg.params }),
      dkgState: async () => beacon.dkg.state(),
      selectGroup: async (seed) => beacon.dkg.selectGroup(seed),
      onDkgStarted: (listener) => beacon.dkg.events.dkgStarted.on(listener),
      onDkgResultSubmitted: (listener) => beacon.dkg.events.dkgResultSubmitted.on(listener),
      onDkgResultChallenged: (listener) => beacon.dkg.events.dkgResultChallenged.on(listener),
      onDkgResultApproved: (listener) => beacon.dkg.events.dkgResultApproved.on(listener),
      onDkgTimedOut: (listener) => beacon.dkg.events.dkgTimedOut.on(listener),
      onGroupRegistered: (listener) => beacon.events.groupRegistered.on(listener),
      isDkgResultValid: async (result) => beacon.dkg.validity(result),
      submitDkgResult: (result) => transaction(() => beacon.dkg.submit(sender, result)),
      challengeDkgResult: (result) => transaction(() => beacon.dkg.challenge(sender, result)),
      approveDkgResult: (result) => transaction(() => beacon.dkg.approve(sender, result)),
      notifyDkgTimeout: () => transaction(() => beacon.dkg.notifyTimeout()),
      beaconParameters: async () => beacon.params,
      groups: async () => beacon.groups(),
      requestNewGroup: () => transaction(() => beacon.dkg.requestNewWallet()),
      requestRelayEntry: () => transaction(() => beacon.requestRelayEntry()),
      currentRelayRequest: async () => beacon.currentRequest(),
      lastEntry: async () => beacon.lastEntry(),
      submitRelayEntry: (requestId, entry) =>
        transaction(() => beacon.submitRelayEntry(sender, requestId, entry)),
      reportRelayEntryTimeout: (requestId) =>
        transaction(() => beacon.reportRelayEntryTimeout(sender, requestId)),
      onRelayEntryRequested: (listener) => beacon.events.relayEntryRequested.on(listener),
      onRelayEntrySubmitted: (listener) => beacon.events.relayEntrySubmitted.on(listener),
      onRelayEntryTimedOut: (listener) => beacon.events.relayEntryTimedOut.on(listener),
    };
    return {
      operator: sender,
      blocks: blockCounter,
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
    const record = <K extends ChainEventName>(name: K, emitter: AsyncEmitter<ChainEvents[K]>) =>
      emitter.on((data) => this.events.append(name, data, data.blockNumber));
    for (const [prefix, flow] of [
      ['', this.registry.events],
      ['Beacon', this.beacon.dkg.events],
    ] as const) {
      record(`${prefix}DkgStarted`, flow.dkgStarted);
      record(`${prefix}DkgResultSubmitted`, flow.dkgResultSubmitted);
      record(`${prefix}DkgResultChallenged`, flow.dkgResultChallenged);
      record(`${prefix}DkgResultApproved`, flow.dkgResultApproved);
      record(`${prefix}DkgTimedOut`, flow.dkgTimedOut);
    }
    record('WalletRegistered', this.registry.events.walletRegistered);
    record('InactivityClaimed', this.registry.events.inactivityClaimed);
    record('BeaconGroupRegistered', this.beacon.events.groupRegistered);
    record('RelayEntryRequested', this.beacon.events.relayEntryRequested);
    record('RelayEntrySubmitted', this.beacon.events.relayEntrySubmitted);
    record('RelayEntryTimedOut', this.beacon.events.relayEntryTimedOut);
  }

  private ensureOpen(): void {
    if (this.closed) throw new ChainError('local chain is closed');
  }
}
