import { z } from 'zod';
import { address, bytes } from '../api/schemas.js';

/**
 * The methods of a connection rather than of the chain: the handshake, devnet self-staking
 * and the event subscription; and the notifications the server pushes. Params and answers
 * are checked against these on both ends.
 */

/** An event, pushed or replayed: its name and block are checked by the client, its data per event. */
export const wireEvent = z.object({
  seq: z.number(),
  block: z.number(),
  name: z.string(),
  data: z.unknown(),
});

export const sessionApi = {
  hello: { params: z.object({ publicKey: bytes }), result: z.object({ nonce: bytes }) },
  authenticate: { params: z.object({ signature: bytes }), result: z.object({ address }) },
  registerOperator: { params: z.object({ stake: z.bigint() }), result: z.object({ address }) },
  subscribeEvents: {
    params: z.object({
      chainId: z.string().optional(),
      after: z.number().int().nonnegative().optional(),
    }),
    result: z.object({
      chainId: z.string(),
      head: z.number().int(),
      events: z.array(wireEvent),
      truncated: z.boolean(),
      more: z.boolean(),
    }),
  },
};

export type EventsPage = z.output<typeof sessionApi.subscribeEvents.result>;

export const blockNotification = z.object({ height: z.number() });
