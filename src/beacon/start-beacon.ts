import { bytesToHex } from '@noble/hashes/utils.js';
import type { SeatsWithoutKeyShare } from '../dkg/key-custody.js';
import { beaconGroupId } from '../storage/beacon-store.js';
import { Beacon, type BeaconOptions } from './beacon.js';
import type { BeaconGroupKeys } from './relay-executor.js';

/** One beacon group in the `/diagnostics` document. */
export interface BeaconGroupDiagnostics {
  readonly group_id: string;
  readonly group_public_key: string;
  readonly seats: number[];
}

export interface RunningBeacon {
  /** The groups this node holds seats of: those loaded at start, then each newly registered one. */
  readonly groups: readonly BeaconGroupKeys[];
  groupDiagnostics(): BeaconGroupDiagnostics[];
  /** Seats of registered beacon groups this operator holds without a key share. */
  seatsWithoutKeyShare(): SeatsWithoutKeyShare[];
  stop(): void;
}

/**
 * Starts the node's random beacon: relay entries for the groups it holds (those from the
 * keystore rejoin at once), the custody of new groups' key shares and the beacon group DKG.
 */
export function startBeacon(options: BeaconOptions): RunningBeacon {
  const beacon = new Beacon(options);
  beacon.start();
  return {
    groups: beacon.groups,
    groupDiagnostics: () =>
      beacon.groups.map((group) => ({
        group_id: beaconGroupId(group.groupPublicKey),
        group_public_key: bytesToHex(group.groupPublicKey),
        seats: [...group.keys.keys()],
      })),
    seatsWithoutKeyShare: () => beacon.custody.seatsWithoutKeyShare(),
    stop: () => beacon.stop(),
  };
}
