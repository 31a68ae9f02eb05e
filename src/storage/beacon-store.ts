import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { BeaconGroupKeys } from '../beacon/relay-executor.js';
import type { BlsKeyShare } from '../crypto/bls-dkg.js';
import { openWithPassword, type PasswordBox, sealWithPassword } from '../crypto/password-box.js';
import { writeFileAtomic } from './atomic-file.js';

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

interface GroupFile {
  groupId: string;
  sealed: PasswordBox;
}

/** A short, file-name-safe id of a beacon group: sha256 of its G2 key, 32 hex digits. */
export const beaconGroupId = (groupPublicKey: Uint8Array) => bytesToHex(sha256(groupPublicKey)).slice(0, 32);

/**
 * Beacon key shares on disk, as the wallet store keeps wallet shares:
 * `<dir>/group-<id>.json`, sealed under the operator password and written atomically.
 */
export class BeaconStore {
  constructor(
    private readonly dir: string,
    private readonly password: string,
  ) {
    mkdirSync(dir, { recursive: true });
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
    const file: GroupFile = {
      groupId,
      sealed: await sealWithPassword(utf8ToBytes(JSON.stringify(content)), this.password),
    };
    const path = join(this.dir, `group-${groupId}.json`);
    writeFileAtomic(path, `${JSON.stringify(file)}\n`);
    return path;
  }

  async loadAll(): Promise<BeaconGroupKeys[]> {
    const groups: BeaconGroupKeys[] = [];
    for (const name of readdirSync(this.dir).sort()) {
      if (!/^group-[0-9a-f]{32}\.json$/.test(name)) continue;
      const file = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as GroupFile;
      const content = JSON.parse(
        new TextDecoder().decode(await openWithPassword(file.sealed, this.password)),
      ) as GroupFileContent;
      const groupPublicKey = hexToBytes(content.groupPublicKey);
      const publicKeyShares = new Map(
        Object.entries(content.publicKeyShares).map(([seat, point]) => [Number(seat), hexToBytes(point)]),
      );
      groups.push({
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
      });
    }
    return groups;
  }
}
