import { CHAIN_EVENT_SCHEMAS } from './api/schemas.js';
import type {
  BeaconGroupRegisteredEvent,
  DkgResultApprovedEvent,
  DkgResultChallengedEvent,
  DkgResultSubmittedEvent,
  DkgStartedEvent,
  DkgTimedOutEvent,
  InactivityClaimedEvent,
  RelayEntryRequestedEvent,
  RelayEntrySubmittedEvent,
  RelayEntryTimedOutEvent,
  WalletRegisteredEvent,
} from './types.js';

/** The chain's events by name (as on the chain server's wire and in the local chain's event log). */
export interface ChainEvents {
  DkgStarted: DkgStartedEvent;
  DkgResultSubmitted: DkgResultSubmittedEvent;
  DkgResultChallenged: DkgResultChallengedEvent;
  DkgResultApproved: DkgResultApprovedEvent;
  DkgTimedOut: DkgTimedOutEvent;
  WalletRegistered: WalletRegisteredEvent;
  InactivityClaimed: InactivityClaimedEvent;
  BeaconDkgStarted: DkgStartedEvent;
  BeaconDkgResultSubmitted: DkgResultSubmittedEvent;
  BeaconDkgResultChallenged: DkgResultChallengedEvent;
  BeaconDkgResultApproved: DkgResultApprovedEvent;
  BeaconDkgTimedOut: DkgTimedOutEvent;
  BeaconGroupRegistered: BeaconGroupRegisteredEvent;
  RelayEntryRequested: RelayEntryRequestedEvent;
  RelayEntrySubmitted: RelayEntrySubmittedEvent;
  RelayEntryTimedOut: RelayEntryTimedOutEvent;
}

export type ChainEventName = keyof ChainEvents;

export function isChainEventName(name: string): name is ChainEventName {
  return Object.hasOwn(CHAIN_EVENT_SCHEMAS, name);
}

/** The names of all chain events, in the order of `CHAIN_EVENT_SCHEMAS`. */
export const CHAIN_EVENT_NAMES: readonly ChainEventName[] =
  Object.keys(CHAIN_EVENT_SCHEMAS).filter(isChainEventName);

/** An event as the chain logged it: `seq` counts every event of the chain from 1, `block` is its block. */
export interface LoggedEvent<K extends ChainEventName = ChainEventName> {
  readonly seq: number;
  readonly block: number;
  readonly name: K;
  readonly data: ChainEvents[K];
}
