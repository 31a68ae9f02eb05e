import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, type TestContext, test } from 'node:test';
import { pino } from 'pino';
import { LocalChain } from '../../src/chain/local/local-chain.js';
import { DEFAULT_MAX_STAKE } from '../../src/chain/local/sortition-pool.js';
import { connectChain } from '../../src/chain/rpc/chain-client.js';
import { startChainServer } from '../../src/chain/rpc/chain-server.js';
import { RpcCode } from '../../src/chain/rpc/protocol.js';
import { ChainError } from '../../src/chain/types.js';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { RPC_DKG } from '../helpers/chain-flows.js';
import { eventually } from '../helpers/wait.js';

const HOST = '127.0.0.1';
const dkg = RPC_DKG;

/** A server whose warnings are collected; closed after the test. */
async function setup(t: TestContext, maxConnections?: number) {
  const chain = new LocalChain({ blockIntervalMs: 0, dkg });
  const logged: Record<string, unknown>[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  const server = await startChainServer({ chain, host: HOST, port: 0, log, maxConnections });
  const sockets: Socket[] = [];
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await server.close();
    chain.close();
  });
  /** A raw socket with its received text and a promise of its close. */
  const open = async () => {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(server.port, HOST, () => resolve(s));
      s.once('error', reject);
    });
    socket.on('error', () => {});
    sockets.push(socket);
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    return { socket, closed, received: () => received };
  };
  return { chain, server, logged, open };
}

describe('chain server edges', () => {
  test('connections beyond the limit are closed at once, counted and logged; a freed slot is usable', async (t) => {
    const { server, logged, open } = await setup(t, 3);
    const idle = [await open(), await open(), await open()];
    const refused = await open();
    await refused.closed;
    assert.equal(server.refusedConnections, 1);
    const warning = logged.find(
      (line) => line.msg === 'chain server at its connection limit: refusing connections',
    );
    assert.ok(warning, 'a log line says why');
    assert.equal(warning.maxConnections, 3);

    idle[0]!.socket.destroy();
    await idle[0]!.closed;
    const client = await eventually(
      () =>
        connectChain({ url: server.url, key: generateOperatorKey(), log: pino({ level: 'silent' }) }).catch(
          () => undefined,
        ),
      (connected) => connected !== undefined,
      10_000,
      'a connection in the freed slot',
    );
    t.after(() => client!.close());
    assert.equal(await client!.blocks.currentBlock(), 0);
  });

  test('a deeply nested request is refused before parsing and the server keeps serving', async (t) => {
    const { server, open } = await setup(t);
    const raw = await open();
    const depth = 1_500_000;
    raw.socket.write(
      `{"jsonrpc":"2.0","id":1,"method":"hello","params":${'['.repeat(depth)}${']'.repeat(depth)}}\n`,
    );
    raw.socket.write('{"jsonrpc":"2.0","id":2,"method":"currentBlock"}\n');
    const answers = await eventually(
      () => raw.received().split('\n').filter(Boolean),
      (lines) => lines.length === 2,
      30_000,
      'two answers',
    );
    const [nested, next] = answers.map((line) => JSON.parse(line));
    assert.equal(nested.error.code, RpcCode.invalidRequest);
    assert.equal(nested.error.message, 'the message nests deeper than 32 levels');
    assert.equal(next.id, 2, 'the same connection is still served');
    const client = await connectChain({
      url: server.url,
      key: generateOperatorKey(),
      log: pino({ level: 'silent' }),
    });
    t.after(() => client.close());
    assert.equal(await client.blocks.currentBlock(), 0);
  });

  test('a stake above the maximum is refused with the reason and registers nothing', async (t) => {
    const { server, chain } = await setup(t);
    const client = await connectChain({
      url: server.url,
      key: generateOperatorKey(),
      log: pino({ level: 'silent' }),
    });
    t.after(() => client.close());
    await assert.rejects(client.registerOperator(10n ** 98n), (err: unknown) => {
      return (
        err instanceof ChainError &&
        err.message === `stake ${10n ** 98n} is above the maximum stake per operator, ${DEFAULT_MAX_STAKE}`
      );
    });
    assert.deepEqual(await client.operatorRegistry.operators(), []);
    assert.deepEqual(await client.registerOperator(DEFAULT_MAX_STAKE), {
      address: client.operator,
      alreadyRegistered: false,
    });
    const capped = new LocalChain({ blockIntervalMs: 0, dkg, maxStake: 50n });
    t.after(() => capped.close());
    assert.throws(
      () => capped.registerOperator(generateOperatorKey().publicKey, 51n),
      /above the maximum stake per operator, 50$/,
    );
    assert.equal((await chain.connect(client.operator).operatorRegistry.operators()).length, 1);
  });
});
