import { createServer, type Socket } from 'node:net';
import { randomBytes } from '@noble/hashes/utils.js';
import { operatorAddress, verifyOperatorSignature } from '../../crypto/operator-key.js';
import { type Logger, reasonOf } from '../../log.js';
import type { LoggedEvent } from '../events.js';
import type { LocalChain } from '../local/local-chain.js';
import { type Address, type Chain, ChainError } from '../types.js';
import { HELLO_NONCE_BYTES, helloMessage, RpcCode } from './protocol.js';
import { chainMethods, InvalidParamsError, paramsOf } from './server-methods.js';
import { sessionApi } from './session-api.js';
import {
  encodeLine,
  errorMessage,
  fromWire,
  LineSplitter,
  MAX_REQUEST_LINE_BYTES,
  notificationMessage,
  parseLine,
  type RpcId,
  resultMessage,
} from './wire.js';

export interface ChainServerOptions {
  readonly chain: LocalChain;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly log: Logger;
  /** A connection with more unsent output than this is dropped (default 8 MiB). */
  readonly maxBufferedBytes?: number;
  /** A connection not authenticated this long after it opened is closed (default 10 s). */
  readonly authTimeoutMs?: number;
  /** Connections beyond this many open ones are closed at once (default DEFAULT_MAX_CONNECTIONS). */
  readonly maxConnections?: number;
}

export const DEFAULT_MAX_CONNECTIONS = 512;
/** A `subscribeEvents` answer carries at most this many events; the client asks again for more. */
export const MAX_REPLAYED_EVENTS = 256;

export interface ChainServer {
  /** tcp://host:port, what clients pass to connectChain. */
  readonly url: string;
  readonly port: number;
  /** Connections refused because `maxConnections` were open. */
  readonly refusedConnections: number;
  /** Closes every connection and stops listening. */
  close(): Promise<void>;
}

/** A refusal with its JSON-RPC code, answered unchanged. */
class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

type Session =
  | { readonly phase: 'new' }
  | { readonly phase: 'challenged'; readonly publicKey: Uint8Array; readonly nonce: Uint8Array }
  | {
      readonly phase: 'authenticated';
      readonly publicKey: Uint8Array;
      readonly address: Address;
      readonly chain: Chain;
    };

interface ConnectionContext {
  readonly chain: LocalChain;
  readonly log: Logger;
  readonly maxBufferedBytes: number;
  readonly authTimeoutMs: number;
}

/** One client: its handshake, its requests, and the notifications pushed to it. */
class ServerConnection {
  private session: Session = { phase: 'new' };
  /** Set by `subscribeEvents`: from then on, every new event is pushed. */
  subscribed = false;
  private readonly splitter = new LineSplitter(MAX_REQUEST_LINE_BYTES);
  private readonly authTimer: NodeJS.Timeout;
  private readonly log: Logger;

