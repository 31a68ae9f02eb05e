/**
 * Envelopes as a hostile member would build them, written from the wire layout documented in
 * src/net/envelope.ts (not with its code, so the limits sealEnvelope enforces do not apply):
 *
 *   signed part: version(1) | sender key(33) | epoch(4) | sequence(4) | type length(1) | type
 *                | payload length(4) | payload
 *   signature(64): ECDSA secp256k1 over sha256("keep-core-ts/broadcast/v1" | channel length(2)
 *                | channel | signed part)
 *   retransmission(2)
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { OperatorKey } from '../../src/crypto/operator-key.js';

const DOMAIN = utf8ToBytes('keep-core-ts/broadcast/v1');

export interface CraftedFields {
  readonly epoch: number;
  readonly sequence: number;
  readonly type: string;
  /** Bytes of the payload; any length, also over the 1 MiB a sender may seal. */
  readonly payload: Uint8Array;
  /** `valid`: signed with the key; `garbage`: 64 random bytes in place of a signature. */
  readonly signature: 'valid' | 'garbage';
}

export function craftEnvelope(key: OperatorKey, channel: string, fields: CraftedFields): Uint8Array {
  const type = utf8ToBytes(fields.type);
  const signed = new Uint8Array(1 + 33 + 4 + 4 + 1 + type.length + 4 + fields.payload.length);
  const view = new DataView(signed.buffer);
  let offset = 0;
  signed[offset++] = 1;
  signed.set(key.publicKey, offset);
  offset += 33;
  view.setUint32(offset, fields.epoch);
  view.setUint32(offset + 4, fields.sequence);
  offset += 8;
  signed[offset++] = type.length;
  signed.set(type, offset);
  offset += type.length;
  view.setUint32(offset, fields.payload.length);
  signed.set(fields.payload, offset + 4);

  let signature: Uint8Array;
  if (fields.signature === 'garbage') {
    signature = randomBytes(64);
  } else {
    const name = utf8ToBytes(channel);
    const message = new Uint8Array(DOMAIN.length + 2 + name.length + signed.length);
    message.set(DOMAIN, 0);
    new DataView(message.buffer).setUint16(DOMAIN.length, name.length);
    message.set(name, DOMAIN.length + 2);
    message.set(signed, DOMAIN.length + 2 + name.length);
    signature = secp256k1.sign(message, key.privateKey); // sha256 prehash, RFC 6979
  }
  const envelope = new Uint8Array(signed.length + 64 + 2);
  envelope.set(signed, 0);
  envelope.set(signature, signed.length);
  return envelope;
}
