import { z } from 'zod';
import { hexString, jsonCodec } from '../net/json-codec.js';

/** A member's signature shares over the previous entry, one per seat it holds in the group. */
export const signatureShareCodec = jsonCodec(
  'beacon/signature-share',
  z
    .object({
      session: z.string().max(128),
      shares: z.array(z.object({ seat: z.number().int().min(1).max(65535), share: hexString }).strict()),
    })
    .strict(),
);
