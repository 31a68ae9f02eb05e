import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { describe, type TestContext, test } from 'node:test';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { pino } from 'pino';
import { dkgResultHash } from '../../src/chain/dkg-result.js';
import { LocalChain } from '../../src/chain/local/local-chain.js';
import { type ChainClient, connectChain } from '../../src/chain/rpc/chain-client.js';
import { startChainServer } from '../../src/chain/rpc/chain-server.js';
import { helloMessage, RpcCode } from '../../src/chain/rpc/protocol.js';
import {
  type Address,
  ChainError,
  type DkgParameters,
  type DkgResult,
  type Unsubscribe,
} from '../../src/chain/types.js';
import { generateOperatorKey, type OperatorKey, signWithOperatorKey } from '../../src/crypto/operator-key.js';
import { RPC_DKG } from '../helpers/chain-flows.js';
import { freePort } from '../helpers/process.js';
import { eventually } from '../helpers/wait.js';

const params = RPC_DKG;

const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const HOST = '127.0.0.1';

/** Sees events the way an operator of the embedded chain does. */
const OBSERVER: Address = `0x${'1'.repeat(40)}`;

function recorder<T>(subscribe: (listener: (event: T) => void) => Unsubscribe): T[] {
  const events: T[] = [];
  subscribe((event) => events.push(event));
  return events;
}

/** A chain (blocks on `mine()` only), its server and `clients` connected clients; all closed after the test. */
async function setup(t: TestContext, clients = 2, dkg: DkgParameters = params) {
  const chain = new LocalChain({ blockIntervalMs: 0, dkg });
  const servers = [await startChainServer({ chain, host: HOST, port: 0, log: quiet })];
  const keys = Array.from({ length: clients }, () => generateOperatorKey());
  const url = servers[0]!.url;
  const connected: ChainClient[] = [];
  const open = async (key: OperatorKey) => {
    const client = await connectChain({ url, key, log: quiet, reconnectDelayMs: 20 });
    connected.push(client);
    return client;
  };
  for (const key of keys) await open(key);
  t.after(async () => {
    await Promise.all(connected.map((client) => client.close()));
    await Promise.all(servers.map((server) => server.close()));
    chain.close();
  });
  const restartServer = async () => {
    const server = await startChainServer({ chain, host: HOST, port: servers[0]!.port, log: quiet });
    servers.push(server);
    return server;
  };
  return { chain, server: servers[0]!, url, keys, clients: connected, open, restartServer };
}

/** A JSON-RPC message as it arrived on a raw socket. */
interface Received {
  readonly id?: number | string | null;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string };
}

interface RawClient {
  readonly socket: Socket;
  /** Every JSON line received so far. */
  readonly messages: Received[];
  readonly closed: Promise<void>;
  send(text: string | Uint8Array): void;
  request(id: number, method: string, params?: unknown): void;
  answer(id: number | null): Promise<Received>;
}

