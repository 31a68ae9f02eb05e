import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { Devnet, type UnexpectedExit } from '../../src/devnet/devnet.js';
import { readNodeStatus } from '../../src/devnet/node-status.js';
import { DEFAULT_SHAPE, proportionalGroup } from '../../src/devnet/shape.js';
import { eventually } from '../helpers/wait.js';
import { tempDir } from '../helpers/process.js';

describe('the devnet orchestrator, driven step by step as a scenario would', () => {
  const dir = tempDir('keep-devnet-orchestrator-');
  const shape = { ...DEFAULT_SHAPE, nodes: 3, wallet: proportionalGroup(6) };
  let devnet: Devnet;
  const exits: UnexpectedExit[] = [];

  // Ports the layout picked, taken by another process before the devnet starts.
  const squatters: Server[] = [];
  let taken: { chain: number; p2p: number };

  before(async () => {
    devnet = await Devnet.prepare({ dir: dir.path, shape, password: 'orchestrator test' });
    devnet.onUnexpectedExit((exit) => exits.push(exit));
    taken = { chain: devnet.layout.chain.port, p2p: devnet.nodes[2]!.p2pPort };
    for (const port of Object.values(taken)) {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      squatters.push(server);
    }
    await devnet.start();
  });
  after(async () => {
    await devnet?.stop();
    for (const server of squatters) server.close();
    dir.remove();
  });

  test('a port taken between the layout and the start is picked again', () => {
    assert.notEqual(devnet.layout.chain.port, taken.chain);
    assert.notEqual(devnet.nodes[2]!.p2pPort, taken.p2p);
    assert.equal(loadConfig({ file: devnet.nodes[0]!.configFile }).chain.URL, devnet.layout.chain.url);
    assert.ok(
      loadConfig({ file: devnet.nodes[0]!.configFile }).network.Peers.includes(devnet.nodes[2]!.multiaddr),
    );
  });

  test('lays out a key file and a loadable configuration per node, all on loopback', () => {
    const chain = loadConfig({ file: devnet.layout.chain.configFile });
    assert.equal(chain.chain.Port, devnet.layout.chain.port);
    assert.equal(chain.tbtc.GroupSize, 6);
    for (const node of devnet.nodes) {
      assert.ok(existsSync(node.keyFile));
      const config = loadConfig({ file: node.configFile });
      assert.equal(config.chain.URL, devnet.layout.chain.url);
      assert.equal(config.network.Address, '127.0.0.1');
      assert.equal(config.ClientInfo.Address, '127.0.0.1');
      assert.equal(config.ClientInfo.Port, node.metricsPort);
      assert.deepEqual(
        config.network.Peers,
        devnet.nodes.filter((other) => other.index !== node.index).map((other) => other.multiaddr),
      );
      assert.equal(config.tbtc.HonestThreshold, chain.tbtc.HonestThreshold);
    }
  });

  test('the nodes connect to each other and a requested wallet forms over all of them', async () => {
    assert.equal(await devnet.waitForMesh(30_000), true);
    const formed = devnet.nextGroup('wallet');
    await devnet.requestGroups();
    const wallet = await formed;
    assert.equal(wallet.members.length, 6);
    const operators = new Set(devnet.nodes.map((node) => node.address));
    for (const member of wallet.members) assert.ok(operators.has(member.operator));
  });

  test('a node stopped on purpose is not reported, one that dies is, and both rejoin after a restart', async () => {
    assert.deepEqual(await devnet.stopNode(0), { code: 0, signal: null });
    assert.equal(devnet.isNodeRunning(0), false);
    const victim = devnet.pids().find(({ name }) => name === 'node-1')!;
    process.kill(victim.pid, 'SIGKILL');
    await eventually(
      () => exits.length,
      (n) => n > 0,
      10_000,
      'the report of node-1',
    );
    assert.deepEqual(
      exits.map(({ name, exit }) => ({ name, exit })),
      [{ name: 'node-1', exit: { code: null, signal: 'SIGKILL' } }],
    );
    assert.equal(exits[0]!.logFile, devnet.nodes[1]!.logFile);

    await devnet.startNode(0);
    await devnet.startNode(1);
    assert.equal(await devnet.waitForMesh(30_000), true);
    for (const node of devnet.nodes) {
      const status = await readNodeStatus(node.metricsUrl, node.diagnosticsUrl);
      assert.equal(status?.peers, 2, `${node.name} is connected to the two others`);
    }
  });
});
