import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import { pino } from 'pino';
import { Diagnostics } from '../../src/clientinfo/diagnostics.js';
import { walletIdOf } from '../../src/crypto/wallet-id.js';
import { MetricsRegistries } from '../../src/clientinfo/exposition.js';
import { PromRecorder } from '../../src/clientinfo/prom-recorder.js';
import { startClientInfoServer } from '../../src/clientinfo/server.js';
import { WalletStore } from '../../src/storage/wallet-store.js';
import { KeyCustody } from '../../src/dkg/key-custody.js';
import { resultSignatureCodec } from '../../src/dkg/messages.js';
import type { Behaviour } from '../helpers/byzantine.js';
import { startCluster } from '../helpers/cluster.js';
import { parseExposition, sampleValue } from '../helpers/exposition.js';
import { tempDir } from '../helpers/process.js';

const PARAMS = { groupSize: 10, groupQuorum: 8, honestThreshold: 6 };
const STAKES = [3n, 3n, 2n, 2n];

/** Registers a wallet in which one member (the one with the fewest seats) "crashes" as it would send its result signature. */
async function walletWithACrashedMember(storageDir: string) {
  let crashed = -1;
  let pendingOnDiskAtSend: boolean | undefined;
  const crashing =
    (index: number): Behaviour =>
    (message) => {
      if (index !== crashed || message.type !== resultSignatureCodec.type) return undefined;
      const dir = cluster.nodes[index]!.keystoreDir!;
      pendingOnDiskAtSend = readdirSync(dir).some((name) => /^pending-wallet-[0-9a-f]{64}\.json$/.test(name));
      throw new Error('killed before the result signature left');
    };
  const cluster = startCluster({
    stakes: STAKES,
    dkg: PARAMS,
    storageDir,
    byzantine: Object.fromEntries(STAKES.map((_, i) => [i, crashing(i)])),
  });
  const observer = cluster.chain.connect(cluster.nodes[0]!.key.address).walletRegistry;
  let group: string[] = [];
  observer.onDkgStarted(async (event) => {
    group = await observer.selectGroup(event.seed);
    const seats = cluster.nodes.map((n) => group.filter((operator) => operator === n.key.address).length);
    crashed = seats.indexOf(Math.min(...seats.filter((count) => count > 0)));
  });
  const outcome = new Promise<Awaited<ReturnType<typeof cluster.registered>> | string>((resolve) => {
    observer.onWalletRegistered(resolve);
    observer.onDkgTimedOut(() => resolve('the DKG timed out'));
  });
  await observer.requestNewWallet();
  const wallet = await outcome;
  if (typeof wallet === 'string') {
    cluster.stop();
    assert.fail(wallet);
  }
  const node = cluster.nodes[crashed]!;
  const seats = group.flatMap((operator, i) => (operator === node.key.address ? [i + 1] : []));
  return { cluster, wallet, node, seats, pendingOnDiskAtSend: () => pendingOnDiskAtSend };
}

test('shares are on disk before the result signature is sent; a member killed there still holds its registered seats', async () => {
  const dir = tempDir();
  const { cluster, wallet, node, seats, pendingOnDiskAtSend } = await walletWithACrashedMember(dir.path);
  try {
    assert.equal(
      pendingOnDiskAtSend(),
      true,
      'pending shares were on disk when the result signature was sent',
    );
    const walletId = walletIdOf(wallet.groupPublicKey);
    const keystore = node.keystoreDir!;
    assert.deepEqual(
      readdirSync(keystore),
      [`wallet-${walletId}.json`],
      'registration activated the pending file',
    );
    const [loaded] = await new WalletStore(keystore, 'pw').loadAll();
    assert.equal(bytesToHex(loaded!.groupPublicKey), bytesToHex(wallet.groupPublicKey));
    assert.deepEqual([...loaded!.keys.keys()], seats, 'a share for every seat it holds');
    assert.deepEqual(
      wallet.members.filter((m) => m.operator === node.key.address).map((m) => m.index),
      seats,
      'the wallet registered with its seats',
    );
    // Nodes without seats stored nothing; no pending file outlives the registration.
    for (const other of cluster.nodes)
      assert.ok(readdirSync(other.keystoreDir!).every((name) => !name.startsWith('pending-')));
  } finally {
    cluster.stop();
    dir.remove();
  }
});

test('seats of a registered wallet without a key share show in the log, on the gauge and in /diagnostics', async () => {
  const dir = tempDir();
  const { cluster, wallet, node, seats } = await walletWithACrashedMember(dir.path);
  const registries = new MetricsRegistries({ processMetrics: false });
  const recorder = new PromRecorder(registries.registry);
  const diagnostics = new Diagnostics();
  const server = await startClientInfoServer({ address: '127.0.0.1', port: 0, registries, diagnostics });
  const lines: { level: number; msg: string; seats?: number[] }[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  // The node restarts with an empty keystore: its shares were lost (the crash before this fix).
  const empty = join(dir.path, 'restarted');
  const registry = cluster.chain.connect(node.key.address).walletRegistry;
  const custody = new KeyCustody({
    kind: 'wallet',
    operator: node.key.address,
    registry,
    registeredGroups: () => registry.registeredWallets(),
    onGroupRegistered: (listener) => registry.onWalletRegistered(listener),
    store: new WalletStore(empty, 'pw'),
    held: await new WalletStore(empty, 'pw').loadAll(),
    activated: () => assert.fail('nothing to activate'),
    recorder,
    log,
  });
  diagnostics.register('seats_without_key_share', () => ({ wallet: custody.seatsWithoutKeyShare() }));
  try {
    await custody.start();
    const metrics = parseExposition(await (await fetch(`${server.url}/metrics`)).text());
    assert.equal(
      sampleValue(metrics, 'performance_seats_without_key_share', { group: 'wallet' }),
      seats.length,
    );
    const document = (await (await fetch(`${server.url}/diagnostics`)).json()) as Record<string, unknown>;
    assert.deepEqual(document.seats_without_key_share, {
      wallet: [{ group_public_key: bytesToHex(wallet.groupPublicKey), seats }],
    });
    const errors = lines.filter(
      (line) => line.level === 50 && line.msg.startsWith('seats without a key share'),
    );
    assert.equal(errors.length, 1);
    assert.deepEqual(errors[0]!.seats, seats);

    // The same node with its keystore reports none.
    const held = await new WalletStore(node.keystoreDir!, 'pw').loadAll();
    const healthy = new KeyCustody({
      kind: 'wallet',
      operator: node.key.address,
      registry,
      registeredGroups: () => registry.registeredWallets(),
      onGroupRegistered: (listener) => registry.onWalletRegistered(listener),
      held,
      activated: () => undefined,
      recorder,
      log,
    });
    await healthy.start();
    healthy.stop();
    const after = parseExposition(await (await fetch(`${server.url}/metrics`)).text());
    assert.equal(sampleValue(after, 'performance_seats_without_key_share', { group: 'wallet' }), 0);
  } finally {
    custody.stop();
    await server.close();
    cluster.stop();
    dir.remove();
  }
});
