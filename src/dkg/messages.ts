import { z } from 'zod';
import { hexString, jsonCodec } from '../net/json-codec.js';

const hex = hexString;
const seat = z.number().int().min(1).max(65535);
const address = z.string().regex(/^0x[0-9a-f]{40}$/);

/** Readiness: the sender's seats and its ephemeral public key for each other operator. */
export const announcementCodec = jsonCodec(
  'dkg/announcement',
  z.object({ session: z.string(), seats: z.array(seat), ephemeralKeys: z.record(address, hex) }).strict(),
);

/** Round 1: one dealer package (commitment, proof of knowledge) per seat of the sender. */
export const round1Codec = jsonCodec(
  'dkg/round1',
  z
    .object({
      session: z.string(),
      packages: z.array(z.object({ seat, commitment: z.array(hex), proofOfKnowledge: hex }).strict()),
    })
    .strict(),
);

/**
 * Round 2: per recipient operator one sealed box holding the shares from each of the
 * sender's seats to each of the recipient's seats, in (dealer seat, recipient seat) order.
 */
export const round2Codec = jsonCodec(
  'dkg/round2',
  z
    .object({
      session: z.string(),
      boxes: z.record(address, z.object({ nonce: hex, ciphertext: hex }).strict()),
    })
    .strict(),
);

/** Complaints against operators whose shares failed; each reveals the pair's ephemeral key. */
export const complaintsCodec = jsonCodec(
  'dkg/complaints',
  z
    .object({
      session: z.string(),
      complaints: z.array(z.object({ accused: address, revealedKey: hex }).strict()),
    })
    .strict(),
);

/** The sender's operator signature over the DKG result hash it computed. */
export const resultSignatureCodec = jsonCodec(
  'dkg/result-signature',
  z.object({ session: z.string(), resultHash: hex, signature: hex }).strict(),
);

/** The DKG's messages, all of one session (the DKG seed). */
export const DKG_CODECS = {
  announcement: announcementCodec,
  round1: round1Codec,
  round2: round2Codec,
  complaints: complaintsCodec,
  resultSignature: resultSignatureCodec,
};
