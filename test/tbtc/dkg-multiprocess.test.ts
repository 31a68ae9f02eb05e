import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WalletRegisteredEvent } from '../../src/chain/types.js';
import { ProcessCluster } from '../helpers/process-cluster.js';
import { eventually } from '../helpers/wait.js';

const PASSWORD = 'dkg multiprocess';
const NODES = 4;
const TBTC = [
  '--tbtc.groupSize',
  '10',
  '--tbtc.groupQuorum',
  '6',
  '--tbtc.honestThreshold',
  '6',
  '--tbtc.dkgPhaseBlocks',
  '20',
  '--tbtc.resultChallengePeriodBlocks',
  '5',
  // A heartbeat in every 20-block window (2 s), signed by the 10-seat wallet.
  '--tbtc.coordinationFrequencyBlocks',
  '20',
  '--tbtc.coordinationActiveBlocks',
  '6',
  '--tbtc.coordinationSafeShiftBlocks',
  '2',
  '--tbtc.heartbeatProbability',
  '1',
  '--tbtc.heartbeatMinimumActiveMembers',
  '6',
  '--tbtc.signingTimeoutBlocks',
  '60',
  '--tbtc.signingCoordinatorTurnBlocks',
  '10',
];

describe('wallet DKG between keep-client processes over libp2p and a chain server', () => {
  const cluster = new ProcessCluster({
    password: PASSWORD,
    nodes: NODES,
    sharedArgs: TBTC,
  });
  const { setups, nodes } = cluster;
  const metric = (i: number, name: string, labels: Record<string, string> = {}) =>
    cluster.metric(i, name, labels);
  const startNode = (i: number) => cluster.startNode(i);
  const nextWallet = () =>
    new Promise<WalletRegisteredEvent>((resolve) => {
      const stop = cluster.observer.walletRegistry.onWalletRegistered((event) => {
        stop();
        resolve(event);
      });
    });
  const walletFiles = (i: number) => readdirSync(join(setups[i]!.storage, 'keystore', 'tbtc'));

  before(() => cluster.start());
  after(() => cluster.stop());

  test('4 node processes run a DKG to a registered wallet; the DKG metrics move on every scrape', async () => {
    const registered = nextWallet();
    await cluster.observer.walletRegistry.requestNewWallet();
    const wallet = await registered;
    assert.equal(wallet.members.length, 10);
    let approvals = 0;
    for (let i = 0; i < NODES; i++) {
      const seats = wallet.members.filter((m) => m.operator === setups[i]!.address).length;
      await eventually(
        () => metric(i, 'performance_dkg_duration_seconds_count', { outcome: 'success' }),
        (v) => v === (seats > 0 ? 1 : 0),
        15_000,
        `DKG success on node ${i}`,
      );
      assert.equal(await metric(i, 'performance_dkg_joined_total'), seats);
      assert.equal(await metric(i, 'performance_dkg_failed_total'), 0);
      assert.equal(await metric(i, 'performance_dkg_validation_total'), 1);
      approvals += await metric(i, 'performance_dkg_approvals_submitted_total');
      if (seats > 0) assert.deepEqual(walletFiles(i), [`wallet-${wallet.walletId}.json`]);
    }
    assert.equal(approvals, 1);
  });

  test('three consecutive coordination windows each run a heartbeat that every node signs', async () => {
    const heartbeats = (i: number) =>
      metric(i, 'performance_wallet_action_success_total', { action: 'heartbeat' });
    const failures = async (i: number) =>
      (await metric(i, 'performance_wallet_action_failed_total', { action: 'heartbeat' })) +
      (await metric(i, 'performance_signing_failed_total')) +
      (await metric(i, 'performance_coordination_failed_total'));
    const holders = setups.map((_, i) => i).filter((i) => walletFiles(i).length > 0);
    for (const i of holders)
      await eventually(
        () => heartbeats(i),
        (v) => v >= 1,
        20_000,
        `first heartbeat on node ${i}`,
      );
    const base = await Promise.all(
      holders.map(async (i) => ({ ok: await heartbeats(i), bad: await failures(i) })),
    );
    for (const [k, i] of holders.entries()) {
      await eventually(
        () => heartbeats(i),
        (v) => v >= base[k]!.ok + 3,
        30_000,
        `three more heartbeats on node ${i}`,
      );
    }
    for (const [k, i] of holders.entries()) {
      assert.equal(
        await failures(i),
        base[k]!.bad,
        `no failed heartbeat, signing or coordination on node ${i}`,
      );
      assert.ok((await metric(i, 'performance_signing_success_total')) >= base[k]!.ok + 3);
      assert.ok((await metric(i, 'performance_coordination_windows_detected_total')) >= 3);
      assert.equal(await metric(i, 'performance_wallet_heartbeat_failures_total'), 0);
      assert.equal(
        await metric(i, 'performance_wallet_dispatcher_rejected_total', { action: 'heartbeat' }),
        0,
      );
    }
  });

  test('kill -9 of a node during a DKG leaves no partial key file, and its finished wallet reloads', async () => {
    // The victim: a node that holds the first wallet and the fewest seats of the new group,
    // so that the others keep a quorum without it.
    let victim = -1;
    let before: string[] = [];
    const killed = new Promise<void>((resolve) => {
      const stop = cluster.observer.walletRegistry.onDkgStarted(async (event) => {
        stop();
        const group = await cluster.observer.walletRegistry.selectGroup(event.seed);
        const seatsOf = (i: number) => group.filter((operator) => operator === setups[i]!.address).length;
        const candidates = setups.map((_, i) => i).filter((i) => walletFiles(i).length > 0 && seatsOf(i) > 0);
        victim = candidates.sort((a, b) => seatsOf(a) - seatsOf(b))[0]!;
        before = walletFiles(victim);
        await nodes[victim]!.stop('SIGKILL');
        resolve();
      });
    });
    const registered = nextWallet();
    await cluster.observer.walletRegistry.requestNewWallet();
    await killed;
    await registered; // the others finish without it
    assert.ok(before.length > 0);
    assert.deepEqual(walletFiles(victim), before, 'no new, partial or temporary file');

    const restarted = await startNode(victim);
    nodes[victim] = restarted;
    const startedLine = restarted.logs.find((line) => line.msg === 'node started');
    assert.equal(startedLine?.wallets, before.length, 'the finished wallet was reloaded');
    const diagnostics = (await (
      await fetch(`http://127.0.0.1:${setups[victim]!.metricsPort}/diagnostics`)
    ).json()) as {
      wallets: { wallet_id: string }[];
    };
    assert.deepEqual(
      diagnostics.wallets.map((w) => `wallet-${w.wallet_id}.json`),
      before,
    );
  });

  test('eth_connectivity follows the chain server: 0 while it is down, 1 once the node has reconnected', async () => {
    assert.equal(await metric(0, 'eth_connectivity'), 1);
    await cluster.chainProcess.stop('SIGKILL');
    await eventually(
      () => metric(0, 'eth_connectivity'),
      (v) => v === 0,
      10_000,
      'eth_connectivity 0',
    );
    assert.equal(
      (await fetch(`http://127.0.0.1:${setups[0]!.metricsPort}/metrics`)).status,
      200,
      'the node keeps serving',
    );
    await cluster.startChain();
    await eventually(
      () => metric(0, 'eth_connectivity'),
      (v) => v === 1,
      20_000,
      'eth_connectivity back to 1',
    );
  });
});
