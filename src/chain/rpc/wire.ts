import { toWire } from '../tagged-json.js';

export { fromWire, toWire } from '../tagged-json.js';

/**
 * JSON-RPC 2.0 over newline-delimited JSON. Values JSON cannot carry are tagged:
 * Uint8Array ⇄ {"$hex": "<lower-case hex>"}, bigint ⇄ {"$big": "<decimal>"}.
 */

/** Longest line a chain server accepts from a client. */
export const MAX_REQUEST_LINE_BYTES = 4 * 1024 * 1024;
/** Longest line a client accepts from the server (answers like registeredWallets grow). */
export const MAX_RESPONSE_LINE_BYTES = 64 * 1024 * 1024;

/** Deepest nesting of arrays and objects accepted; chain messages need fewer than 10 levels. */
export const MAX_NESTING_DEPTH = 32;

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

/** One message in a line (tagged JSON + "\n"). */
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isId(value: unknown): value is RpcId {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * Classifies one line. Tags are left in place (params and results are decoded by the
 * receiver with `fromWire`, so a bad tag can be answered with the request's id).
 */
export function parseLine(line: string): RpcMessage | undefined {
  // Checked before JSON.parse: a deeply nested line costs the parser (and then our recursive
  // tag decoding) far more than this linear scan.
  if (nestingExceeds(line, MAX_NESTING_DEPTH)) {
    return { kind: 'invalid', id: null, reason: `the message nests deeper than ${MAX_NESTING_DEPTH} levels` };
  }
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(message)) {
    return {
      kind: 'invalid',
      id: null,
      reason: 'a message must be a JSON object (batches are not supported)',
    };
  }
  const fields = message;
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
    const error = fields.error;
    if (isRecord(error) && typeof error.code === 'number' && typeof error.message === 'string') {
      return { kind: 'error', id, error: { code: error.code, message: error.message } };
    }
    return { kind: 'invalid', id, reason: 'error must have a numeric code and a message' };
  }
  if ('result' in fields) return { kind: 'response', id, result: fields.result };
  return { kind: 'invalid', id, reason: 'neither a request nor a response' };
}

/** Whether arrays and objects in the JSON text nest deeper than `max` (brackets in strings do not count). */
export function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
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
