import { z } from 'zod';
import { hexString, jsonCodec } from '../../net/json-codec.js';

const hex = hexString;
const seat = z.number().int().min(1).max(65535);
const commitment = z.object({ seat, hiding: hex, binding: hex }).strict();

/** Fresh nonce commitments of the sender's seats for an epoch (one coordinator's turn). */
export const readyCodec = jsonCodec(
  'tbtc-signing/ready',
  z
    .object({ session: z.string(), epoch: z.number().int().min(0), commitments: z.array(commitment) })
    .strict(),
);

/** The coordinator starts a signing session with exactly `threshold` signers. */
export const sessionCodec = jsonCodec(
  'tbtc-signing/session',
  z
    .object({
      session: z.string(),
      epoch: z.number().int().min(0),
      sid: z.number().int().min(1),
      commitments: z.array(commitment),
    })
    .strict(),
);

/** Signature shares of the sender's seats in a session, with fresh commitments for the next. */
export const shareCodec = jsonCodec(
  'tbtc-signing/share',
  z
    .object({
      session: z.string(),
      epoch: z.number().int().min(0),
      sid: z.number().int().min(1),
      shares: z.array(z.object({ seat, share: hex }).strict()),
      next: z.array(commitment),
    })
    .strict(),
);

/**
 * The aggregated signature, the session count and the coordinator's activity report (the
 * seats that offered commitments); every member that verifies it passes it on once.
 */
export const doneCodec = jsonCodec(
  'tbtc-signing/done',
  z
    .object({ session: z.string(), signature: hex, sessions: z.number().int().min(1), active: z.array(seat) })
    .strict(),
);

/** The coordinator gives up: too few honest signers remain for the threshold. */
export const abortCodec = jsonCodec(
  'tbtc-signing/abort',
  z.object({ session: z.string(), reason: z.string().max(200) }).strict(),
);

export const SIGNING_CODECS = [readyCodec, sessionCodec, shareCodec, doneCodec, abortCodec];
