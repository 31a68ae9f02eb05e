import { z } from 'zod';
import { hexString, jsonCodec } from '../net/json-codec.js';
import type { PayloadOf } from '../net/typed-messages.js';

/** The most seats a beacon group may have (a share message carries at most one share per seat). */
export const MAX_GROUP_SIZE = 1024;

/** A member's signature shares over the previous entry, one per seat it holds in the group. */
export const signatureShareCodec = jsonCodec(
  'beacon/signature-share',
  z
    .object({
      session: z.string().max(128),
      shares: z
        .array(
          z
            .object({ seat: z.number().int().min(1).max(MAX_GROUP_SIZE), share: hexString.max(2 * 48) })
            .strict(),
        )
        .max(MAX_GROUP_SIZE),
    })
    .strict(),
);

export type SignatureSharePayload = PayloadOf<typeof signatureShareCodec>;

/** The relay entry's messages, of one session per request. */
export const RELAY_CODECS = { signatureShare: signatureShareCodec };
