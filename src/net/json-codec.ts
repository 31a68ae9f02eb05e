import { z } from 'zod';
import type { MessageCodec } from './types.js';

/**
 * A codec for JSON payloads checked by a schema on the way in: a message that does not
 * match is refused by `decode` and so dropped (and counted) by the channel.
 */
export function jsonCodec<S extends z.ZodType>(type: string, schema: S): MessageCodec<z.infer<S>> {
  return {
    type,
    encode: (payload) => new TextEncoder().encode(JSON.stringify(payload)),
    decode: (bytes) => schema.parse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))),
  };
}

/** Bytes in a JSON payload: lower-case hex, even length. */
export const hexString = z.string().regex(/^([0-9a-f]{2})*$/);
