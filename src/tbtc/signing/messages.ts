import type { NonceCommitments } from '@noble/curves/abstract/frost.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { identifierOf, type Seat } from '../../crypto/frost-dkg.js';
import { hexString, jsonCodec } from '../../net/json-codec.js';

/** Lower-case hex of exactly `bytes` bytes. */
const hexOf = (bytes: number) => hexString.length(bytes * 2);
const seat = z.number().int().min(1).max(65535);
/** More seats than any group has; bounds what one message can make a member parse. */
const MAX_SEATS = 1024;
const session = z.string().max(128);
const commitment = z.object({ seat, hiding: hexOf(33), binding: hexOf(33) }).strict();
const commitments = z.array(commitment).max(MAX_SEATS);

const ready = z.object({ session, epoch: z.number().int().min(0), commitments }).strict();

const sessionStart = z
  .object({
    session,
    epoch: z.number().int().min(0),
    sid: z.number().int().min(1),
    commitments,
  })
  .strict();

const shares = z
  .object({
    session,
    epoch: z.number().int().min(0),
    sid: z.number().int().min(1),
    /** The digest of the session's commitments the shares were computed for. */
    digest: hexOf(32),
    shares: z.array(z.object({ seat, share: hexOf(32) }).strict()).max(MAX_SEATS),
    next: commitments,
  })
  .strict();

const done = z
  .object({
    session,
    epoch: z.number().int().min(0),
    signature: hexOf(64),
    sessions: z.number().int().min(1),
    active: z.array(seat).max(MAX_SEATS),
  })
  .strict();

const abort = z
  .object({
    session,
    epoch: z.number().int().min(0),
    reason: z.string().max(200),
    bad: z.array(seat).max(MAX_SEATS),
  })
  .strict();

/** A nonce commitment as it travels in signing messages. */
export type WireCommitment = z.infer<typeof commitment>;
export type ReadyPayload = z.infer<typeof ready>;
export type SessionPayload = z.infer<typeof sessionStart>;
export type SharePayload = z.infer<typeof shares>;
export type DonePayload = z.infer<typeof done>;
export type AbortPayload = z.infer<typeof abort>;

/** Fresh nonce commitments of the sender's seats for an epoch (one coordinator's turn). */
export const readyCodec = jsonCodec('tbtc-signing/ready', ready);

/** The coordinator starts a signing session with exactly `threshold` signers. */
export const sessionCodec = jsonCodec('tbtc-signing/session', sessionStart);

/** Signature shares of the sender's seats in a session, with fresh commitments for the next. */
export const shareCodec = jsonCodec('tbtc-signing/share', shares);

/**
 * The aggregated signature, the session count and the sender's view of the seats that offered
 * commitments (informational: every member reports the activity it saw itself); every member
 * that verifies the signature passes it on once.
 */
export const doneCodec = jsonCodec('tbtc-signing/done', done);

/**
 * The coordinator of `epoch` gives up: too few signers without a bad share remain. It names the
 * seats it found bad; a member ends the operation only when its own copies of those seats'
 * shares prove it, otherwise the abort only ends that coordinator's epoch.
 */
export const abortCodec = jsonCodec('tbtc-signing/abort', abort);

/** The signing protocol's messages, one handler each (`SigningOperation`). */
export const SIGNING_CODECS = {
  ready: readyCodec,
  session: sessionCodec,
  share: shareCodec,
  done: doneCodec,
  abort: abortCodec,
};

export const toWire = (c: NonceCommitments, seat: Seat): WireCommitment => ({
  seat,
  hiding: bytesToHex(c.hiding),
  binding: bytesToHex(c.binding),
});

export const fromWire = (c: WireCommitment): NonceCommitments => ({
  identifier: identifierOf(c.seat),
  hiding: hexToBytes(c.hiding),
  binding: hexToBytes(c.binding),
});

export const sameCommitment = (a: WireCommitment, b: WireCommitment) =>
  a.seat === b.seat && a.hiding === b.hiding && a.binding === b.binding;
