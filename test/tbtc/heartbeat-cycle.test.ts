import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { pino } from 'pino';
import { BlockEngine } from '../../src/chain/local/block-engine.js';
import { LocalChain } from '../../src/chain/local/local-chain.js';
import { walletIdOf } from '../../src/crypto/wallet-id.js';
import { LocalNetwork } from '../../src/net/local/local-network.js';
import { CoordinationExecutor } from '../../src/tbtc/coordination.js';
import { CoordinationLayer, KEPT_OUTCOMES, type LocalWallet } from '../../src/tbtc/coordination-layer.js';
import { HeartbeatFailureCounter } from '../../src/tbtc/heartbeat.js';
import { InactivityClaimExecutor } from '../../src/tbtc/inactivity.js';
import { SigningExecutor } from '../../src/tbtc/signing/signing-executor.js';
import { WalletDispatcher } from '../../src/tbtc/wallet-dispatcher.js';
import { scrapedRecorder } from '../helpers/metrics.js';
import { eventually } from '../helpers/wait.js';
import { blockClock, inMemoryWallet } from '../helpers/wallet.js';

const FREQUENCY = 20;
const UNUSED_DKG = {
  groupSize: 10,
  groupQuorum: 10,
  honestThreshold: 6,
  resultSubmissionTimeoutBlocks: 1,
  resultSubmissionStartOffsetBlocks: 0,
  resultSubmissionStepBlocks: 1,
  resultChallengePeriodBlocks: 1,
  submitterPrecedencePeriodBlocks: 1,
};

function walletCluster(layout: string, threshold: number, options: { rogueLeader?: boolean } = {}) {
  const { letters, operators, walletOf, groupKey } = inMemoryWallet(layout, threshold);
  const { blocks, ticker } = blockClock();
  const network = new LocalNetwork();
  const unusedChain = new LocalChain({ blockIntervalMs: 0, dkg: UNUSED_DKG });
  const log = pino({ level: 'silent' });
  const nodes = letters.map((letter) => {
    const operator = operators.get(letter)!;
    const metrics = scrapedRecorder();
    const provider = network.join(operator, { recorder: metrics.recorder, ticker });
    const wallet = walletOf(letter);
    const walletId = walletIdOf(wallet.groupPublicKey);
    const signing = new SigningExecutor({
      wallet,
      channel: provider.broadcastChannelFor(`tbtc-${walletId}`),
      blocks,
      recorder: metrics.recorder,
      log,
      timeoutBlocks: 60,
      coordinatorTurnBlocks: 8,
    });
    const coordination = new CoordinationExecutor({
      wallet,
      me: operator.address,
      channel: provider.broadcastChannelFor(`tbtc-${walletId}-coordination`),
      blocks,
      recorder: metrics.recorder,
      log,
      parameters: {
        frequencyBlocks: FREQUENCY,
        activeBlocks: 6,
        safeShiftBlocks: 2,
        heartbeatProbability: 1,
      },
      tamperProposal: options.rogueLeader ? (p) => ({ ...p, action: 'moving_funds' }) : undefined,
    });
    const layer = new CoordinationLayer({
      blocks,
      frequencyBlocks: FREQUENCY,
      wallets: () => [
        {
          keys: wallet,
          coordination,
          signing,
          // Never reached here (no heartbeat fails); the claim path is tested with a real chain.
          inactivity: new InactivityClaimExecutor({
            wallet,
            walletId,
            key: operator,
            registry: unusedChain.connect(operator.address).walletRegistry,
            blocks,
            channel: provider.broadcastChannelFor(`tbtc-${walletId}`),
            log,
            submissionStepBlocks: 1,
          }),
        },
      ],
      dispatcher: new WalletDispatcher(metrics.recorder, log),
      failures: new HeartbeatFailureCounter(),
      minimumActiveMembers: 7,
      inactivity: { failureThreshold: 3, timeoutBlocks: 50 },
      recorder: metrics.recorder,
      log,
    });
    return { letter, metrics, layer };
  });
  after(() => {
    for (const node of nodes) node.layer.close();
    unusedChain.close();
  });

  return { nodes, groupKey };
}

