/**
 * The host chain as protocol code sees it. The embedded local chain and the client of a
 * chain server both implement these; DKG, signing and the beacon use nothing else.
 * Addresses are operator addresses: `0x` + 40 lower-case hex digits.
 */

export type Address = string;

export interface BlockCounter {
  currentBlock(): Promise<number>;
  /** Resolves once the block is reached (at once if already past); rejects when the signal aborts. */
  waitForBlock(height: number, signal?: AbortSignal): Promise<void>;
  /** Calls the listener with every new block height; returns the unsubscribe function. */
  watchBlocks(listener: (height: number) => void): () => void;
  /** Hash of a past block (blocks are chained: hash(n) = sha256(hash(n-1) | n)). */
  blockHash(height: number): Promise<Uint8Array>;
}

export interface OperatorRegistry {
  /** Registered operators and their stakes (selection weight). */
  operators(): Promise<{ address: Address; stake: bigint }[]>;
}

/** On-chain DKG parameters (the wallet registry's), in blocks. */
export interface DkgParameters {
  readonly groupSize: number;
  readonly groupQuorum: number;
  readonly honestThreshold: number;
  /** After DkgStarted, a result must be submitted within this many blocks or DKG times out. */
  readonly resultSubmissionTimeoutBlocks: number;
  /** Member at position p may submit from `start + p · step` (start = DkgStarted block + offchain delay). */
  readonly resultSubmissionStartOffsetBlocks: number;
  readonly resultSubmissionStepBlocks: number;
  /** A submitted result can be challenged for this many blocks. */
  readonly resultChallengePeriodBlocks: number;
  /** After the challenge period only the submitter may approve for this many blocks; then anyone. */
  readonly submitterPrecedencePeriodBlocks: number;
}

export type DkgState = 'idle' | 'awaiting_result' | 'challenge';

/** A DKG result as submitted to the wallet registry. Member indices are 1-based seats. */
export interface DkgResult {
  readonly seed: Uint8Array;
  readonly submitterMemberIndex: number;
  /** 33-byte compressed secp256k1 group public key (its x coordinate is the BIP-340 key). */
  readonly groupPublicKey: Uint8Array;
  /** Seats excluded from the wallet, ascending. */
  readonly misbehavedMembersIndices: readonly number[];
  /** Seats whose operators signed the result hash, ascending, one signature each. */
  readonly signingMembersIndices: readonly number[];
  /** 64-byte operator-key signatures over the result hash, aligned with signingMembersIndices. */
  readonly signatures: readonly Uint8Array[];
}

export interface DkgStartedEvent {
  readonly seed: Uint8Array;
  readonly blockNumber: number;
}
export interface DkgResultSubmittedEvent {
  readonly resultHash: Uint8Array;
  readonly result: DkgResult;
  readonly blockNumber: number;
}
export interface DkgResultChallengedEvent {
  readonly resultHash: Uint8Array;
  readonly challenger: Address;
  readonly reason: string;
  readonly blockNumber: number;
}
export interface DkgResultApprovedEvent {
  readonly resultHash: Uint8Array;
  readonly approver: Address;
  readonly blockNumber: number;
}
export interface DkgTimedOutEvent {
  readonly seed: Uint8Array;
  readonly blockNumber: number;
}
export interface WalletRegisteredEvent {
  /** hex of the x-only group public key */
  readonly walletId: string;
  readonly groupPublicKey: Uint8Array;
  /** Operator of each seat of the wallet, in seat order, excluded seats left out. */
  readonly members: readonly { readonly index: number; readonly operator: Address }[];
  readonly blockNumber: number;
}

/**
 * Wallet members' claim that some seats were inactive (after failed heartbeats). Signed by
 * the operators of at least `honestThreshold` seats, over `inactivityClaimHash`.
 */
export interface InactivityClaim {
  /** hex of the wallet's x-only group public key */
  readonly walletId: string;
  /** The wallet's claim nonce on chain; a claim is accepted once per nonce. */
  readonly nonce: number;
  /** Seats claimed inactive, ascending. */
  readonly inactiveMembersIndices: readonly number[];
  readonly heartbeatFailed: boolean;
  /** Seats whose operators signed, ascending, aligned with signatures. */
  readonly signingMembersIndices: readonly number[];
  readonly signatures: readonly Uint8Array[];
}
export interface InactivityClaimedEvent {
  readonly walletId: string;
  readonly nonce: number;
  readonly inactiveMembersIndices: readonly number[];
  readonly heartbeatFailed: boolean;
  readonly notifier: Address;
  readonly blockNumber: number;
}

export type Unsubscribe = () => void;

/** A transaction the chain refused; `reason` says why in words. */
export class ChainError extends Error {
  override name = 'ChainError';
}

/** The wallet registry as a node uses it; calls are sent as the node's operator. */
export interface WalletRegistry {
  dkgParameters(): Promise<DkgParameters>;
  dkgState(): Promise<DkgState>;
  /** Operators of the group selected for a seed, one per seat (seat i at index i-1). */
  selectGroup(seed: Uint8Array): Promise<Address[]>;
  onDkgStarted(listener: (event: DkgStartedEvent) => void): Unsubscribe;
  onDkgResultSubmitted(listener: (event: DkgResultSubmittedEvent) => void): Unsubscribe;
  onDkgResultChallenged(listener: (event: DkgResultChallengedEvent) => void): Unsubscribe;
  onDkgResultApproved(listener: (event: DkgResultApprovedEvent) => void): Unsubscribe;
  onDkgTimedOut(listener: (event: DkgTimedOutEvent) => void): Unsubscribe;
  onWalletRegistered(listener: (event: WalletRegisteredEvent) => void): Unsubscribe;
  /** The same validation a challenge runs; `reason` says what is wrong. */
  isDkgResultValid(result: DkgResult): Promise<{ valid: boolean; reason?: string }>;
  submitDkgResult(result: DkgResult): Promise<void>;
  challengeDkgResult(result: DkgResult): Promise<void>;
  approveDkgResult(result: DkgResult): Promise<void>;
  notifyDkgTimeout(): Promise<void>;
  registeredWallets(): Promise<WalletRegisteredEvent[]>;
  /** The wallet owner's request (the Bridge's, on mainnet): starts a DKG. */
  requestNewWallet(): Promise<void>;
  /** The nonce the wallet's next inactivity claim must carry. */
  inactivityClaimNonce(walletId: string): Promise<number>;
  /** Sent by a wallet member; refused when the nonce moved on or the signatures fall short. */
  submitInactivityClaim(claim: InactivityClaim): Promise<void>;
  onInactivityClaimed(listener: (event: InactivityClaimedEvent) => void): Unsubscribe;
}

/** Everything a node needs from the chain, bound to its operator. */
export interface Chain {
  readonly operator: Address;
  readonly blocks: BlockCounter;
  readonly operatorRegistry: OperatorRegistry;
  readonly walletRegistry: WalletRegistry;
}