/** A socket speaking the wire format by hand. */
async function rawClient(t: TestContext, port: number): Promise<RawClient> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(port, HOST, () => resolve(s));
    s.once('error', reject);
  });
  t.after(() => {
    socket.destroy();
  });
  socket.on('error', () => {});
  const messages: Received[] = [];
  let buffered = '';
  socket.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) messages.push(JSON.parse(line));
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const send = (text: string | Uint8Array) => {
    socket.write(text);
  };
  return {
    socket,
    messages,
    closed,
    send,
    request: (id, method, params) => send(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`),
    answer: (id) =>
      eventually(
        () => messages.find((message) => message.id === id),
        (message) => message !== undefined,
        5_000,
        `the answer to ${id}`,
      ) as Promise<Received>,
  };
}

function nonceOf(answer: Received): string {
  return (answer.result as { nonce: { $hex: string } }).nonce.$hex;
}

/** hello + authenticate by hand, exactly as documented. */
async function rawAuthenticate(raw: RawClient, key: OperatorKey): Promise<void> {
  raw.request(1, 'hello', { publicKey: { $hex: bytesToHex(key.publicKey) } });
  const nonce = hexToBytes(nonceOf(await raw.answer(1)));
  assert.equal(nonce.length, 32);
  const signature = signWithOperatorKey(key, helloMessage(nonce));
  raw.request(2, 'authenticate', { signature: { $hex: bytesToHex(signature) } });
  assert.deepEqual((await raw.answer(2)).result, { address: key.address });
}

describe('chain over RPC', () => {
  test('operators register themselves and read the same registry as the embedded chain', async (t) => {
    const { chain, keys, clients, open } = await setup(t);
    const [a, b] = clients as [ChainClient, ChainClient];
    assert.equal(a.operator, keys[0]!.address);
    assert.equal(a.connected, true);

    assert.deepEqual(await a.registerOperator(100n), { address: keys[0]!.address, alreadyRegistered: false });
    assert.deepEqual(await b.registerOperator(300n), { address: keys[1]!.address, alreadyRegistered: false });
    assert.deepEqual(await a.registerOperator(5n), { address: keys[0]!.address, alreadyRegistered: true });
    const third = await open(generateOperatorKey());
    await assert.rejects(third.registerOperator(0n), {
      name: 'ChainError',
      message: 'stake must be positive, got 0',
    });

    const embedded = await chain.connect(OBSERVER).operatorRegistry.operators();
    assert.equal(embedded.length, 2);
    assert.deepEqual(await b.operatorRegistry.operators(), embedded);
    assert.deepEqual(await a.walletRegistry.dkgParameters(), params);
    assert.equal(await a.walletRegistry.dkgState(), 'idle');
    assert.deepEqual(await a.walletRegistry.registeredWallets(), []);
  });

  test('blocks are pushed to watchers and waiters; currentBlock and blockHash ask the chain', async (t) => {
    const { chain, clients } = await setup(t);
    const [a, b] = clients as [ChainClient, ChainClient];
    const seenA: number[] = [];
    const seenB: number[] = [];
    const stopA = a.blocks.watchBlocks((height) => seenA.push(height));
    b.blocks.watchBlocks((height) => seenB.push(height));
    const reached = a.blocks.waitForBlock(3);

    chain.blocks.mine(3);
    await reached;
    await eventually(
      () => seenB.length,
      (n) => n === 3,
      5_000,
      'three blocks at b',
    );
    assert.deepEqual(seenA, [1, 2, 3]);
    assert.deepEqual(seenB, [1, 2, 3]);
    await a.blocks.waitForBlock(2); // already past: at once, with no new block

    assert.equal(await a.blocks.currentBlock(), 3);
    assert.deepEqual(await a.blocks.blockHash(2), chain.blocks.hashAt(2));
    await assert.rejects(a.blocks.blockHash(99), (err: unknown) => {
      return err instanceof ChainError && err.message === 'block 99 does not exist (current block is 3)';
    });

    const controller = new AbortController();
    const aborted = a.blocks.waitForBlock(10, controller.signal);
    controller.abort(new Error('stop waiting'));
    await assert.rejects(aborted, /stop waiting/);

    stopA();
    chain.blocks.mine();
    await eventually(
      () => seenB.length,
      (n) => n === 4,
      5_000,
      'block 4 at b',
    );
    assert.deepEqual(seenA, [1, 2, 3], 'no call after unsubscribing');

    const pending = a.blocks.waitForBlock(100);
    await a.close();
    await assert.rejects(pending, { name: 'ChainError', message: 'chain client is closed' });
    assert.equal(a.connected, false);
    await assert.rejects(a.blocks.currentBlock(), { name: 'ChainError', message: 'chain client is closed' });
  });

  test('a DKG over RPC: both clients see its events; results, bytes and refusals cross intact', async (t) => {
    const { chain, keys, clients } = await setup(t);
    const [a, b] = clients as [ChainClient, ChainClient];
    await a.registerOperator(100n);
    await b.registerOperator(300n);
    const clientOf = (address: Address) => clients[keys.findIndex((key) => key.address === address)]!;
    const keyOf = (address: Address) => keys.find((key) => key.address === address)!;
    const startedA = recorder(a.walletRegistry.onDkgStarted);
    const startedB = recorder(b.walletRegistry.onDkgStarted);
    const submittedB = recorder(b.walletRegistry.onDkgResultSubmitted);
    const approvedA = recorder(a.walletRegistry.onDkgResultApproved);
    const registeredA = recorder(a.walletRegistry.onWalletRegistered);
    const registeredB = recorder(b.walletRegistry.onWalletRegistered);
    chain.blocks.mine(2);

    await a.walletRegistry.requestNewWallet();
    await eventually(
      () => startedA.length + startedB.length,
      (n) => n === 2,
      5_000,
      'DkgStarted at a and b',
    );
    const { seed, blockNumber: startBlock } = startedA[0]!;
    assert.deepEqual(startedB[0], startedA[0]);
    assert.equal(seed.length, 32);
    assert.equal(startBlock, 2);
    await assert.rejects(b.walletRegistry.requestNewWallet(), (err: unknown) => {
      assert.ok(err instanceof ChainError);
      assert.equal(err.message, 'a DKG is already in progress (state: awaiting_result)');
      return true;
    });
    assert.equal(await b.walletRegistry.dkgState(), 'awaiting_result');

    const group = await a.walletRegistry.selectGroup(seed);
    assert.deepEqual(group, await chain.connect(OBSERVER).walletRegistry.selectGroup(seed));
    const base = {
      seed,
      submitterMemberIndex: 1,
      groupPublicKey: generateOperatorKey().publicKey,
      misbehavedMembersIndices: [],
      signingMembersIndices: [1, 2, 3],
    };
    const hash = dkgResultHash(base);
    const result: DkgResult = {
      ...base,
      signatures: group.map((operator) => signWithOperatorKey(keyOf(operator), hash)),
    };
    const submitter = clientOf(group[0]!);
    const other = submitter === a ? b : a;

    await assert.rejects(submitter.walletRegistry.submitDkgResult(result), {
      name: 'ChainError',
      message: `member 1 may submit from block ${startBlock + 2}; current block is ${startBlock}`,
    });
    chain.blocks.mine(2);
    await submitter.walletRegistry.submitDkgResult(result);
    await eventually(
      () => submittedB.length,
      (n) => n === 1,
      5_000,
      'DkgResultSubmitted at b',
    );
    assert.deepEqual(submittedB[0], { resultHash: hash, result, blockNumber: startBlock + 2 });
    assert.deepEqual(await other.walletRegistry.isDkgResultValid(result), { valid: true });
    assert.deepEqual(
      await other.walletRegistry.isDkgResultValid({ ...result, signatures: result.signatures.slice(1) }),
      { valid: false, reason: '2 signatures for 3 signing members' },
    );
    await assert.rejects(other.walletRegistry.challengeDkgResult(result), {
      name: 'ChainError',
      message: 'result is valid; it cannot be challenged',
    });

    chain.blocks.mine(3);
    await submitter.walletRegistry.approveDkgResult(result);
    await eventually(
      () => registeredA.length + registeredB.length,
      (n) => n === 2,
      5_000,
      'WalletRegistered',
    );
    const wallets = await chain.connect(OBSERVER).walletRegistry.registeredWallets();
    assert.equal(wallets.length, 1);
    assert.deepEqual(registeredA, wallets);
    assert.deepEqual(registeredB, wallets);
    assert.deepEqual(await b.walletRegistry.registeredWallets(), wallets);
    assert.deepEqual(approvedA, [
      { resultHash: hash, approver: submitter.operator, blockNumber: chain.blocks.height },
    ]);
    assert.equal(await a.walletRegistry.dkgState(), 'idle');

    await b.walletRegistry.requestNewWallet();
    chain.blocks.mine(31);
    await a.walletRegistry.notifyDkgTimeout();
    assert.equal(await b.walletRegistry.dkgState(), 'idle');
  });

  test('authentication: a wrong signature is refused; nothing but hello and authenticate is served before it', async (t) => {
    const { server, url, keys, clients } = await setup(t, 1);
    const forged: OperatorKey = { ...keys[0]!, privateKey: generateOperatorKey().privateKey };
    await assert.rejects(connectChain({ url, key: forged, log: quiet }), (err: Error) => {
      assert.equal(
        err.message,
        `cannot connect to the chain server at ${url}: ` +
          'authentication failed: the signature does not verify under the hello public key',
      );
      return true;
    });

    const closedPort = await freePort();
    await assert.rejects(
      connectChain({ url: `tcp://${HOST}:${closedPort}`, key: keys[0]!, log: quiet }),
      new RegExp(
        `^Error: cannot connect to the chain server at tcp://${HOST}:${closedPort}: .*ECONNREFUSED[^\\n]*$`,
      ),
    );
    await assert.rejects(
      connectChain({ url: 'http://localhost:1', key: keys[0]!, log: quiet }),
      /invalid chain server URL "http:\/\/localhost:1": expected tcp:\/\/host:port/,
    );

    const raw = await rawClient(t, server.port);
    raw.request(1, 'currentBlock');
    assert.equal((await raw.answer(1)).error?.code, RpcCode.unauthenticated);
    raw.request(2, 'hello', { publicKey: { $hex: '05'.padEnd(66, '0') } });
    assert.equal((await raw.answer(2)).error?.code, RpcCode.invalidParams);
    raw.request(3, 'authenticate', { signature: { $hex: '00'.repeat(64) } });
    assert.deepEqual((await raw.answer(3)).error, {
      code: RpcCode.unauthenticated,
      message: 'call hello first',
    });
    await raw.closed; // a refused authentication ends the connection

    const honest = await rawClient(t, server.port);
    await rawAuthenticate(honest, keys[0]!);
    honest.request(3, 'currentBlock');
    assert.deepEqual((await honest.answer(3)).result, 0);
    honest.request(4, 'hello', { publicKey: { $hex: bytesToHex(keys[0]!.publicKey) } });
    assert.deepEqual((await honest.answer(4)).error, {
      code: RpcCode.invalidRequest,
      message: 'already authenticated',
    });
    assert.equal(await clients[0]!.blocks.currentBlock(), 0);
  });

  test('garbage and an overlong line neither crash the server nor disturb other clients', async (t) => {
    const { chain, server, clients } = await setup(t, 1);
    const good = clients[0]!;
    const raw = await rawClient(t, server.port);
    raw.send(randomBytes(10_000));
    raw.send('\n{"jsonrpc":"2.0","id":\n[1,2]\n"just a string"\n');
    raw.send('{"jsonrpc":"1.0","id":5,"method":"currentBlock"}\n');
    raw.request(6, 'no such method');
    raw.request(7, 'hello', { publicKey: { $hex: 'zz' } });
    raw.request(8, 'hello', { publicKey: { $big: '12' } });
    raw.send('{"jsonrpc":"2.0","method":"hello"}\n'); // a notification: no answer
    raw.request(9, 'hello', { publicKey: { $hex: bytesToHex(generateOperatorKey().publicKey) } });
    assert.equal((await raw.answer(5)).error?.code, RpcCode.invalidRequest);
    assert.equal((await raw.answer(6)).error?.code, RpcCode.unauthenticated);
    assert.match((await raw.answer(7)).error?.message ?? '', /^invalid params: \$hex must be/);
    assert.equal((await raw.answer(8)).error?.code, RpcCode.invalidParams);
    assert.equal(nonceOf(await raw.answer(9)).length, 64);
    const nullIds = raw.messages
      .filter((message) => message.id === null)
      .map((message) => message.error?.code);
    assert.ok(nullIds.includes(RpcCode.parseError), 'parse errors are answered');
    assert.ok(nullIds.includes(RpcCode.invalidRequest), 'a batch is an invalid request');
    assert.equal(
      raw.messages.length,
      nullIds.length + 5,
      'one answer per request, none for the notification',
    );

    const flooder = await rawClient(t, server.port);
    flooder.send(Buffer.alloc(5 * 1024 * 1024, 'a'));
    await flooder.closed;

    const seen: number[] = [];
    good.blocks.watchBlocks((height) => seen.push(height));
    chain.blocks.mine();
    await eventually(
      () => seen,
      (heights) => heights.includes(1),
      5_000,
      'block 1',
    );
    assert.equal(await good.blocks.currentBlock(), 1);
    raw.request(10, 'currentBlock');
    assert.equal(
      (await raw.answer(10)).error?.code,
      RpcCode.unauthenticated,
      'the garbage sender is still served',
    );
  });

  test('a client that stops reading is dropped; the chain and the other clients carry on', async (t) => {
    const chain = new LocalChain({ blockIntervalMs: 0, dkg: params });
    for (let i = 0; i < 250; i++) chain.registerOperator(generateOperatorKey().publicKey, 1n);
    const logged: { msg?: string; operator?: string }[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const server = await startChainServer({ chain, host: HOST, port: 0, log, maxBufferedBytes: 64 * 1024 });
    const good = await connectChain({ url: server.url, key: generateOperatorKey(), log: quiet });
    t.after(async () => {
      await good.close();
      await server.close();
      chain.close();
    });
    const slowKey = generateOperatorKey();
    const slow = await rawClient(t, server.port);
    await rawAuthenticate(slow, slowKey);

    slow.socket.pause();
    const requests = 2400; // ~20 kB each, ~47 MB in all: far more than the socket buffers hold
    for (let id = 100; id < 100 + requests; id++) slow.request(id, 'operators');
    await eventually(
      () => logged.filter((entry) => entry.msg === 'dropping chain client'),
      (drops) => drops.length === 1,
      10_000,
      'the slow client dropped',
    );
    assert.equal(logged.find((entry) => entry.msg === 'dropping chain client')!.operator, slowKey.address);
    slow.socket.resume();
    await slow.closed;
    const answered = slow.messages.filter(
      (message) => typeof message.id === 'number' && message.id >= 100,
    ).length;
    assert.ok(answered < requests, `${answered} of ${requests} answered before the drop`);

    const reached = good.blocks.waitForBlock(1);
    chain.blocks.mine();
    await reached;
    assert.equal((await good.operatorRegistry.operators()).length, 250);
  });

  test('after the server goes away the client reconnects and events keep coming', async (t) => {
    const { chain, server, clients, restartServer } = await setup(t, 1);
    const a = clients[0]!;
    await a.registerOperator(10n);
    const changes: boolean[] = [];
    a.onConnectionChange((connected) => changes.push(connected));
    const started = recorder(a.walletRegistry.onDkgStarted);
    const seen: number[] = [];
    a.blocks.watchBlocks((height) => seen.push(height));
    const acrossTheGap = a.blocks.waitForBlock(4);

    const pending = a.blocks.currentBlock();
    const closing = server.close();
    await assert.rejects(pending, { name: 'ChainError', message: 'chain connection lost' });
    await closing;
    await eventually(
      () => a.connected,
      (connected) => !connected,
      5_000,
      'disconnected',
    );
    assert.deepEqual(changes, [false]);
    await assert.rejects(a.blocks.currentBlock(), (err: unknown) => {
      return err instanceof ChainError && /^not connected to the chain server at tcp:\/\//.test(err.message);
    });
    chain.blocks.mine(2); // unseen: nobody serves the chain
    await new Promise((resolve) => setTimeout(resolve, 100)); // a few refused reconnection attempts

    await restartServer();
    await eventually(
      () => a.connected,
      (connected) => connected,
      5_000,
      'reconnected',
    );
    assert.deepEqual(changes, [false, true]);
    assert.equal(await a.blocks.currentBlock(), 2);
    assert.deepEqual(seen, [2], 'the height found on reconnecting');

    chain.blocks.mine(2);
    await acrossTheGap;
    await chain.connect(OBSERVER).walletRegistry.requestNewWallet();
    await eventually(
      () => started.length,
      (n) => n === 1,
      5_000,
      'DkgStarted after reconnecting',
    );
    assert.equal(started[0]!.blockNumber, 4);
    assert.deepEqual(seen, [2, 3, 4]);
  });
});
