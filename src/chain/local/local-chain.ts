import {
  type Address,
  type BlockCounter,
  type Chain,
  ChainError,
  type DkgParameters,
  type WalletRegistry,
} from '../types.js';
import { BlockEngine } from './block-engine.js';
import { SortitionPool } from './sortition-pool.js';
import { WalletRegistryContract } from './wallet-registry-contract.js';

export interface LocalChainOptions {
  /** One block every this many ms; 0 = blocks only on `blocks.mine()` (tests). */
  readonly blockIntervalMs: number;
  readonly dkg: DkgParameters;
  /** Source of DKG seeds (32 bytes); default: sha256 of the start block's hash and a counter. */
  readonly random?: () => Uint8Array;
  /** Errors thrown by event or block listeners; default: a process warning. */
  readonly onListenerError?: (error: unknown) => void;
}

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
  private readonly pool = new SortitionPool();
  private readonly registry: WalletRegistryContract;
  private closed = false;

  constructor(options: LocalChainOptions) {
    const onListenerError = options.onListenerError ?? warnListenerError;
    this.blocks = new BlockEngine(options.blockIntervalMs, onListenerError);
    this.registry = new WalletRegistryContract(
      this.blocks,
      this.pool,
      { ...options.dkg },
      options.random,
      onListenerError,
    );
  }

  /** Stakes an operator identified by its 33-byte compressed public key; returns its address. */
  registerOperator(publicKey: Uint8Array, stake: bigint): Address {
    this.ensureOpen();
    return this.pool.register(publicKey, stake);
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
    return {
      operator: sender,
      blocks: blockCounter,
      operatorRegistry: { operators: async () => this.pool.operators() },
      walletRegistry,
    };
  }

  /** Stops block production, rejects pending block waits and refuses further transactions. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.blocks.close();
    this.registry.close();
  }

  private ensureOpen(): void {
    if (this.closed) throw new ChainError('local chain is closed');
  }
}
