import { utf8ToBytes } from '@noble/hashes/utils.js';
import { type OperatorKey, signWithOperatorKey, verifyOperatorSignature } from '../crypto/operator-key.js';

/**
 * The wire envelope of a broadcast message:
 *
 *   signed part:  version(1) | sender public key(33) | epoch(4) | sequence(4)
 *                 | type length(1) | type | payload length(4) | payload
 *   signature(64) over sha256(DOMAIN | channel length(2) | channel | signed part)
 *   retransmission(2), unsigned: only makes each re-publication a distinct pubsub message
 *
 * The channel name is signed but not sent: a message replayed on another channel fails.
 */
const VERSION = 1;
const DOMAIN = utf8ToBytes('keep-core-ts/broadcast/v1');
const KEY_LENGTH = 33;
const SIGNATURE_LENGTH = 64;
/** The unsigned retransmission number at the very end of an envelope. */
export const RETRANSMISSION_LENGTH = 2;
const HEADER = 1 + KEY_LENGTH + 4 + 4 + 1;
export const MAX_TYPE_LENGTH = 64;
export const MAX_PAYLOAD_LENGTH = 1 << 20;
/** The longest envelope that can be valid: anything longer is refused before it is parsed. */
export const MAX_ENVELOPE_LENGTH =
  HEADER + MAX_TYPE_LENGTH + 4 + MAX_PAYLOAD_LENGTH + SIGNATURE_LENGTH + RETRANSMISSION_LENGTH;

export interface Envelope {
  readonly senderPublicKey: Uint8Array;
  readonly epoch: number;
  readonly sequence: number;
  readonly type: string;
  readonly payload: Uint8Array;
  readonly signedPart: Uint8Array;
  readonly signature: Uint8Array;
  readonly retransmission: number;
}

export class MalformedEnvelopeError extends Error {
  override name = 'MalformedEnvelopeError';
}

/** A payload (or a whole envelope) over the limit a sender may seal: refused unparsed. */
export class OversizedEnvelopeError extends MalformedEnvelopeError {
  override name = 'OversizedEnvelopeError';
}

function signingMessage(channel: string, signedPart: Uint8Array): Uint8Array {
  const name = utf8ToBytes(channel);
  const message = new Uint8Array(DOMAIN.length + 2 + name.length + signedPart.length);
  message.set(DOMAIN, 0);
  new DataView(message.buffer).setUint16(DOMAIN.length, name.length);
  message.set(name, DOMAIN.length + 2);
  message.set(signedPart, DOMAIN.length + 2 + name.length);
  return message;
}

/** Builds and signs an envelope; returns the bytes with retransmission number 0. */
export function sealEnvelope(
  key: OperatorKey,
  channel: string,
  fields: { epoch: number; sequence: number; type: string; payload: Uint8Array },
): Uint8Array {
  const type = utf8ToBytes(fields.type);
  if (type.length === 0 || type.length > MAX_TYPE_LENGTH)
    throw new Error(`message type length ${type.length}`);
  if (fields.payload.length > MAX_PAYLOAD_LENGTH)
    throw new Error(`payload of ${fields.payload.length} bytes`);
  const signedPart = new Uint8Array(HEADER + type.length + 4 + fields.payload.length);
  const view = new DataView(signedPart.buffer);
  signedPart[0] = VERSION;
  signedPart.set(key.publicKey, 1);
  view.setUint32(1 + KEY_LENGTH, fields.epoch);
  view.setUint32(1 + KEY_LENGTH + 4, fields.sequence);
  signedPart[HEADER - 1] = type.length;
  signedPart.set(type, HEADER);
  view.setUint32(HEADER + type.length, fields.payload.length);
  signedPart.set(fields.payload, HEADER + type.length + 4);
  const signature = signWithOperatorKey(key, signingMessage(channel, signedPart));
  const bytes = new Uint8Array(signedPart.length + SIGNATURE_LENGTH + RETRANSMISSION_LENGTH);
  bytes.set(signedPart, 0);
  bytes.set(signature, signedPart.length);
  return bytes;
}

/** The same envelope with another retransmission number (the signature is unchanged). */
export function withRetransmission(bytes: Uint8Array, retransmission: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint16(copy.length - RETRANSMISSION_LENGTH, retransmission & 0xffff);
  return copy;
}

/**
 * Parses the layout; throws MalformedEnvelopeError (OversizedEnvelopeError past
 * MAX_PAYLOAD_LENGTH, the limit `sealEnvelope` enforces). Does not check the signature.
 */
export function openEnvelope(bytes: Uint8Array): Envelope {
  if (bytes.length > MAX_ENVELOPE_LENGTH) throw new OversizedEnvelopeError(`${bytes.length} bytes`);
  if (bytes.length < HEADER + 4 + SIGNATURE_LENGTH + RETRANSMISSION_LENGTH)
    throw new MalformedEnvelopeError('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== VERSION) throw new MalformedEnvelopeError(`unknown version ${bytes[0]}`);
  const typeLength = bytes[HEADER - 1]!;
  if (typeLength === 0 || typeLength > MAX_TYPE_LENGTH) throw new MalformedEnvelopeError('bad type length');
  const payloadOffset = HEADER + typeLength + 4;
  if (bytes.length < payloadOffset + SIGNATURE_LENGTH + RETRANSMISSION_LENGTH)
    throw new MalformedEnvelopeError('truncated');
  const payloadLength = view.getUint32(HEADER + typeLength);
  if (payloadLength > MAX_PAYLOAD_LENGTH)
    throw new OversizedEnvelopeError(`payload of ${payloadLength} bytes`);
  const signedLength = payloadOffset + payloadLength;
  if (bytes.length !== signedLength + SIGNATURE_LENGTH + RETRANSMISSION_LENGTH)
    throw new MalformedEnvelopeError('length mismatch');
  let type: string;
  try {
    type = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER, HEADER + typeLength));
  } catch {
    throw new MalformedEnvelopeError('type is not UTF-8');
  }
  return {
    senderPublicKey: bytes.subarray(1, 1 + KEY_LENGTH),
    epoch: view.getUint32(1 + KEY_LENGTH),
    sequence: view.getUint32(1 + KEY_LENGTH + 4),
    type,
    payload: bytes.subarray(payloadOffset, signedLength),
    signedPart: bytes.subarray(0, signedLength),
    signature: bytes.subarray(signedLength, signedLength + SIGNATURE_LENGTH),
    retransmission: view.getUint16(bytes.length - RETRANSMISSION_LENGTH),
  };
}

export function envelopeSignatureValid(channel: string, envelope: Envelope): boolean {
  return verifyOperatorSignature(
    envelope.senderPublicKey,
    signingMessage(channel, envelope.signedPart),
    envelope.signature,
  );
}
