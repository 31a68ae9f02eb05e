import { createServer, type Socket } from 'node:net';
import { randomBytes } from '@noble/hashes/utils.js';
import { operatorAddress, verifyOperatorSignature } from '../../crypto/operator-key.js';
import type { Logger } from '../../log.js';
import type { LocalChain } from '../local/local-chain.js';
import { type Address, type Chain, ChainError, type DkgFlow, type RandomBeacon } from '../types.js';
import {
  type ChainEventName,
  type ChainEvents,
  HELLO_NONCE_BYTES,
  helloMessage,
  RpcCode,
} from './protocol.js';
import { chainMethods, InvalidParamsError, paramsOf } from './server-methods.js';
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
}

export interface ChainServer {
  /** tcp://host:port, what clients pass to connectChain. */
  readonly url: string;
  readonly port: number;
  /** Closes every connection and stops listening. */
  close(): Promise<void>;
}

/** Events are the same for every operator; the server watches them through this address. */
const OBSERVER: Address = `0x${'0'.repeat(40)}`;

/** A refusal with its JSON-RPC code, answered as is. */
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
      this.drop((err as Error).message);
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
    const run = chainMethods.get(method);
    if (!run) throw new RpcFailure(RpcCode.methodNotFound, `method not found: ${method}`);
    return run(session.chain, params);
  }

  private hello(params: unknown): { nonce: Uint8Array } {
    if (this.authenticated) throw new RpcFailure(RpcCode.invalidRequest, 'already authenticated');
    const { publicKey } = paramsOf('hello', params);
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
    const { signature } = paramsOf('authenticate', params);
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

  /** Self-staking, as devnet operators do: always the connection's own key. */
  private async registerOperator(
    session: Extract<Session, { phase: 'authenticated' }>,
    params: unknown,
  ): Promise<{ address: Address }> {
    const { stake } = paramsOf('registerOperator', params);
    const operators = await session.chain.operatorRegistry.operators();
    if (operators.some((operator) => operator.address === session.address)) {
      throw new RpcFailure(RpcCode.alreadyRegistered, `operator ${session.address} is already registered`);
    }
    return { address: this.context.chain.registerOperator(session.publicKey, stake) };
  }
}

function decodeParams(params: unknown): unknown {
  try {
    return fromWire(params);
  } catch (err) {
    throw new InvalidParamsError(`invalid params: ${(err as Error).message}`);
  }
}

type EventSink = <K extends ChainEventName>(name: K) => (data: ChainEvents[K]) => void;

/** A registry's DKG flow events, named as is (wallet registry) or with a `Beacon` prefix. */
function dkgFlowEvents(prefix: '' | 'Beacon', flow: DkgFlow, event: EventSink): (() => void)[] {
  const named = (name: string) => event(`${prefix}${name}` as ChainEventName) as (data: unknown) => void;
  return [
    flow.onDkgStarted(named('DkgStarted')),
    flow.onDkgResultSubmitted(named('DkgResultSubmitted')),
    flow.onDkgResultChallenged(named('DkgResultChallenged')),
    flow.onDkgResultApproved(named('DkgResultApproved')),
    flow.onDkgTimedOut(named('DkgTimedOut')),
  ];
}

function beaconEvents(beacon: RandomBeacon, event: EventSink): (() => void)[] {
  return [
    ...dkgFlowEvents('Beacon', beacon, event),
    beacon.onGroupRegistered(event('BeaconGroupRegistered')),
    beacon.onRelayEntryRequested(event('RelayEntryRequested')),
    beacon.onRelayEntrySubmitted(event('RelayEntrySubmitted')),
    beacon.onRelayEntryTimedOut(event('RelayEntryTimedOut')),
  ];
}

/** Serves `chain` on host:port to chain clients (newline-delimited JSON-RPC 2.0 over TCP). */
export async function startChainServer(options: ChainServerOptions): Promise<ChainServer> {
  const { chain, host, log } = options;
  const context: ConnectionContext = {
    chain,
    log,
    maxBufferedBytes: options.maxBufferedBytes ?? 8 * 1024 * 1024,
    authTimeoutMs: options.authTimeoutMs ?? 10_000,
  };
  const connections = new Set<ServerConnection>();
  const broadcast = (method: string, params: unknown) => {
    if (connections.size === 0) return;
    const line = encodeLine(notificationMessage(method, params));
    for (const connection of connections) {
      if (connection.authenticated) connection.send(line);
    }
  };
  const event =
    <K extends ChainEventName>(name: K) =>
    (data: ChainEvents[K]) =>
      broadcast('event', { name, data });
  const registry = chain.connect(OBSERVER).walletRegistry;
  const unsubscribes = [
    chain.blocks.watchBlocks((height) => broadcast('block', { height })),
    ...dkgFlowEvents('', registry, event),
    registry.onWalletRegistered(event('WalletRegistered')),
    registry.onInactivityClaimed(event('InactivityClaimed')),
    ...beaconEvents(chain.connect(OBSERVER).randomBeacon, event),
  ];
  const unsubscribeAll = () => {
    for (const unsubscribe of unsubscribes) unsubscribe();
  };

  const server = createServer((socket) => {
    const connection = new ServerConnection(socket, context);
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
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
    throw new Error(`chain server cannot listen on ${host}:${options.port}: ${(err as Error).message}`);
  }
  server.on('error', (err) => log.error({ err: err.message }, 'chain server error'));
  const port = (server.address() as { port: number }).port;
  const url = `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url }, 'chain server listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
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
