import { type OperatorKey, signWithOperatorKey } from '../../crypto/operator-key.js';
import type { Logger } from '../../log.js';
import { BlockNotifier } from '../block-notifier.js';
import { AsyncEmitter } from '../local/async-emitter.js';
import {
  type Address,
  type BeaconGroupRegisteredEvent,
  type BeaconParameters,
  type BlockCounter,
  type Chain,
  ChainError,
  type DkgFlow,
  type DkgParameters,
  type DkgResult,
  type DkgState,
  type OperatorRegistry,
  type RandomBeacon,
  type RelayEntryRequestedEvent,
  type Unsubscribe,
  type WalletRegisteredEvent,
  type WalletRegistry,
} from '../types.js';
import {
  CHAIN_EVENT_NAMES,
  type ChainEventName,
  type ChainEvents,
  dkgFlowMethodName,
  helloMessage,
  RpcCode,
} from './protocol.js';
import type { LoggedEvent } from '../events.js';
import { type EventCursor, type EventCursorStore, MemoryEventCursorStore } from './event-cursor.js';
import { ChainRpcError, openSocket, RpcConnection } from './rpc-connection.js';

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

/** The answer to `subscribeEvents`. */
interface EventsPage {
  readonly chainId: string;
  readonly head: number;
  readonly events: readonly LoggedEvent[];
  readonly truncated: boolean;
  readonly more: boolean;
}

const MAX_RECONNECT_DELAY_MS = 5_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;

