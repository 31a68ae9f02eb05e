import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { BeaconGroupKeys } from '../beacon/relay-executor.js';
import type { BlsKeyShare } from '../crypto/bls-dkg.js';
import { SealedKeystore } from './sealed-keystore.js';

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
 * `<dir>/group-<id>.json`, sealed under the operator password and written atomically.
 */
export class BeaconStore {
  private readonly files: SealedKeystore<GroupFileContent>;

  constructor(dir: string, password: string) {
    this.files = new SealedKeystore(dir, password, 'group', 'groupId', '[0-9a-f]{32}');
  }

  async save(group: BeaconGroupKeys): Promise<string> {
    const first = [...group.keys.values()][0];
    if (!first) throw new Error('a beacon group without key shares');
    const groupId = beaconGroupId(group.groupPublicKey);
    const content: GroupFileContent = {
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
    return this.files.save(groupId, content);
  }

  async loadAll(): Promise<BeaconGroupKeys[]> {
    return this.files.loadAll((content) => {
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
    });
  }
}
