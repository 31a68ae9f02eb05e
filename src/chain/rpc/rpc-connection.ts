import { connect, type Socket } from 'node:net';
import { reasonOf } from '../../log.js';
import { ChainError } from '../types.js';
import { RpcCode } from './protocol.js';
import {
  encodeLine,
  fromWire,
  LineSplitter,
  MAX_RESPONSE_LINE_BYTES,
  parseLine,
  type RpcErrorObject,
  requestMessage,
} from './wire.js';

/** An error answer other than a chain refusal (refusals are ChainErrors). */
export class ChainRpcError extends Error {
  override name = 'ChainRpcError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (reason: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

export interface RpcConnectionHandlers {
  notification(method: string, params: unknown): void;
  /** The socket closed (by either side); every pending call has been rejected. */
  closed(): void;
}

/** Opens a TCP connection; rejects with the socket's error or after `timeoutMs`. */
export function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

/** The client end of one connection: calls matched to answers by id, and notifications. */
export class RpcConnection {
  private readonly pending = new Map<number, Pending>();
  private readonly splitter = new LineSplitter(MAX_RESPONSE_LINE_BYTES);
  private nextId = 1;
  private open = true;

  constructor(
    private readonly socket: Socket,
    private readonly handlers: RpcConnectionHandlers,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => {
      this.open = false;
      for (const call of this.pending.values()) {
        clearTimeout(call.timer);
        call.reject(new ChainError('chain connection lost'));
      }
      this.pending.clear();
      this.handlers.closed();
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  call(method: string, params: unknown, timeoutMs: number): Promise<unknown> {
    if (!this.open) return Promise.reject(new ChainError('chain connection lost'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ChainError(`chain call ${method} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(encodeLine(requestMessage(id, method, params)));
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    let lines: string[];
    try {
      lines = this.splitter.push(chunk);
    } catch {
      this.socket.destroy();
      return;
    }
    for (const line of lines) {
      const message = parseLine(line);
      if (!message || message.kind === 'invalid') continue;
      if (message.kind === 'request') {
        let params: unknown;
        try {
          params = fromWire(message.params);
        } catch {
          continue; // a malformed notification is skipped
        }
        this.handlers.notification(message.method, params);
      } else if (message.kind === 'response') {
        this.settle(message.id, (call) => {
          try {
            call.resolve(fromWire(message.result));
          } catch (err) {
            call.reject(new ChainRpcError(RpcCode.parseError, `malformed answer: ${reasonOf(err)}`));
          }
        });
      } else {
        this.settle(message.id, (call) => call.reject(errorOf(message.error)));
      }
    }
  }

  private settle(id: unknown, done: (call: Pending) => void): void {
    if (typeof id !== 'number') return;
    const call = this.pending.get(id);
    if (!call) return;
    this.pending.delete(id);
    clearTimeout(call.timer);
    done(call);
  }
}

function errorOf(error: RpcErrorObject): Error {
  if (error.code === RpcCode.chainRefused) return new ChainError(error.message);
  return new ChainRpcError(error.code, error.message);
}
