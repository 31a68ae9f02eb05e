import { z } from 'zod';
import { arg, type ContractApi, event, method } from './definition.js';
import {
  beaconGroupRegistered,
  beaconParameters,
  bytes,
  dkgParameters,
  dkgResult,
  dkgResultValidity,
  dkgState,
  inactivityClaim,
  nothing,
  operatorStakes,
  relayEntryRequested,
  address,
  walletRegistered,
} from './schemas.js';

/**
 * The chain's interfaces, each declared once as a table (see `definition.ts`): `types.ts`
 * derives the interfaces protocol code uses from these, the chain server dispatches by them,
 * the chain client calls through them, and the local chain implements their methods.
 * Transactions are sent as the connected operator.
 */

/** The block counter's calls; waiting for and watching blocks each side does from pushed blocks. */
export const blockCounterApi = {
  currentBlock: method('currentBlock', [], z.number().int()),
  /** Hash of a past block (blocks are chained: hash(n) = sha256(hash(n-1) | n)). */
  blockHash: method('blockHash', [arg('height', z.number())], bytes),
} satisfies ContractApi;

export const operatorRegistryApi = {
  /** Registered operators and their stakes (selection weight). */
  operators: method('operators', [], operatorStakes),
} satisfies ContractApi;

/**
 * A registry's DKG flow (the wallet registry's and the random beacon's are alike). The
 * beacon's methods and events carry a `beacon`/`Beacon` prefix on the wire.
 */
function dkgFlowApi(prefix: '' | 'Beacon') {
  const rpcName = (name: string) => (prefix ? `beacon${name[0]!.toUpperCase()}${name.slice(1)}` : name);
  return {
    dkgParameters: method(rpcName('dkgParameters'), [], dkgParameters),
    dkgState: method(rpcName('dkgState'), [], dkgState),
    /** Operators of the group selected for a seed, one per seat (seat i at index i-1). */
    selectGroup: method(rpcName('selectGroup'), [arg('seed', bytes)], z.array(address)),
    onDkgStarted: event(`${prefix}DkgStarted`),
    onDkgResultSubmitted: event(`${prefix}DkgResultSubmitted`),
    onDkgResultChallenged: event(`${prefix}DkgResultChallenged`),
    onDkgResultApproved: event(`${prefix}DkgResultApproved`),
    onDkgTimedOut: event(`${prefix}DkgTimedOut`),
    /** The same validation a challenge runs; `reason` says what is wrong. */
    isDkgResultValid: method(rpcName('isDkgResultValid'), [arg('result', dkgResult)], dkgResultValidity),
    submitDkgResult: method(rpcName('submitDkgResult'), [arg('result', dkgResult)], nothing),
    challengeDkgResult: method(rpcName('challengeDkgResult'), [arg('result', dkgResult)], nothing),
    approveDkgResult: method(rpcName('approveDkgResult'), [arg('result', dkgResult)], nothing),
    notifyDkgTimeout: method(rpcName('notifyDkgTimeout'), [], nothing),
  } satisfies ContractApi;
}

export type DkgFlowApi = ReturnType<typeof dkgFlowApi>;

/** The wallet registry as a node uses it. Its DKG's "group created" event is WalletRegistered. */
export const walletRegistryApi = {
  ...dkgFlowApi(''),
  onGroupRegistered: event('WalletRegistered'),
  onWalletRegistered: event('WalletRegistered'),
  registeredWallets: method('registeredWallets', [], z.array(walletRegistered)),
  /** The wallet owner's request (the Bridge's, on mainnet): starts a DKG. */
  requestNewWallet: method('requestNewWallet', [], nothing),
  /** The nonce the wallet's next inactivity claim must carry. */
  inactivityClaimNonce: method('inactivityClaimNonce', [arg('walletId', z.string())], z.number().int()),
  /** Sent by a wallet member; refused when the nonce moved on or the signatures fall short. */
  submitInactivityClaim: method('submitInactivityClaim', [arg('claim', inactivityClaim)], nothing),
  onInactivityClaimed: event('InactivityClaimed'),
} satisfies ContractApi;

/** The random beacon: its group DKG and relay entries. */
export const randomBeaconApi = {
  ...dkgFlowApi('Beacon'),
  onGroupRegistered: event('BeaconGroupRegistered'),
  beaconParameters: method('beaconParameters', [], beaconParameters),
  groups: method('beaconGroups', [], z.array(beaconGroupRegistered)),
  /** Starts a beacon group DKG (on devnets, by anyone). */
  requestNewGroup: method('requestNewBeaconGroup', [], nothing),
  /** Requests a relay entry from a group chosen by the last entry (on devnets, by anyone). */
  requestRelayEntry: method('requestRelayEntry', [], nothing),
  currentRelayRequest: method(
    'currentRelayRequest',
    [],
    relayEntryRequested.nullable().transform((request) => request ?? undefined),
  ),
  /** The last accepted entry (the genesis entry before the first). */
  lastEntry: method('lastRelayEntry', [], bytes),
  submitRelayEntry: method(
    'submitRelayEntry',
    [arg('requestId', z.number().int()), arg('entry', bytes)],
    nothing,
  ),
  reportRelayEntryTimeout: method('reportRelayEntryTimeout', [arg('requestId', z.number().int())], nothing),
  onRelayEntryRequested: event('RelayEntryRequested'),
  onRelayEntrySubmitted: event('RelayEntrySubmitted'),
  onRelayEntryTimedOut: event('RelayEntryTimedOut'),
} satisfies ContractApi;
