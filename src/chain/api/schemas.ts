import { z } from 'zod';
import type { ChainEventName, ChainEvents } from '../events.js';
import type {
  Address,
  BeaconGroupRegisteredEvent,
  BeaconParameters,
  DkgParameters,
  DkgResult,
  DkgState,
  InactivityClaim,
  RelayEntryRequestedEvent,
  WalletRegisteredEvent,
} from '../types.js';

/**
 * Schemas of the values chain methods take and return and of the chain's events, each
 * checked against its type in `types.ts`. Values arrive decoded from tagged JSON
 * (Uint8Array and bigint restored).
 */

export const bytes: z.ZodType<Uint8Array> = z.instanceof(Uint8Array);
export const seat = z.number().int();
export const blockNumber = z.number().int();
export const address: z.ZodType<Address> = z.string();
/** The answer of a call that returns nothing (`null` on the wire). */
export const nothing = z.null().transform((): void => undefined);

export const dkgParameters: z.ZodType<DkgParameters> = z.object({
  groupSize: z.number().int(),
  groupQuorum: z.number().int(),
  honestThreshold: z.number().int(),
  resultSubmissionTimeoutBlocks: z.number().int(),
  resultSubmissionStartOffsetBlocks: z.number().int(),
  resultSubmissionStepBlocks: z.number().int(),
  resultChallengePeriodBlocks: z.number().int(),
  submitterPrecedencePeriodBlocks: z.number().int(),
});

export const dkgState: z.ZodType<DkgState> = z.enum(['idle', 'awaiting_result', 'challenge']);

export const dkgResult: z.ZodType<DkgResult> = z.object({
  seed: bytes,
  submitterMemberIndex: seat,
  groupPublicKey: bytes,
  misbehavedMembersIndices: z.array(seat),
  signingMembersIndices: z.array(seat),
  signatures: z.array(bytes),
});

export const dkgResultValidity = z.object({ valid: z.boolean(), reason: z.string().optional() });

export const inactivityClaim: z.ZodType<InactivityClaim> = z.object({
  walletId: z.string().regex(/^[0-9a-f]{64}$/),
  nonce: z.number().int().nonnegative(),
  inactiveMembersIndices: z.array(seat),
  heartbeatFailed: z.boolean(),
  signingMembersIndices: z.array(seat),
  signatures: z.array(bytes),
});

export const operatorStakes = z.array(z.object({ address, stake: z.bigint() }));

const members = z.array(z.object({ index: seat, operator: address }));

export const beaconParameters: z.ZodType<BeaconParameters> = z.object({
  groupSize: z.number().int(),
  groupThreshold: z.number().int(),
  relayEntryTimeoutBlocks: z.number().int(),
  relayEntrySubmissionStepBlocks: z.number().int(),
  relayRequestIntervalBlocks: z.number().int(),
});

const dkgStarted = z.object({ seed: bytes, blockNumber });
const dkgTimedOut = z.object({ seed: bytes, blockNumber });
const dkgResultSubmitted = z.object({ resultHash: bytes, result: dkgResult, blockNumber });
const dkgResultChallenged = z.object({
  resultHash: bytes,
  challenger: address,
  reason: z.string(),
  blockNumber,
});
const dkgResultApproved = z.object({ resultHash: bytes, approver: address, blockNumber });

export const walletRegistered: z.ZodType<WalletRegisteredEvent> = z.object({
  walletId: z.string(),
  groupPublicKey: bytes,
  members,
  blockNumber,
});

export const beaconGroupRegistered: z.ZodType<BeaconGroupRegisteredEvent> = z.object({
  groupId: z.number().int(),
  groupPublicKey: bytes,
  members,
  blockNumber,
});

export const relayEntryRequested: z.ZodType<RelayEntryRequestedEvent> = z.object({
  requestId: z.number().int(),
  previousEntry: bytes,
  groupId: z.number().int(),
  groupPublicKey: bytes,
  blockNumber,
});

/** Every chain event by name: the chain's event list. */
export const CHAIN_EVENT_SCHEMAS: { readonly [K in ChainEventName]: z.ZodType<ChainEvents[K]> } = {
  DkgStarted: dkgStarted,
  DkgResultSubmitted: dkgResultSubmitted,
  DkgResultChallenged: dkgResultChallenged,
  DkgResultApproved: dkgResultApproved,
  DkgTimedOut: dkgTimedOut,
  WalletRegistered: walletRegistered,
  InactivityClaimed: z.object({
    walletId: z.string(),
    nonce: z.number().int(),
    inactiveMembersIndices: z.array(seat),
    heartbeatFailed: z.boolean(),
    notifier: address,
    blockNumber,
  }),
  BeaconDkgStarted: dkgStarted,
  BeaconDkgResultSubmitted: dkgResultSubmitted,
  BeaconDkgResultChallenged: dkgResultChallenged,
  BeaconDkgResultApproved: dkgResultApproved,
  BeaconDkgTimedOut: dkgTimedOut,
  BeaconGroupRegistered: beaconGroupRegistered,
  RelayEntryRequested: relayEntryRequested,
  RelayEntrySubmitted: z.object({
    requestId: z.number().int(),
    entry: bytes,
    previousEntry: bytes,
    groupId: z.number().int(),
    submitter: address,
    blockNumber,
  }),
  RelayEntryTimedOut: z.object({
    requestId: z.number().int(),
    groupId: z.number().int(),
    reporter: address,
    blockNumber,
  }),
};