type Emitters = { [K in ChainEventName]: AsyncEmitter<ChainEvents[K]> };

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
 * The chain served by a chain server, as `key`'s operator. Calls are RPCs (they reject with
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
  private readonly emitters: Emitters;
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
  private replay: { readonly connection: RpcConnection; readonly pending: LoggedEvent[] } | undefined;
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
        { err: (err as Error).message },
        'ignoring the chain event cursor: starting at the newest event',
      );
    }
    const onListenerError = (error: unknown) =>
      options.log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'chain listener threw',
      );
    this.blockNotifier = new BlockNotifier(onListenerError);
    this.emitters = Object.fromEntries(
      CHAIN_EVENT_NAMES.map((name) => [name, new AsyncEmitter(onListenerError)]),
    ) as Emitters;
    this.blocks = this.blockCounter();
    this.operatorRegistry = {
      operators: async () => (await this.call('operators')) as { address: Address; stake: bigint }[],
    };
    this.walletRegistry = this.registry();
    this.randomBeacon = this.beacon();
  }

  /** See connectChain. */
  static async open(options: ChainClientOptions): Promise<ChainClient> {
    const client = new ChainClient(options, parseChainUrl(options.url));
    try {
      await client.attach();
    } catch (err) {
      await client.close();
      throw new Error(`cannot connect to the chain server at ${options.url}: ${(err as Error).message}`);
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

  /** Stakes this client's operator key (devnet self-staking); an earlier registration counts as success. */
  async registerOperator(stake: bigint): Promise<{ address: Address; alreadyRegistered: boolean }> {
    try {
      const { address } = (await this.call('registerOperator', { stake })) as { address: Address };
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
    for (const emitter of Object.values(this.emitters)) emitter.clear();
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
      const nonce = (hello as { nonce?: unknown } | null)?.nonce;
      if (!(nonce instanceof Uint8Array)) throw new Error('the server sent no hello nonce');
      const signature = signWithOperatorKey(key, helloMessage(nonce));
      await connection.call('authenticate', { signature }, HANDSHAKE_TIMEOUT_MS);
      const height = (await connection.call('currentBlock', {}, HANDSHAKE_TIMEOUT_MS)) as number;
      if (this.closed) throw new ChainError('chain client is closed');
      if (!connection.isOpen) throw new ChainError('chain connection lost');
      this.connection = connection;
      this.syncHeight(height);
      // Listeners may call the chain as soon as a replayed event reaches them: the connection is set.
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
    const pending: LoggedEvent[] = [];
    this.replay = { connection, pending };
    try {
      for (let first = true; ; first = false) {
        const page = (await connection.call(
          'subscribeEvents',
          { chainId: this.cursor?.chainId, after: this.cursor?.seq },
          this.callTimeoutMs,
        )) as EventsPage;
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

  private deliver(event: LoggedEvent): void {
    const cursor = this.cursor;
    if (!cursor || event.seq <= cursor.seq) return; // delivered before
    if (!CHAIN_EVENT_NAMES.includes(event.name) || !Number.isInteger(event.block)) return;
    if (event.seq > cursor.seq + 1) {
      this.options.log.warn({ from: cursor.seq + 1, to: event.seq - 1 }, 'chain events missing');
    }
    (this.emitters[event.name] as AsyncEmitter<unknown>).emit(event.data);
    this.moveCursor({ chainId: cursor.chainId, seq: event.seq, block: event.block });
  }

  private moveCursor(cursor: EventCursor): void {
    this.cursor = cursor;
    try {
      this.cursorStore.save(cursor);
      this.cursorSaveFailed = false;
    } catch (err) {
      if (!this.cursorSaveFailed) {
        this.options.log.warn({ err: (err as Error).message }, 'cannot save the chain event cursor');
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
        this.options.log.warn({ err: (err as Error).message }, 'connection listener threw');
      }
    }
  }

  private call(method: string, params: object = {}): Promise<unknown> {
    const connection = this.connection;
    if (this.closed) return Promise.reject(new ChainError('chain client is closed'));
    if (!connection?.isOpen) {
      return Promise.reject(new ChainError(`not connected to the chain server at ${this.options.url}`));
    }
    return connection.call(method, params, this.callTimeoutMs);
  }

  private onNotification(connection: RpcConnection, method: string, params: unknown): void {
    const fields = (params ?? {}) as Record<string, unknown>;
    if (method === 'block' && typeof fields.height === 'number') {
      this.advanceTo(fields.height);
    } else if (method === 'event' && typeof fields.seq === 'number') {
      const event = fields as unknown as LoggedEvent;
      if (this.replay?.connection === connection) this.replay.pending.push(event);
      else if (this.connection === connection) this.deliver(event);
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

  private blockCounter(): BlockCounter {
    return {
      currentBlock: async () => (await this.call('currentBlock')) as number,
      blockHash: async (height) => (await this.call('blockHash', { height })) as Uint8Array,
      watchBlocks: (listener) => this.blockNotifier.watch(listener),
      waitForBlock: (height, signal) => this.blockNotifier.wait(this.height, height, signal),
    };
  }

  private on<K extends ChainEventName>(name: K) {
    return (listener: (event: ChainEvents[K]) => void): Unsubscribe => this.emitters[name].on(listener);
  }

  private async send(method: string, params?: object): Promise<void> {
    await this.call(method, params);
  }

  /**
   * The DKG flow of a registry: the wallet registry's methods and events, or the random
   * beacon's (the same names with a `beacon`/`Beacon` prefix on the server).
   */
  private dkgFlow(prefix: '' | 'beacon'): DkgFlow {
    const method = (name: string) => dkgFlowMethodName(prefix, name);
    const event = (name: ChainEventName) => this.on((prefix ? `Beacon${name}` : name) as ChainEventName);
    const send = (name: string, params?: object) => this.send(method(name), params);
    return {
      dkgParameters: async () => (await this.call(method('dkgParameters'))) as DkgParameters,
      dkgState: async () => (await this.call(method('dkgState'))) as DkgState,
      selectGroup: async (seed) => (await this.call(method('selectGroup'), { seed })) as Address[],
      onDkgStarted: event('DkgStarted') as DkgFlow['onDkgStarted'],
      onDkgResultSubmitted: event('DkgResultSubmitted') as DkgFlow['onDkgResultSubmitted'],
      onDkgResultChallenged: event('DkgResultChallenged') as DkgFlow['onDkgResultChallenged'],
      onDkgResultApproved: event('DkgResultApproved') as DkgFlow['onDkgResultApproved'],
      onDkgTimedOut: event('DkgTimedOut') as DkgFlow['onDkgTimedOut'],
      isDkgResultValid: async (result: DkgResult) =>
        (await this.call(method('isDkgResultValid'), { result })) as { valid: boolean; reason?: string },
      submitDkgResult: (result) => send('submitDkgResult', { result }),
      challengeDkgResult: (result) => send('challengeDkgResult', { result }),
      approveDkgResult: (result) => send('approveDkgResult', { result }),
      notifyDkgTimeout: () => send('notifyDkgTimeout'),
    };
  }

  private registry(): WalletRegistry {
    const on = <K extends ChainEventName>(name: K) => this.on(name);
    const send = (method: string, params?: object) => this.send(method, params);
    return {
      ...this.dkgFlow(''),
      onWalletRegistered: on('WalletRegistered'),
      registeredWallets: async () => (await this.call('registeredWallets')) as WalletRegisteredEvent[],
      requestNewWallet: () => send('requestNewWallet'),
      inactivityClaimNonce: async (walletId) =>
        (await this.call('inactivityClaimNonce', { walletId })) as number,
      submitInactivityClaim: (claim) => send('submitInactivityClaim', { claim }),
      onInactivityClaimed: on('InactivityClaimed'),
    };
  }

  private beacon(): RandomBeacon {
    const on = <K extends ChainEventName>(name: K) => this.on(name);
    const send = (method: string, params?: object) => this.send(method, params);
    return {
      ...this.dkgFlow('beacon'),
      onGroupRegistered: on('BeaconGroupRegistered'),
      beaconParameters: async () => (await this.call('beaconParameters')) as BeaconParameters,
      groups: async () => (await this.call('beaconGroups')) as BeaconGroupRegisteredEvent[],
      requestNewGroup: () => send('requestNewBeaconGroup'),
      requestRelayEntry: () => send('requestRelayEntry'),
      currentRelayRequest: async () =>
        ((await this.call('currentRelayRequest')) as RelayEntryRequestedEvent | null) ?? undefined,
      lastEntry: async () => (await this.call('lastRelayEntry')) as Uint8Array,
      submitRelayEntry: (requestId, entry) => send('submitRelayEntry', { requestId, entry }),
      reportRelayEntryTimeout: (requestId) => send('reportRelayEntryTimeout', { requestId }),
      onRelayEntryRequested: on('RelayEntryRequested'),
      onRelayEntrySubmitted: on('RelayEntrySubmitted'),
      onRelayEntryTimedOut: on('RelayEntryTimedOut'),
    };
  }
}
