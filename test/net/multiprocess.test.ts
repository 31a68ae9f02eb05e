import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { peerIdOfOperatorKey } from '../../src/net/libp2p/identity.js';
import { writeOperatorKeyFile } from '../../src/storage/operator-key-file.js';
import { sampleValue, scrape } from '../helpers/exposition.js';
import { eventually } from '../helpers/wait.js';
import { freePort, type NodeProcess, startNodeProcess, tempDir } from '../helpers/process.js';

const PASSWORD = 'multiprocess test password';

interface NodeSetup {
  address: string;
  peerId: string;
  keyFile: string;
  p2pPort: number;
  metricsPort: number;
  multiaddr: string;
}

describe('keep-client processes over libp2p on loopback', () => {
  const dir = tempDir();
  const setups: NodeSetup[] = [];
  const nodes: NodeProcess[] = [];

  const metricsOf = async (i: number) =>
    (await scrape(`http://127.0.0.1:${setups[i]!.metricsPort}/metrics`)).families;
  const valueOn = async (i: number, name: string) => sampleValue(await metricsOf(i), name) ?? Number.NaN;
  const peersOf = async (i: number) => {
    const response = await fetch(`http://127.0.0.1:${setups[i]!.metricsPort}/diagnostics`);
    const document = (await response.json()) as { connected_peers: { operator_address: string }[] };
    return document.connected_peers.map((peer) => peer.operator_address).sort();
  };
  const start = (i: number, peers: number[], allowed: number[]) =>
    startNodeProcess(
      [
        '--storage.dir',
        join(dir.path, `node${i}`),
        '--operator.keyFile',
        setups[i]!.keyFile,
        '--network.address',
        '127.0.0.1',
        '--network.port',
        String(setups[i]!.p2pPort),
        '--network.peers',
        peers.map((j) => setups[j]!.multiaddr).join(','),
        '--network.allowedOperators',
        allowed.map((j) => setups[j]!.address).join(','),
        '--clientInfo.port',
        String(setups[i]!.metricsPort),
        '--clientInfo.networkMetricsTick',
        '500ms',
      ],
      { env: { KEEP_OPERATOR_PASSWORD: PASSWORD } },
    );

  before(async () => {
    for (let i = 0; i < 5; i++) {
      const key = generateOperatorKey();
      const keyFile = join(dir.path, `operator-${i}.json`);
      await writeOperatorKeyFile(keyFile, key, PASSWORD);
      const p2pPort = await freePort();
      const peerId = peerIdOfOperatorKey(key.publicKey).toString();
      setups.push({
        address: key.address,
        peerId,
        keyFile,
        p2pPort,
        metricsPort: await freePort(),
        multiaddr: `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${peerId}`,
      });
    }
    const members = [0, 1, 2, 3];
    nodes.push(
      ...(await Promise.all(
        members.map((i) =>
          start(
            i,
            members.filter((j) => j !== i),
            members,
          ),
        ),
      )),
    );
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    dir.remove();
  });

  test('every node sees the three others, with their operator addresses', async () => {
    for (let i = 0; i < 4; i++) {
      const expected = setups
        .slice(0, 4)
        .filter((_, j) => j !== i)
        .map((s) => s.address)
        .sort();
      await eventually(
        () => peersOf(i),
        (peers) => JSON.stringify(peers) === JSON.stringify(expected),
        20_000,
        `peers of ${i}`,
      );
      await eventually(
        () => valueOn(i, 'connected_peers_count'),
        (v) => v === 3,
        10_000,
        'connected_peers_count',
      );
      await eventually(
        () => valueOn(i, 'connected_bootstrap_count'),
        (v) => v === 3,
        10_000,
        'connected_bootstrap_count',
      );
    }
  });

  test('exactly one ping test per peer connection', async () => {
    for (let i = 0; i < 4; i++) {
      const families = await eventually(
        () => metricsOf(i),
        (f) =>
          sampleValue(f, 'performance_ping_test_success_total')! +
            sampleValue(f, 'performance_ping_test_failed_total')! ===
          sampleValue(f, 'performance_ping_test_total'),
        10_000,
        'ping tests to finish',
      );
      const connections = sampleValue(families, 'performance_peer_connections_total');
      assert.ok(connections !== undefined && connections >= 3);
      assert.equal(sampleValue(families, 'performance_ping_test_total'), connections);
      assert.equal(sampleValue(families, 'performance_ping_test_success_total'), connections);
      assert.equal(sampleValue(families, 'performance_ping_test_duration_seconds_count'), connections);
    }
  });

  test('a peer whose operator is not allowed is refused and counted', async () => {
    const before = await valueOn(0, 'performance_firewall_rejections_total');
    const intruder = await start(4, [0], []);
    nodes.push(intruder);
    await eventually(
      () => valueOn(0, 'performance_firewall_rejections_total'),
      (value) => value > before,
      20_000,
      'a firewall rejection on node 0',
    );
    assert.ok(!(await peersOf(0)).includes(setups[4]!.address));
    assert.deepEqual(await peersOf(4), []);
    assert.equal(
      (await fetch(`http://127.0.0.1:${setups[0]!.metricsPort}/metrics`)).status,
      200,
      'node 0 keeps serving',
    );
    await intruder.stop('SIGKILL');
  });

  test('SIGKILL of one node moves performance_peer_disconnections_total by one on each other node', async () => {
    const before = await Promise.all(
      [0, 1, 2].map((i) => valueOn(i, 'performance_peer_disconnections_total')),
    );
    await nodes[3]!.stop('SIGKILL');
    for (const i of [0, 1, 2]) {
      await eventually(
        () => valueOn(i, 'performance_peer_disconnections_total'),
        (value) => value === before[i]! + 1,
        15_000,
        `disconnection seen by node ${i}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const i of [0, 1, 2]) {
      assert.equal(await valueOn(i, 'performance_peer_disconnections_total'), before[i]! + 1, 'counted once');
    }
  });
});