test('a heartbeat goes through coordination, the dispatcher and signing to a valid BIP-340 signature', async () => {
  const { nodes, groupKey } = walletCluster('AAABBBCCDD', 6);
  for (const node of nodes) {
    await eventually(
      () => node.metrics.value('performance_wallet_action_success_total', { action: 'heartbeat' }),
      (v) => v >= 1,
      20_000,
      `heartbeat on node ${node.letter}`,
    );
  }
  for (const node of nodes) node.layer.close(); // no new windows; let running work finish
  await new Promise((r) => setTimeout(r, 1500));
  const leaders = new Set(nodes.map((n) => n.layer.outcomes[0]!.leader));
  assert.equal(leaders.size, 1, 'every member agrees on the leader');
  for (const node of nodes) {
    const [heartbeat] = node.layer.heartbeats;
    assert.ok(heartbeat);
    assert.equal(schnorr.verify(heartbeat.signature, sha256(sha256(heartbeat.message)), groupKey), true);
    const value = (name: string, labels = {}) => node.metrics.value(name, labels);
    const windows = await value('performance_coordination_windows_detected_total');
    assert.ok(windows >= 1);
    assert.equal(
      await value('performance_coordination_procedures_executed_total'),
      windows,
      'one wallet, one procedure per window',
    );
    assert.equal(
      await value('performance_coordination_duration_seconds_count', { outcome: 'success' }),
      windows,
    );
    assert.equal(await value('performance_coordination_failed_total'), 0);
    const actions = await value('performance_wallet_actions_total', { action: 'heartbeat' });
    assert.equal(actions, windows, 'every window dispatched its heartbeat');
    assert.equal(await value('performance_wallet_action_success_total', { action: 'heartbeat' }), actions);
    assert.equal(await value('performance_signing_operations_total'), actions);
    assert.equal(await value('performance_signing_success_total'), actions);
    assert.equal(await value('performance_wallet_heartbeat_failures_total'), 0, 'all 10 seats were active');
  }
});

test('a leader proposing a forbidden action is recorded as a leader fault by the followers', async () => {
  const { nodes } = walletCluster('ABCDEF', 4, { rogueLeader: true });
  await eventually(
    async () =>
      Promise.all(
        nodes.map((n) =>
          n.metrics.value('performance_coordination_leader_faults_total', { fault: 'leader_mistake' }),
        ),
      ),
    (counts) => counts.filter((c) => c >= 1).length === nodes.length - 1,
    20_000,
    'leader_mistake on every follower',
  );
  await eventually(
    async () => Promise.all(nodes.map((n) => n.metrics.value('performance_coordination_failed_total'))),
    (counts) => counts.filter((c) => c >= 1).length === nodes.length - 1,
    20_000,
    'followers end the procedure without an agreed action',
  );
});

test('the coordination layer keeps a bounded number of outcomes however many windows pass', async () => {
  const blocks = new BlockEngine(0); // mined by hand
  after(() => blocks.close());
  const { walletOf, letters } = inMemoryWallet('AB', 2);
  const wallet = walletOf(letters[0]!);
  // The wallet's procedure agrees on nothing to do in every window (its executor is replaced).
  const idle = {
    keys: wallet,
    coordination: {
      coordinate: async (window: number) => ({
        window,
        leader: wallet.group[0]!,
        proposal: { action: 'noop' as const },
        startBlock: window,
      }),
    },
  } as unknown as LocalWallet;
  const metrics = scrapedRecorder();
  const log = pino({ level: 'silent' });
  const layer = new CoordinationLayer({
    blocks,
    frequencyBlocks: 1,
    wallets: () => [idle],
    dispatcher: new WalletDispatcher(metrics.recorder, log),
    failures: new HeartbeatFailureCounter(),
    minimumActiveMembers: 1,
    inactivity: { failureThreshold: 3, timeoutBlocks: 50 },
    recorder: metrics.recorder,
    log,
  });
  after(() => layer.close());
  const windows = 3 * KEPT_OUTCOMES;
  for (let i = 0; i < windows; i++) {
    blocks.mine();
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(await metrics.value('performance_coordination_windows_detected_total'), windows);
  assert.equal(layer.outcomes.length, KEPT_OUTCOMES);
  assert.equal(layer.outcomes.at(-1)!.window, windows, 'the newest outcomes are the ones kept');
});
