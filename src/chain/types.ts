/**
 * The host chain as protocol code sees it. The embedded local chain and the client of a
 * chain server both implement these; DKG, signing and the beacon use nothing else.
 * Addresses are operator addresses: `0x` + 40 lower-case hex digits. The interfaces' methods
 * are declared once, in `api/chain-api.ts`; the value and event types are declared here.
 */

import type {
  blockCounterApi,
  DkgFlowApi,
  operatorRegistryApi,
  randomBeaconApi,
  walletRegistryApi,
} from './api/chain-api.js';
import type { ContractOf } from './api/definition.js';

export type Address = string;

/** Blocks: the calls declared in `blockCounterApi`, and block waits served from pushed heights. */
export interface BlockCounter extends ContractOf<typeof blockCounterApi> {
  /** Resolves once the block is reached (at once if already past); rejects when the signal aborts. */
  waitForBlock(height: number, signal?: AbortSignal): Promise<void>;
  /** Calls the listener with every new block height; returns the unsubscribe function. */
  watchBlocks(listener: (height: number) => void): () => void;
}

export type OperatorRegistry = ContractOf<typeof operatorRegistryApi>;

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

/** A registry's DKG flow (the wallet registry's and the random beacon's are alike). */
export type DkgFlow = ContractOf<DkgFlowApi>;

/** The wallet registry as a node uses it; calls are sent as the node's operator. */
export type WalletRegistry = ContractOf<typeof walletRegistryApi>;

/**
 * The DKG part of a registry, as the DKG executor uses it: the wallet registry and the random
 * beacon are both one. `onGroupRegistered` is the registry's "group created" event
 * (WalletRegistered, BeaconGroupRegistered).
 */
export interface DkgRegistry extends DkgFlow {
  onGroupRegistered(
    listener: (event: { readonly groupPublicKey: Uint8Array; readonly blockNumber: number }) => void,
  ): Unsubscribe;
}

// --- random beacon ------------------------------------------------------------------------

/** The random beacon's parameters (the group DKG's are `dkgParameters()`), in blocks. */
export interface BeaconParameters {
  readonly groupSize: number;
  readonly groupThreshold: number;
  /** A request without an entry after this many blocks may be reported as timed out. */
  readonly relayEntryTimeoutBlocks: number;
  /** Members submit the entry in turns this many blocks apart (position 0 at once). */
  readonly relayEntrySubmissionStepBlocks: number;
  /** The chain requests an entry every this many blocks when none is pending (0 = on demand only). */
  readonly relayRequestIntervalBlocks: number;
}

export interface BeaconGroupRegisteredEvent {
  /** 0-based registration order. */
  readonly groupId: number;
  /** 96-byte compressed BLS12-381 G2 group public key. */
  readonly groupPublicKey: Uint8Array;
  /** Operator of each qualified seat. */
  readonly members: readonly { readonly index: number; readonly operator: Address }[];
  readonly blockNumber: number;
}

export interface RelayEntryRequestedEvent {
  /** Increases with every request, re-requests after a timeout included. */
  readonly requestId: number;
  /** The entry to sign: the last accepted entry, or the genesis entry. */
  readonly previousEntry: Uint8Array;
  readonly groupId: number;
  readonly groupPublicKey: Uint8Array;
  readonly blockNumber: number;
}

export interface RelayEntrySubmittedEvent {
  readonly requestId: number;
  /** 48-byte compressed G1 point: the group's BLS signature over the previous entry. */
  readonly entry: Uint8Array;
  readonly previousEntry: Uint8Array;
  readonly groupId: number;
  readonly submitter: Address;
  readonly blockNumber: number;
}

export interface RelayEntryTimedOutEvent {
  readonly requestId: number;
  readonly groupId: number;
  readonly reporter: Address;
  readonly blockNumber: number;
}

/** The random beacon: its group DKG (a DkgRegistry) and relay entries. */
export type RandomBeacon = ContractOf<typeof randomBeaconApi>;

/** Everything a node needs from the chain, bound to its operator. */
export interface Chain {
  readonly operator: Address;
  readonly blocks: BlockCounter;
  readonly operatorRegistry: OperatorRegistry;
  readonly walletRegistry: WalletRegistry;
  readonly randomBeacon: RandomBeacon;
}
