import { type OperatorKey, signWithOperatorKey } from '../../crypto/operator-key.js';
import { type Logger, reasonOf } from '../../log.js';
import {
  blockCounterApi,
  operatorRegistryApi,
  randomBeaconApi,
  walletRegistryApi,
} from '../api/chain-api.js';
import { CHAIN_EVENT_SCHEMAS } from '../api/schemas.js';
import { type EventSource, subscriptionsOf } from '../api/subscriptions.js';
import { BlockNotifier } from '../block-notifier.js';
import { type ChainEventName, type ChainEvents, isChainEventName } from '../events.js';
import { AsyncEmitter } from '../local/async-emitter.js';
import {
  type Address,
  type BlockCounter,
  type Chain,
  ChainError,
  type OperatorRegistry,
  type RandomBeacon,
  type Unsubscribe,
  type WalletRegistry,
} from '../types.js';
import { type EventCursor, type EventCursorStore, MemoryEventCursorStore } from './event-cursor.js';
import { helloMessage, RpcCode } from './protocol.js';
import { answerOf, type RpcCall, remoteMethods } from './remote-methods.js';
import { ChainRpcError, openSocket, RpcConnection } from './rpc-connection.js';
import { blockNotification, type EventsPage, sessionApi, wireEvent } from './session-api.js';

export interface ChainClientOptions {
  /** tcp://host:port of a chain server. */
  readonly url: string;
  readonly key: OperatorKey;
  readonly log: Logger;
  /** First delay before reconnecting; doubles after each failed attempt up to 5 s. Default 500 ms. */
  readonly reconnectDelayMs?: number;
  /** A call unanswered this long rejects with a ChainError. Default 30 s. */
  readonly callTimeoutMs?: number;
  /**
   * Where the position of the last delivered event is kept; events after it are replayed on
   * connecting. Default: in memory (a restart starts at the chain's newest event).
   */
  readonly cursor?: EventCursorStore;
  /**
   * Deliver no event until `startEvents()`: a node subscribes its listeners first, so the
   * events replayed at start-up reach them.
   */
  readonly holdEvents?: boolean;
}

const MAX_RECONNECT_DELAY_MS = 5_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;

type WireEvent = EventsPage['events'][number];

