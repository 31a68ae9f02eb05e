import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { BlsKeyShare } from '../crypto/bls-dkg.js';
import type { GroupKeys } from '../dkg/group-keys.js';
import { SealedGroupStore } from './sealed-group-store.js';

type BeaconGroupKeys = GroupKeys<BlsKeyShare>;

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

/** Beacon group key shares on disk (see SealedGroupStore). */
export class BeaconStore extends SealedGroupStore<BeaconGroupKeys, GroupFileContent> {
  constructor(dir: string, password: string) {
    super(dir, password, {
      kind: 'group',
      idKey: 'groupId',
      idPattern: '[0-9a-f]{32}',
      idOf: beaconGroupId,
      contentOf,
      groupOf: groupOf,
    });
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