  constructor(
    readonly socket: Socket,
    private readonly context: ConnectionContext,
  ) {
    this.log = context.log.child({ peer: `${socket.remoteAddress}:${socket.remotePort}` });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    this.authTimer = setTimeout(() => this.drop('not authenticated in time'), context.authTimeoutMs);
    this.authTimer.unref();
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'chain client socket error'));
    socket.on('close', () => clearTimeout(this.authTimer));
  }

  get authenticated(): boolean {
    return this.session.phase === 'authenticated';
  }

  /** Writes a line unless the client has stopped reading, in which case it is dropped. */
  send(line: string): void {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return;
    if (socket.writableLength > this.context.maxBufferedBytes) {
      this.drop(`more than ${this.context.maxBufferedBytes} bytes of output unread`);
      return;
    }
    socket.write(line);
  }

  drop(reason: string): void {
    if (this.socket.destroyed) return;
    const operator = this.session.phase === 'authenticated' ? this.session.address : undefined;
    this.log.warn({ operator, reason }, 'dropping chain client');
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    let lines: string[];
    try {
      lines = this.splitter.push(chunk);
    } catch (err) {
      this.drop(reasonOf(err));
      return;
    }
    for (const line of lines) this.handle(line);
  }

  private handle(line: string): void {
    const message = parseLine(line);
    if (!message) {
      this.send(encodeLine(errorMessage(null, RpcCode.parseError, 'parse error: the line is not JSON')));
      return;
    }
    if (message.kind === 'invalid') {
      this.send(encodeLine(errorMessage(message.id, RpcCode.invalidRequest, message.reason)));
    } else if (message.kind === 'request') {
      void this.answer(message.id, message.method, message.params);
    }
    // Responses from a client answer nothing the server asked: ignored.
  }

  private async answer(id: RpcId | undefined, method: string, params: unknown): Promise<void> {
    let reply: object;
    let refusedAuthentication = false;
    try {
      reply = resultMessage(id ?? null, await this.call(method, decodeParams(params)));
    } catch (err) {
      const { code, message } = this.errorReply(method, err);
      refusedAuthentication = method === 'authenticate' && code === RpcCode.unauthenticated;
      reply = errorMessage(id ?? null, code, message);
    }
    if (id !== undefined) this.send(encodeLine(reply));
    if (refusedAuthentication) this.socket.end();
  }

  private errorReply(method: string, err: unknown): { code: number; message: string } {
    if (err instanceof RpcFailure) return { code: err.code, message: err.message };
    if (err instanceof ChainError) return { code: RpcCode.chainRefused, message: err.message };
    if (err instanceof InvalidParamsError) return { code: RpcCode.invalidParams, message: err.message };
    this.log.warn({ method, err: err instanceof Error ? err.message : String(err) }, 'chain method failed');
    return { code: RpcCode.internalError, message: `internal error in ${method}` };
  }

  private async call(method: string, params: unknown): Promise<unknown> {
    if (method === 'hello') return this.hello(params);
    if (method === 'authenticate') return this.authenticate(params);
    const session = this.session;
    if (session.phase !== 'authenticated') {
      throw new RpcFailure(RpcCode.unauthenticated, 'not authenticated: call hello, then authenticate');
    }
    if (method === 'registerOperator') return this.registerOperator(session, params);
    if (method === 'subscribeEvents') return this.subscribeEvents(params);
    const run = chainMethods.get(method);
    if (!run) throw new RpcFailure(RpcCode.methodNotFound, `method not found: ${method}`);
    return run(session.chain, params);
  }

  private hello(params: unknown): { nonce: Uint8Array } {
    if (this.authenticated) throw new RpcFailure(RpcCode.invalidRequest, 'already authenticated');
    const { publicKey } = paramsOf(sessionApi.hello.params, params);
    const invalid = () => new InvalidParamsError('publicKey is not a 33-byte compressed secp256k1 key');
    if (publicKey.length !== 33) throw invalid();
    try {
      operatorAddress(publicKey);
    } catch {
      throw invalid();
    }
    const nonce = randomBytes(HELLO_NONCE_BYTES);
    this.session = { phase: 'challenged', publicKey: publicKey.slice(), nonce };
    return { nonce };
  }

  private authenticate(params: unknown): { address: Address } {
    const session = this.session;
    if (session.phase === 'authenticated')
      throw new RpcFailure(RpcCode.invalidRequest, 'already authenticated');
    if (session.phase !== 'challenged') throw new RpcFailure(RpcCode.unauthenticated, 'call hello first');
    const { signature } = paramsOf(sessionApi.authenticate.params, params);
    this.session = { phase: 'new' }; // one attempt per nonce
    if (!verifyOperatorSignature(session.publicKey, helloMessage(session.nonce), signature)) {
      this.log.warn('chain client failed authentication');
      throw new RpcFailure(
        RpcCode.unauthenticated,
        'authentication failed: the signature does not verify under the hello public key',
      );
    }
    const address = operatorAddress(session.publicKey);
    this.session = {
      phase: 'authenticated',
      publicKey: session.publicKey,
      address,
      chain: this.context.chain.connect(address),
    };
    clearTimeout(this.authTimer);
    this.log.info({ operator: address }, 'chain client authenticated');
    return { address };
  }

  /** Self-staking, like devnet operators: always the connection's own key. */
  private async registerOperator(
    session: Extract<Session, { phase: 'authenticated' }>,
    params: unknown,
  ): Promise<{ address: Address }> {
    const { stake } = paramsOf(sessionApi.registerOperator.params, params);
    const operators = await session.chain.operatorRegistry.operators();
    if (operators.some((operator) => operator.address === session.address)) {
      throw new RpcFailure(RpcCode.alreadyRegistered, `operator ${session.address} is already registered`);
    }
    return { address: this.context.chain.registerOperator(session.publicKey, stake) };
  }

  /**
   * Events after the client's position, and the subscription to later ones. A position on
   * another chain (or none) starts the client at the newest event.
   */
  private subscribeEvents(params: unknown): object {
    const { chainId, after } = paramsOf(sessionApi.subscribeEvents.params, params);
    const { chain } = this.context;
    const head = chain.events.head;
    this.subscribed = true;
    if (chainId !== chain.chainId || after === undefined || after > head) {
      return { chainId: chain.chainId, head, events: [], truncated: false, more: false };
    }
    const { events, truncated } = chain.events.since(after);
    return {
      chainId: chain.chainId,
      head,
      events: events.slice(0, MAX_REPLAYED_EVENTS),
      truncated,
      more: events.length > MAX_REPLAYED_EVENTS,
    };
  }
}