function parseChainUrl(url: string): { host: string; port: number } {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  const port = Number(parsed?.port);
  if (parsed?.protocol !== 'tcp:' || !parsed.hostname || !Number.isInteger(port) || port <= 0) {
    throw new Error(`invalid chain server URL ${JSON.stringify(url)}: expected tcp://host:port`);
  }
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/** Connects to a chain server; rejects with a one-line Error naming the URL if the first attempt fails. */
export function connectChain(options: ChainClientOptions): Promise<ChainClient> {
  return ChainClient.open(options);
}

/**
 * The chain served by a chain server, acting for `key`'s operator. Calls are RPCs (they reject with
 * a ChainError while disconnected); blocks and events are pushed by the server. When the
 * connection drops the client reconnects by itself; the blocks of the gap are skipped (the
 * height jumps), its events are replayed from the server's event log, each delivered once.
 */
export class ChainClient implements Chain {
  readonly operator: Address;
  readonly blocks: BlockCounter;
  readonly operatorRegistry: OperatorRegistry;
  readonly walletRegistry: WalletRegistry;
  readonly randomBeacon: RandomBeacon;

  private connection: RpcConnection | undefined;
  private readonly connectionListeners = new Set<{ readonly listener: (connected: boolean) => void }>();
  /** Each event name's emitter, created when first subscribed to or delivered. */
  private readonly emitters = new Map<ChainEventName, AsyncEmitter<unknown>>();
  private readonly onListenerError: (error: unknown) => void;
  private readonly blockNotifier: BlockNotifier;
  private height = 0;
  private reconnectDelayMs: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly callTimeoutMs: number;
  private readonly cursorStore: EventCursorStore;
  private cursor: EventCursor | undefined;
  private eventsWanted: boolean;
  /** While a subscription's replay runs: live events of its connection wait here. */
  private replay: { readonly connection: RpcConnection; readonly pending: WireEvent[] } | undefined;
  private cursorSaveFailed = false;

  private constructor(
    private readonly options: ChainClientOptions,
    private readonly endpoint: { host: string; port: number },
  ) {
    this.operator = options.key.address;
    this.reconnectDelayMs = options.reconnectDelayMs ?? 500;
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.eventsWanted = !options.holdEvents;
    this.cursorStore = options.cursor ?? new MemoryEventCursorStore();
    try {
      this.cursor = this.cursorStore.load();
    } catch (err) {
      options.log.warn(
        { err: reasonOf(err) },
        'ignoring the chain event cursor: starting at the newest event',
      );
    }
    this.onListenerError = (error: unknown) =>
      options.log.warn({ err: reasonOf(error) }, 'chain listener threw');
    this.blockNotifier = new BlockNotifier(this.onListenerError);
    const call: RpcCall = (rpcName, params) => this.call(rpcName, params);
    const events: EventSource = (name, listener) => this.on(name, listener);
    this.blocks = {
      ...remoteMethods(blockCounterApi, call),
      watchBlocks: (listener) => this.blockNotifier.watch(listener),
      waitForBlock: (height, signal) => this.blockNotifier.wait(this.height, height, signal),
    };
    this.operatorRegistry = remoteMethods(operatorRegistryApi, call);
    this.walletRegistry = {
      ...remoteMethods(walletRegistryApi, call),
      ...subscriptionsOf(walletRegistryApi, events),
    };
    this.randomBeacon = {
      ...remoteMethods(randomBeaconApi, call),
      ...subscriptionsOf(randomBeaconApi, events),
    };
  }

  /** See connectChain. */
  static async open(options: ChainClientOptions): Promise<ChainClient> {
    const client = new ChainClient(options, parseChainUrl(options.url));
    try {
      await client.attach();
    } catch (err) {
      await client.close();
      throw new Error(`cannot connect to the chain server at ${options.url}: ${reasonOf(err)}`);
    }
    return client;
  }

  get connected(): boolean {
    return this.connection?.isOpen ?? false;
  }

  /** Called with `false` when the connection drops and `true` once it is re-established. */
  onConnectionChange(listener: (connected: boolean) => void): Unsubscribe {
    const entry = { listener };
    this.connectionListeners.add(entry);
    return () => {
      this.connectionListeners.delete(entry);
    };
  }

  /** Stakes this client's operator key (devnet self-staking); an earlier registration is success too. */
  async registerOperator(stake: bigint): Promise<{ address: Address; alreadyRegistered: boolean }> {
    try {
      const answer = await this.call('registerOperator', { stake });
      const { address } = answerOf(sessionApi.registerOperator.result, 'registerOperator', answer);
      return { address, alreadyRegistered: false };
    } catch (err) {
      if (err instanceof ChainRpcError && err.code === RpcCode.alreadyRegistered) {
        return { address: this.operator, alreadyRegistered: true };
      }
      throw err;
    }
  }

  /** With `holdEvents`: starts delivering events (those missed since the saved cursor first). */
  startEvents(): void {
    if (this.eventsWanted || this.closed) return;
    this.eventsWanted = true;
    const connection = this.connection;
    if (!connection?.isOpen) return; // the next connection subscribes
    this.subscribe(connection).catch((err: Error) => {
      this.options.log.warn({ err: err.message }, 'chain event subscription failed; reconnecting');
      connection.destroy();
    });
  }

  /** Where event delivery stands (undefined before the first subscription). */
  get eventCursor(): EventCursor | undefined {
    return this.cursor;
  }

  /** Disconnects for good: pending calls and block waits reject, no reconnection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.connection?.destroy();
    this.connection = undefined;
    this.blockNotifier.close('chain client is closed');
    this.connectionListeners.clear();
    for (const emitter of this.emitters.values()) emitter.clear();
  }

  /** One connection attempt: TCP, hello, authenticate, then the current height. */
  private async attach(): Promise<void> {
    const { key } = this.options;
    const socket = await openSocket(this.endpoint.host, this.endpoint.port, HANDSHAKE_TIMEOUT_MS);
    const connection: RpcConnection = new RpcConnection(socket, {
      notification: (method, params) => this.onNotification(connection, method, params),
      closed: () => this.onClosed(connection),
    });
    try {
      const hello = await connection.call('hello', { publicKey: key.publicKey }, HANDSHAKE_TIMEOUT_MS);
      const parsed = sessionApi.hello.result.safeParse(hello);
      if (!parsed.success) throw new Error('the server sent no hello nonce');
      const { nonce } = parsed.data;
      const signature = signWithOperatorKey(key, helloMessage(nonce));
      await connection.call('authenticate', { signature }, HANDSHAKE_TIMEOUT_MS);
      const { currentBlock } = blockCounterApi;
      const answer = await connection.call(currentBlock.rpcName, {}, HANDSHAKE_TIMEOUT_MS);
      const height = answerOf(currentBlock.result, currentBlock.rpcName, answer);
      if (this.closed) throw new ChainError('chain client is closed');
      if (!connection.isOpen) throw new ChainError('chain connection lost');
      this.connection = connection;
      this.syncHeight(height);
      // Listeners may call the chain once a replayed event reaches them: the connection is set.
      if (this.eventsWanted) await this.subscribe(connection);
    } catch (err) {
      connection.destroy();
      throw err;
    }
    this.reconnectDelayMs = this.options.reconnectDelayMs ?? 500;
    this.notifyConnection(true);
  }

  /**
   * Asks for the events after the cursor (page by page) and for every later one; events pushed
   * meanwhile wait until the replay is done. Delivery skips what the cursor has passed.
   */
  private async subscribe(connection: RpcConnection): Promise<void> {
    const pending: WireEvent[] = [];
    this.replay = { connection, pending };
    try {
      for (let first = true; ; first = false) {
        const params = { chainId: this.cursor?.chainId, after: this.cursor?.seq };
        const answer = await connection.call('subscribeEvents', params, this.callTimeoutMs);
        const page = answerOf(sessionApi.subscribeEvents.result, 'subscribeEvents', answer);
        if (first) this.adopt(page);
        if (page.truncated) {
          this.options.log.warn(
            { after: this.cursor?.seq, oldestKept: page.events[0]?.seq },
            'the chain server no longer keeps some events this client missed',
          );
        }
        for (const event of page.events) this.deliver(event);
        if (!page.more) break;
      }
    } finally {
      if (this.replay?.connection === connection) this.replay = undefined;
    }
    for (const event of pending) this.deliver(event);
  }

  /** A first answer from a chain the cursor does not belong to, or is ahead of: start at its head. */
  private adopt(page: EventsPage): void {
    const cursor = this.cursor;
    if (cursor && cursor.chainId === page.chainId && cursor.seq <= page.head) return;
    if (cursor) {
      const reason = cursor.chainId === page.chainId ? 'is behind this client' : 'runs another chain';
      this.options.log.warn(
        { was: cursor, head: page.head },
        `the chain server ${reason}: events are taken from its newest one`,
      );
    }
    this.moveCursor({ chainId: page.chainId, seq: page.head, block: this.height });
  }

  private deliver(event: WireEvent): void {
    const cursor = this.cursor;
    if (!cursor || event.seq <= cursor.seq) return; // delivered before
    if (!isChainEventName(event.name) || !Number.isInteger(event.block)) return;
    if (event.seq > cursor.seq + 1) {
      this.options.log.warn({ from: cursor.seq + 1, to: event.seq - 1 }, 'chain events missing');
    }
    this.emitter(event.name).emit(event.data);
    this.moveCursor({ chainId: cursor.chainId, seq: event.seq, block: event.block });
  }

  /** Listeners get an event's data once it has the event's shape (`CHAIN_EVENT_SCHEMAS`). */
  private on<K extends ChainEventName>(name: K, listener: (event: ChainEvents[K]) => void): Unsubscribe {
    const schema = CHAIN_EVENT_SCHEMAS[name];
    return this.emitter(name).on((data) => {
      const parsed = schema.safeParse(data);
      if (parsed.success) listener(parsed.data);
      else this.options.log.warn({ event: name }, 'dropping a chain event whose data is malformed');
    });
  }

  private emitter(name: ChainEventName): AsyncEmitter<unknown> {
    let emitter = this.emitters.get(name);
    if (!emitter) {
      emitter = new AsyncEmitter<unknown>(this.onListenerError);
      this.emitters.set(name, emitter);
    }
    return emitter;
  }

  private moveCursor(cursor: EventCursor): void {
    this.cursor = cursor;
    try {
      this.cursorStore.save(cursor);
      this.cursorSaveFailed = false;
    } catch (err) {
      if (!this.cursorSaveFailed) {
        this.options.log.warn({ err: reasonOf(err) }, 'cannot save the chain event cursor');
      }
      this.cursorSaveFailed = true;
    }
  }

  private onClosed(connection: RpcConnection): void {
    if (this.connection !== connection) return; // a handshake that failed, or after close()
    this.connection = undefined;
    this.options.log.warn({ url: this.options.url }, 'chain connection lost; reconnecting');
    this.notifyConnection(false);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.attach().then(
        () => this.options.log.info({ url: this.options.url }, 'chain connection re-established'),
        (err: Error) => {
          this.options.log.debug({ url: this.options.url, err: err.message }, 'chain reconnection failed');
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.reconnectTimer.unref();
  }

  private notifyConnection(connected: boolean): void {
    for (const { listener } of [...this.connectionListeners]) {
      try {
        listener(connected);
      } catch (err) {
        this.options.log.warn({ err: reasonOf(err) }, 'connection listener threw');
      }
    }
  }

  private call(method: string, params: object): Promise<unknown> {
    const connection = this.connection;
    if (this.closed) return Promise.reject(new ChainError('chain client is closed'));
    if (!connection?.isOpen) {
      return Promise.reject(new ChainError(`not connected to the chain server at ${this.options.url}`));
    }
    return connection.call(method, params, this.callTimeoutMs);
  }

  private onNotification(connection: RpcConnection, method: string, params: unknown): void {
    if (method === 'block') {
      const block = blockNotification.safeParse(params);
      if (block.success) this.advanceTo(block.data.height);
    } else if (method === 'event') {
      const parsed = wireEvent.safeParse(params);
      if (!parsed.success) return;
      if (this.replay?.connection === connection) this.replay.pending.push(parsed.data);
      else if (this.connection === connection) this.deliver(parsed.data);
    }
  }

  /** After (re)connecting: the server's height is the truth, even if it went back (a new devnet). */
  private syncHeight(height: number): void {
    if (height < this.height) {
      this.options.log.warn({ was: this.height, now: height }, 'chain height went back');
      this.height = height;
      return;
    }
    this.advanceTo(height);
  }

  private advanceTo(height: number): void {
    if (height <= this.height) return;
    this.height = height;
    this.blockNotifier.announce(height);
  }
}
