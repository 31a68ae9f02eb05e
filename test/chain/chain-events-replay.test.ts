import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { pino } from 'pino';
import { LocalChain } from '../../src/chain/local/local-chain.js';
import { type ChainClient, connectChain } from '../../src/chain/rpc/chain-client.js';
import { type ChainServer, startChainServer } from '../../src/chain/rpc/chain-server.js';
import { FileEventCursorStore } from '../../src/chain/rpc/event-cursor.js';
import type { Chain } from '../../src/chain/types.js';
import { generateOperatorKey, type OperatorKey } from '../../src/crypto/operator-key.js';
import { FLOW_DKG, registerGroup } from '../helpers/chain-flows.js';
import { eventually } from '../helpers/wait.js';
import { tempDir } from '../helpers/process.js';

const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const HOST = '127.0.0.1';

/** Every event a node acts on, in delivery order, as "Name@block". */
function recordEvents(chain: Chain): string[] {
  const seen: string[] = [];
  const note = (name: string) => (event: { blockNumber: number }) =>
    seen.push(`${name}@${event.blockNumber}`);
  const { walletRegistry: wallets, randomBeacon: beacon } = chain;
  wallets.onDkgStarted(note('DkgStarted'));
  wallets.onDkgResultSubmitted(note('DkgResultSubmitted'));
  wallets.onDkgResultApproved(note('DkgResultApproved'));
  wallets.onDkgTimedOut(note('DkgTimedOut'));
  wallets.onWalletRegistered(note('WalletRegistered'));
  beacon.onDkgStarted(note('BeaconDkgStarted'));
  beacon.onDkgResultSubmitted(note('BeaconDkgResultSubmitted'));
  beacon.onDkgResultApproved(note('BeaconDkgResultApproved'));
  beacon.onGroupRegistered(note('BeaconGroupRegistered'));
  beacon.onRelayEntryRequested(note('RelayEntryRequested'));
  return seen;
}

async function setup(t: TestContext) {
  const chain = new LocalChain({ blockIntervalMs: 0, dkg: FLOW_DKG });
  const keys = [generateOperatorKey(), generateOperatorKey(), generateOperatorKey()];
  for (const key of keys) chain.registerOperator(key.publicKey, 1n);
  const servers: ChainServer[] = [await startChainServer({ chain, host: HOST, port: 0, log: quiet })];
  const port = servers[0]!.port;
  const clients: ChainClient[] = [];
  const dir = tempDir();
  t.after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(servers.map((server) => server.close()));
    chain.close();
    dir.remove();
  });
  return {
    chain,
    keys,
    dir: dir.path,
    server: () => servers[servers.length - 1]!,
    restartServer: async () => {
      servers.push(await startChainServer({ chain, host: HOST, port, log: quiet }));
    },
    connect: async (options: { cursorFile?: string; holdEvents?: boolean } = {}) => {
      const client = await connectChain({
        url: servers[0]!.url,
        key: generateOperatorKey(),
        log: quiet,
        reconnectDelayMs: 20,
        cursor: options.cursorFile ? new FileEventCursorStore(options.cursorFile) : undefined,
        holdEvents: options.holdEvents,
      });
      clients.push(client);
      return client;
    },
    owner: (key: OperatorKey = keys[0]!) => chain.connect(key.address),
  };
}

const waitFor = (seen: string[], count: number, what: string) =>
  eventually(
    () => seen.length,
    (n) => n >= count,
    10_000,
    what,
  );

describe('chain events across reconnects and restarts', () => {
  test('events emitted while the connection is down are delivered after reconnecting, each once, in order', async (t) => {
    const { chain, keys, server, restartServer, connect, owner } = await setup(t);
    const client = await connect();
    const seen = recordEvents(client);

    await server().close();
    await eventually(
      () => client.connected,
      (connected) => !connected,
      5_000,
      'disconnected',
    );
    // The whole life of a wallet and a beacon group, and a relay request, while nobody listens.
    await registerGroup(chain, keys, 'tbtc');
    await registerGroup(chain, keys, 'beacon');
    await owner().randomBeacon.requestRelayEntry();
    const missed = chain.events.since(0).events.map((event) => `${event.name}@${event.block}`);
    assert.equal(missed.length, 9);
    assert.equal(seen.length, 0, 'nothing reached the client while it was cut off');
    for (const name of ['DkgStarted', 'WalletRegistered', 'RelayEntryRequested']) {
      assert.ok(
        missed.some((event) => event.startsWith(`${name}@`)),
        `${name} was missed`,
      );
    }

    await restartServer();
    await waitFor(seen, missed.length, 'the missed events');
    // One more event, live: a duplicate of anything replayed would have come before it.
    chain.blocks.mine();
    await owner().walletRegistry.requestNewWallet();
    await waitFor(seen, missed.length + 1, 'the live event');
    assert.deepEqual(seen, [...missed, `DkgStarted@${chain.blocks.height}`]);
    assert.equal(client.eventCursor?.seq, chain.events.head);
  });

  test('a restarted client resumes after its persisted cursor; one without a cursor starts at the newest event', async (t) => {
    const { chain, dir, connect, owner } = await setup(t);
    const cursorFile = join(dir, 'cursor.json');
    const first = await connect({ cursorFile });
    const firstSeen = recordEvents(first);
    await owner().walletRegistry.requestNewWallet();
    await waitFor(firstSeen, 1, 'DkgStarted');
    await first.close();

    // While the node is down: the DKG times out and a new one starts.
    chain.blocks.mine(FLOW_DKG.resultSubmissionTimeoutBlocks + 1);
    await owner().walletRegistry.notifyDkgTimeout();
    await owner().walletRegistry.requestNewWallet();
    const height = chain.blocks.height;

    const restarted = await connect({ cursorFile, holdEvents: true });
    const seen = recordEvents(restarted);
    const fresh = await connect({ cursorFile: join(dir, 'other-node.json') });
    const freshSeen = recordEvents(fresh);
    await restarted.blocks.currentBlock(); // a round trip: held events are not asked for
    assert.equal(seen.length, 0, 'nothing before startEvents');

    restarted.startEvents();
    await waitFor(seen, 2, 'the events missed while down');
    chain.blocks.mine(FLOW_DKG.resultSubmissionTimeoutBlocks + 1);
    await owner().walletRegistry.notifyDkgTimeout();
    const timeout = `DkgTimedOut@${chain.blocks.height}`;
    await waitFor(seen, 3, 'the live event');
    assert.deepEqual(seen, [`DkgTimedOut@${height}`, `DkgStarted@${height}`, timeout]);
    await waitFor(freshSeen, 1, 'the live event at the fresh node');
    assert.deepEqual(freshSeen, [timeout], 'a node without a cursor gets no history');

    const saved = new FileEventCursorStore(cursorFile).load();
    assert.deepEqual(saved, { chainId: chain.chainId, seq: chain.events.head, block: chain.blocks.height });
  });
});
