import { hexToBytes } from '@noble/hashes/utils.js';
import type { Address } from '../chain/types.js';
import type { Seat } from '../crypto/dkg-scheme.js';
import { validPublicKey } from '../crypto/pairwise-box.js';

/** What an operator announced, as the announcement codec decodes it. */
export interface Announcement {
  readonly seats: readonly Seat[];
  readonly ephemeralKeys: Readonly<Record<string, string>>;
}

/**
 * Checks an announcement at the boundary: the announcer names exactly its own seats and
 * carries a valid ephemeral public key for every other operator of the group, and for no one
 * else. Returns those keys (recipient → key) or undefined: an announcer that leaves anyone
 * out (so it could later complain about shares it never made possible) is not ready and
 * takes no part in the run.
 */
export function announcedKeys(
  announcement: Announcement,
  ownSeats: readonly Seat[],
  recipients: readonly Address[],
): Map<Address, Uint8Array> | undefined {
  if (announcement.seats.length !== ownSeats.length) return undefined;
  if (announcement.seats.some((seat, i) => seat !== ownSeats[i])) return undefined;
  const named = Object.keys(announcement.ephemeralKeys);
  if (named.length !== recipients.length) return undefined;
  const keys = new Map<Address, Uint8Array>();
  for (const recipient of recipients) {
    const hex = Object.hasOwn(announcement.ephemeralKeys, recipient)
      ? announcement.ephemeralKeys[recipient]
      : undefined;
    if (hex === undefined) return undefined;
    const key = parsedHex(hex);
    if (!key || !validPublicKey(key)) return undefined;
    keys.set(recipient, key);
  }
  return keys;
}

function parsedHex(hex: string): Uint8Array | undefined {
  try {
    return hexToBytes(hex);
  } catch {
    return undefined;
  }
}