function decodeParams(params: unknown): unknown {
  try {
    return fromWire(params);
  } catch (err) {
    throw new InvalidParamsError(`invalid params: ${reasonOf(err)}`);
  }
}

/** Serves `chain` on host:port to chain clients (newline-delimited JSON-RPC 2.0 over TCP). */
export async function startChainServer(options: ChainServerOptions): Promise<ChainServer> {
  const { chain, host, log } = options;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new RangeError(`maxConnections must be a positive integer, got ${maxConnections}`);
  }
  let refusedConnections = 0;
  /** Set from the first refusal until a connection is accepted again. */
  let refusing = false;
  const context: ConnectionContext = {
    chain,
    log,
    maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
    authTimeoutMs: options.authTimeoutMs ?? 10_000,
  };
  const connections = new Set<ServerConnection>();
  const broadcast = (method: string, params: unknown, to: (connection: ServerConnection) => boolean) => {
    if (connections.size === 0) return;
    const line = encodeLine(notificationMessage(method, params));
    for (const connection of connections) {
      if (to(connection)) connection.send(line);
    }
  };
  const unsubscribes = [
    chain.blocks.watchBlocks((height) =>
      broadcast('block', { height }, (connection) => connection.authenticated),
    ),
    chain.events.onAppend((event: LoggedEvent) =>
      broadcast('event', event, (connection) => connection.subscribed),
    ),
  ];
  const unsubscribeAll = () => {
    for (const unsubscribe of unsubscribes) unsubscribe();
  };

  const server = createServer((socket) => {
    const connection = new ServerConnection(socket, context);
    connections.add(connection);
    refusing = false;
    socket.on('close', () => connections.delete(connection));
  });
  server.maxConnections = maxConnections;
  // Node closes a connection over the limit before our handler sees it and tells us here.
  server.on('drop', (dropped) => {
    refusedConnections++;
    // One line when the limit is hit, then one per 100 refusals: a flood does not flood the log.
    if (!refusing || refusedConnections % 100 === 0) {
      log.warn(
        { maxConnections, refused: refusedConnections, from: dropped?.remoteAddress },
        'chain server at its connection limit: refusing connections',
      );
    }
    refusing = true;
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    unsubscribeAll();
    throw new Error(`chain server cannot listen on ${host}:${options.port}: ${reasonOf(err)}`);
  }
  server.on('error', (err) => log.error({ err: err.message }, 'chain server error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url }, 'chain server listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    get refusedConnections() {
      return refusedConnections;
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        unsubscribeAll();
        for (const connection of connections) connection.socket.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
