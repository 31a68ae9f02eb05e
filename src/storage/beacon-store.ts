import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { BeaconGroupKeys } from '../beacon/relay-executor.js';
import type { BlsKeyShare } from '../crypto/bls-dkg.js';
import { KeyShareFiles, type TempFileRecovery } from './key-share-files.js';

/** The sealed content of a beacon group file: everything this node holds of one group. */
interface GroupFileContent {
  seed: string;
  groupPublicKey: string;
  group: string[];
  qualifiedSeats: number[];
  threshold: number;
  publicKeyShares: Record<string, string>;
  seats: { seat: number; secretShare: string }[];
}

/** A short, file-name-safe id of a beacon group: sha256 of its G2 key, 32 hex digits. */
export const beaconGroupId = (groupPublicKey: Uint8Array) => bytesToHex(sha256(groupPublicKey)).slice(0, 32);

/**
 * Beacon key shares on disk, as the wallet store keeps wallet shares:
 * `<dir>/group-<id>.json` for registered groups, `<dir>/pending-group-<id>.json` before,
 * sealed under the operator password and written atomically.
 */
export class BeaconStore {
  private readonly files: KeyShareFiles<GroupFileContent>;

  constructor(dir: string, password: string) {
    this.files = new KeyShareFiles(dir, password, 'group', 'groupId', '[0-9a-f]{32}');
  }

  /** Writes the shares of a registered group. */
  save(group: BeaconGroupKeys): Promise<string> {
    return this.files.save(beaconGroupId(group.groupPublicKey), contentOf(group));
  }

  /** Writes the shares the moment the DKG produced them, before its result is signed. */
  savePending(group: BeaconGroupKeys): Promise<string> {
    return this.files.savePending(beaconGroupId(group.groupPublicKey), contentOf(group));
  }

  /** The group was registered: its pending shares become active. */
  activate(groupPublicKey: Uint8Array): string | undefined {
    return this.files.activate(beaconGroupId(groupPublicKey));
  }

  /** The DKG registered another group or timed out: its pending shares are removed. */
  discard(groupPublicKey: Uint8Array): void {
    this.files.discard(beaconGroupId(groupPublicKey));
  }

  recoverTempFiles(): Promise<TempFileRecovery> {
    return this.files.recoverTempFiles();
  }

  async loadAll(): Promise<BeaconGroupKeys[]> {
    return this.files.loadAll(groupOf);
  }

  async loadPending(): Promise<BeaconGroupKeys[]> {
    return this.files.loadPending(groupOf);
  }
}

function contentOf(group: BeaconGroupKeys): GroupFileContent {
  const first = [...group.keys.values()][0];
  if (!first) throw new Error('a beacon group without key shares');
  return {
    seed: bytesToHex(group.seed),
    groupPublicKey: bytesToHex(group.groupPublicKey),
    group: [...group.group],
    qualifiedSeats: [...group.qualifiedSeats],
    threshold: first.threshold,
    publicKeyShares: Object.fromEntries(
      [...first.publicKeyShares].map(([seat, point]) => [String(seat), bytesToHex(point)]),
    ),
    seats: [...group.keys].map(([seat, key]) => ({ seat, secretShare: bytesToHex(key.secretShare) })),
  };
}

function groupOf(content: GroupFileContent): BeaconGroupKeys {
  const groupPublicKey = hexToBytes(content.groupPublicKey);
  const publicKeyShares = new Map(
    Object.entries(content.publicKeyShares).map(([seat, point]) => [Number(seat), hexToBytes(point)]),
  );
  return {
    seed: hexToBytes(content.seed),
    groupPublicKey,
    group: content.group,
    qualifiedSeats: content.qualifiedSeats,
    keys: new Map(
      content.seats.map((s): [number, BlsKeyShare] => [
        s.seat,
        {
          seat: s.seat,
          secretShare: hexToBytes(s.secretShare),
          groupPublicKey,
          threshold: content.threshold,
          publicKeyShares,
        },
      ]),
    ),
  };
}
