import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/**
 * JSON-RPC 2.0 over newline-delimited JSON. Values JSON cannot carry are tagged:
 * Uint8Array ⇄ {"$hex": "<lower-case hex>"}, bigint ⇄ {"$big": "<decimal>"}.
 */

/** Longest line a chain server accepts from a client. */
export const MAX_REQUEST_LINE_BYTES = 4 * 1024 * 1024;
/** Longest line a client accepts from the server (answers such as registeredWallets grow). */
export const MAX_RESPONSE_LINE_BYTES = 64 * 1024 * 1024;
/** Longer decimals are refused: parsing huge ones costs time and no stake is that big. */
const MAX_BIG_DIGITS = 100;

export type RpcId = string | number | null;

export interface RpcErrorObject {
  readonly code: number;
  readonly message: string;
}

export type RpcMessage =
  /** `id` undefined: a notification (no answer expected). */
  | {
      readonly kind: 'request';
      readonly id: RpcId | undefined;
      readonly method: string;
      readonly params: unknown;
    }
  | { readonly kind: 'response'; readonly id: RpcId; readonly result: unknown }
  | { readonly kind: 'error'; readonly id: RpcId; readonly error: RpcErrorObject }
  | { readonly kind: 'invalid'; readonly id: RpcId; readonly reason: string };

/** The value with byte arrays and bigints tagged, ready for JSON.stringify. */
export function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $hex: bytesToHex(value) };
  if (typeof value === 'bigint') return { $big: value.toString() };
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = toWire(item);
    }
    return out;
  }
  return value;
}

/** The inverse of `toWire`; throws a one-line Error on a malformed tag. */
export function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, tagged] = entries[0]!;
    if (key === '$hex') {
      if (typeof tagged !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(tagged)) {
        throw new Error('$hex must be a string of hex digit pairs');
      }
      return hexToBytes(tagged);
    }
    if (key === '$big') {
      if (typeof tagged !== 'string' || !/^-?\d+$/.test(tagged) || tagged.length > MAX_BIG_DIGITS) {
        throw new Error(`$big must be a decimal string of at most ${MAX_BIG_DIGITS} digits`);
      }
      return BigInt(tagged);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    if (key !== '__proto__') out[key] = fromWire(item);
  }
  return out;
}

/** One message as a line (tagged JSON + "\n"). */
export function encodeLine(message: object): string {
  return `${JSON.stringify(toWire(message))}\n`;
}

export function requestMessage(id: number, method: string, params: unknown): object {
  return { jsonrpc: '2.0', id, method, params };
}

export function notificationMessage(method: string, params: unknown): object {
  return { jsonrpc: '2.0', method, params };
}

export function resultMessage(id: RpcId, result: unknown): object {
  return { jsonrpc: '2.0', id, result: result ?? null };
}

export function errorMessage(id: RpcId, code: number, message: string): object {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

function isId(value: unknown): value is RpcId {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * Classifies one line. Tags are left in place (params and results are decoded by the
 * receiver with `fromWire`, so a bad tag can be answered with the request's id).
 */
export function parseLine(line: string): RpcMessage | undefined {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    return {
      kind: 'invalid',
      id: null,
      reason: 'a message must be a JSON object (batches are not supported)',
    };
  }
  const fields = message as Record<string, unknown>;
  const id = isId(fields.id) ? fields.id : null;
  if (fields.jsonrpc !== '2.0') return { kind: 'invalid', id, reason: 'jsonrpc must be "2.0"' };
  if ('method' in fields) {
    if (typeof fields.method !== 'string') return { kind: 'invalid', id, reason: 'method must be a string' };
    if ('id' in fields && !isId(fields.id)) {
      return { kind: 'invalid', id: null, reason: 'id must be a string, a number or null' };
    }
    return {
      kind: 'request',
      id: 'id' in fields ? id : undefined,
      method: fields.method,
      params: fields.params,
    };
  }
  if ('error' in fields) {
    const error = fields.error as Record<string, unknown> | null;
    if (error && typeof error.code === 'number' && typeof error.message === 'string') {
      return { kind: 'error', id, error: { code: error.code, message: error.message } };
    }
    return { kind: 'invalid', id, reason: 'error must have a numeric code and a message' };
  }
  if ('result' in fields) return { kind: 'response', id, result: fields.result };
  return { kind: 'invalid', id, reason: 'neither a request nor a response' };
}

export class LineTooLongError extends Error {
  override name = 'LineTooLongError';
}

/** Cuts a byte stream into lines ("\n", optional "\r" before it); empty lines are skipped. */
export class LineSplitter {
  private pieces: Buffer[] = [];
  private buffered = 0;

  constructor(readonly maxLineBytes: number) {}

  /** The lines this chunk completes; throws LineTooLongError once a line exceeds the bound. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline >= 0; newline = chunk.indexOf(0x0a, start)) {
      this.keep(chunk.subarray(start, newline));
      let line = Buffer.concat(this.pieces, this.buffered).toString('utf8');
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.length > 0) lines.push(line);
      this.pieces = [];
      this.buffered = 0;
      start = newline + 1;
    }
    this.keep(chunk.subarray(start));
    return lines;
  }

  private keep(piece: Buffer): void {
    if (piece.length === 0) return;
    this.buffered += piece.length;
    if (this.buffered > this.maxLineBytes) {
      this.pieces = [];
      this.buffered = 0;
      throw new LineTooLongError(`line longer than ${this.maxLineBytes} bytes`);
    }
    this.pieces.push(piece);
  }
}
