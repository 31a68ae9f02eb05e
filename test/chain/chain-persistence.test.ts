import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { BlockEngine } from '../../src/chain/local/block-engine.js';
import { readChainState, writeChainState } from '../../src/chain/local/chain-state-file.js';
import type { DkgRegistryState } from '../../src/chain/local/dkg-registry-contract.js';
import { LocalChain } from '../../src/chain/local/local-chain.js';
import { type ChainClient, connectChain } from '../../src/chain/rpc/chain-client.js';
import { startChainServer } from '../../src/chain/rpc/chain-server.js';
import { toWire } from '../../src/chain/tagged-json.js';
import { ChainError } from '../../src/chain/types.js';
import { openNodeChain } from '../../src/cmd/chain-setup.js';
import { loadConfig } from '../../src/config/load.js';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { walletIdOf } from '../../src/crypto/wallet-id.js';
import { FLOW_DKG, registerGroup } from '../helpers/chain-flows.js';
import { eventually } from '../helpers/wait.js';
import { freePort, runCli, startChainProcess, tempDir } from '../helpers/process.js';

const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

describe('the local chain survives a restart', () => {
  test('operators, wallets, beacon groups, a running DKG, blocks and events come back from the state file', async (t) => {
    const dir = tempDir();
    t.after(() => dir.remove());
    const path = join(dir.path, 'local-chain.json');
    const chain = new LocalChain({ blockIntervalMs: 0, dkg: FLOW_DKG });
    const keys = [generateOperatorKey(), generateOperatorKey(), generateOperatorKey()];
    for (const key of keys) chain.registerOperator(key.publicKey, 10n);
    await registerGroup(chain, keys, 'tbtc');
    await registerGroup(chain, keys, 'beacon');
    chain.blocks.mine(3);
    const owner = chain.connect(keys[0]!.address);
    await owner.randomBeacon.requestRelayEntry();
    await new Promise((resolve) => setImmediate(resolve));
    writeChainState(path, chain.snapshot());
    const before = {
      operators: await owner.operatorRegistry.operators(),
      wallets: await owner.walletRegistry.registeredWallets(),
      groups: await owner.randomBeacon.groups(),
      request: await owner.randomBeacon.currentRelayRequest(),
      hash: await owner.blocks.blockHash(chain.blocks.height - 1),
      events: chain.events.since(0).events,
    };
    chain.close();

    const restored = new LocalChain({ blockIntervalMs: 0, dkg: FLOW_DKG, state: readChainState(path) });
    t.after(() => restored.close());
    const again = restored.connect(keys[0]!.address);
    assert.equal(restored.chainId, chain.chainId);
    assert.equal(restored.blocks.height, chain.blocks.height);
    assert.deepEqual(await again.operatorRegistry.operators(), before.operators);
    assert.deepEqual(await again.walletRegistry.registeredWallets(), before.wallets);
    assert.deepEqual(await again.randomBeacon.groups(), before.groups);
    assert.deepEqual(await again.randomBeacon.currentRelayRequest(), before.request);
    assert.deepEqual(await again.blocks.blockHash(restored.blocks.height - 1), before.hash);
    assert.deepEqual(restored.events.since(0).events, before.events);

    await again.walletRegistry.requestNewWallet();
    await new Promise((resolve) => setImmediate(resolve));
    const last = restored.events.since(before.events.length).events;
    assert.deepEqual(
      last.map((event) => [event.seq, event.name]),
      [[before.events.length + 1, 'DkgStarted']],
      'the event sequence continues',
    );
    // The running DKG locks the pool, and that survives a restart too.
    writeChainState(path, restored.snapshot());
    const third = new LocalChain({ blockIntervalMs: 0, dkg: FLOW_DKG, state: readChainState(path) });
    t.after(() => third.close());
    assert.equal(await third.connect(keys[0]!.address).walletRegistry.dkgState(), 'awaiting_result');
    assert.throws(
      () => third.registerOperator(generateOperatorKey().publicKey, 1n),
      /while a DKG is in progress/,
    );
  });

  test('a version 1 state file, which kept registered groups as wallets, still loads', async (t) => {
    const dir = tempDir();
    t.after(() => dir.remove());
    const path = join(dir.path, 'local-chain.json');
    const chain = new LocalChain({ blockIntervalMs: 0, dkg: FLOW_DKG });
    t.after(() => chain.close());
    const keys = [generateOperatorKey(), generateOperatorKey(), generateOperatorKey()];
    for (const key of keys) chain.registerOperator(key.publicKey, 10n);
    await registerGroup(chain, keys, 'tbtc');
    await registerGroup(chain, keys, 'beacon');
    await chain.connect(keys[0]!.address).walletRegistry.requestNewWallet();
    await new Promise((resolve) => setImmediate(resolve));
    const state = chain.snapshot();
    const asWallets = ({ groups, ...registry }: DkgRegistryState) => ({
      ...registry,
      wallets: groups.map((group) => ({ walletId: walletIdOf(group.groupPublicKey), ...group })),
    });
    const version1 = {
      version: 1,
      ...state,
      walletRegistry: { ...asWallets(state.walletRegistry), claimNonces: state.walletRegistry.claimNonces },
      beacon: { ...state.beacon, dkg: { ...asWallets(state.beacon.dkg), claimNonces: [] } },
    };
    writeFileSync(path, JSON.stringify(toWire(version1)));

    const restored = new LocalChain({ blockIntervalMs: 0, dkg: FLOW_DKG, state: readChainState(path) });
    t.after(() => restored.close());
    assert.deepEqual(restored.snapshot(), state);
    const again = restored.connect(keys[0]!.address);
    assert.equal((await again.walletRegistry.registeredWallets()).length, 1);
    assert.equal((await again.randomBeacon.groups()).length, 1);
    assert.equal(await again.walletRegistry.dkgState(), 'awaiting_result');
  });

  test('the chain keeps a bounded window of block hashes', async () => {
    const engine = new BlockEngine(0, () => {}, 4);
    engine.mine(10);
    await assert.rejects(engine.blockHash(6), (err: unknown) => {
      return err instanceof ChainError && /block 6 is older than the 4 latest blocks kept/.test(err.message);
    });
    for (const height of [7, 8, 9, 10]) assert.equal((await engine.blockHash(height)).length, 32);
    assert.equal(engine.snapshot().hashes.length, 4);
  });

  test('keep-client chain, killed and restarted on the same directory, still knows its operators and serves requestNewWallet', async (t) => {
    const dir = tempDir();
    const port = await freePort();
    const args = ['--storage.dir', dir.path, '--chain.port', String(port), '--chain.blockTime', '100ms'];
    const shape = ['--tbtc.groupSize', '3', '--tbtc.groupQuorum', '3', '--tbtc.honestThreshold', '2'];
    const clients: ChainClient[] = [];
    let chainProcess = await startChainProcess([...args, ...shape]);
    t.after(async () => {
      await Promise.all(clients.map((client) => client.close()));
      await chainProcess.stop('SIGKILL');
      dir.remove();
    });
    const url = `tcp://127.0.0.1:${port}`;
    const keys = [generateOperatorKey(), generateOperatorKey(), generateOperatorKey()];
    for (const key of keys) {
      const client = await connectChain({ url, key, log: quiet, reconnectDelayMs: 50 });
      clients.push(client);
      await client.registerOperator(100n);
    }
    const registeredAt = await clients[0]!.blocks.currentBlock();
    const operators = await clients[0]!.operatorRegistry.operators();
    assert.equal(operators.length, 3);

    await chainProcess.stop('SIGKILL');
    chainProcess = await startChainProcess([...args, ...shape]);
    assert.ok(
      chainProcess.logs.some((line) => line.msg === 'restored the local chain' && line.operators === 3),
      'the restart says what it restored',
    );
    const observer = clients[0]!;
    const started: number[] = [];
    observer.walletRegistry.onDkgStarted((event) => started.push(event.blockNumber));
    await eventually(
      () => observer.connected,
      (connected) => connected,
      10_000,
      'reconnected',
    );
    assert.deepEqual(await observer.operatorRegistry.operators(), operators);
    assert.ok((await observer.blocks.currentBlock()) >= registeredAt, 'the height did not start over');
    await observer.walletRegistry.requestNewWallet();
    await eventually(
      () => started.length,
      (n) => n === 1,
      10_000,
      'DkgStarted',
    );
    assert.equal((await observer.walletRegistry.selectGroup(new Uint8Array(32))).length, 3);
  });

  test('a corrupt state file stops keep-client chain with one line naming it', async (t) => {
    const dir = tempDir();
    t.after(() => dir.remove());
    writeFileSync(join(dir.path, 'local-chain.json'), '{"version":1,"chainId":"nope"}');
    const result = await runCli(['chain', '--storage.dir', dir.path, '--chain.port', '0']);
    assert.notEqual(result.code, 0);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /the chain state file .*local-chain\.json is corrupt \(chainId: /);
  });

  test('a node registers its operator again when the chain it reconnects to has lost it, once the pool is unlocked', async (t) => {
    const dir = tempDir();
    const port = await freePort();
    const first = new LocalChain({ blockIntervalMs: 0, dkg: FLOW_DKG });
    let server = await startChainServer({ chain: first, host: '127.0.0.1', port, log: quiet });
    const key = generateOperatorKey();
    const config = loadConfig({
      flags: { 'chain.url': `tcp://127.0.0.1:${port}`, 'chain.stake': '7', 'storage.dir': dir.path },
    });
    const node = await openNodeChain(config, key, quiet);
    // A chain that lost its state: someone else registered and started a DKG, which locks the pool.
    const second = new LocalChain({ blockIntervalMs: 0, dkg: FLOW_DKG });
    const other = generateOperatorKey();
    second.registerOperator(other.publicKey, 1n);
    await second.connect(other.address).walletRegistry.requestNewWallet();
    t.after(async () => {
      await node.close();
      await server.close();
      first.close();
      second.close();
      dir.remove();
    });
    assert.deepEqual(await first.connect(key.address).operatorRegistry.operators(), [
      { address: key.address, stake: 7n },
    ]);

    await server.close();
    server = await startChainServer({ chain: second, host: '127.0.0.1', port, log: quiet });
    await eventually(
      () => node.client?.connected,
      (connected) => connected === true,
      15_000,
      'reconnected',
    );
    second.blocks.mine(FLOW_DKG.resultSubmissionTimeoutBlocks + 1);
    await second.connect(other.address).walletRegistry.notifyDkgTimeout();
    second.blocks.mine();
    const registered = await eventually(
      () => second.connect(other.address).operatorRegistry.operators(),
      (operators) => operators.some((operator) => operator.address === key.address),
      10_000,
      'the operator registered again',
    );
    assert.deepEqual(
      registered.find((operator) => operator.address === key.address),
      { address: key.address, stake: 7n },
    );
  });
});
