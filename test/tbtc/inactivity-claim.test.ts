import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { inactivityClaimHash } from '../../src/chain/inactivity-claim.js';
import type { InactivityClaimedEvent } from '../../src/chain/types.js';
import { signWithOperatorKey } from '../../src/crypto/operator-key.js';
import { walletIdOf } from '../../src/crypto/wallet-id.js';
import { CoordinationLayer } from '../../src/tbtc/coordination-layer.js';
import { HeartbeatFailureCounter } from '../../src/tbtc/heartbeat.js';
import { SigningLiveness } from '../../src/tbtc/signing/signing-liveness.js';
import { WalletDispatcher } from '../../src/tbtc/wallet-dispatcher.js';
import { startWalletRuntime } from '../../src/tbtc/wallet-runtime.js';
import { type Behaviour, rewrite } from '../helpers/byzantine.js';
import { startCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';

const FREQUENCY = 20;
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
type Cluster = ReturnType<typeof startCluster>;
type Node = Cluster['nodes'][number];

/** A 10-seat wallet on four equal operators; resolves with the members that hold its shares. */
async function walletCluster(byzantine?: Record<number, Behaviour>) {
  const cluster = startCluster({
    stakes: [10n, 10n, 10n, 10n],
    dkg: { groupSize: 10, groupQuorum: 10, honestThreshold: 6 },
    byzantine,
  });
  after(() => cluster.stop());
  const registration = cluster.registered();
  await cluster.chain.connect(cluster.nodes[0]!.key.address).walletRegistry.requestNewWallet();
  const registered = await registration;
  // Stake-weighted seats are drawn independently: an operator may hold none.
  const members = cluster.nodes.filter((node) =>
    registered.members.some((m) => m.operator === node.key.address),
  );
  for (const node of members) {
    while (node.wallets.length === 0) await new Promise((r) => setTimeout(r, 20));
  }
  /** Members by seat count, fewest first. */
  const bySeats = [...members].sort((a, b) => a.wallets[0]!.keys.size - b.wallets[0]!.keys.size);
  return { cluster, registered, bySeats };
}

/**
 * Heartbeats in every window on these members' wallet runtimes: every seat must be active, and
 * two failed heartbeats in a row lead to an inactivity claim.
 */
function runHeartbeats(cluster: Cluster, nodes: readonly Node[]): CoordinationLayer[] {
  const layers = nodes.map((node) => {
    const chain = cluster.chain.connect(node.key.address);
    const runtime = startWalletRuntime({
      wallet: node.wallets[0]!,
      key: node.key,
      provider: node.provider,
      blocks: chain.blocks,
      registry: chain.walletRegistry,
      claimSubmissionStepBlocks: 1,
      recorder: node.metrics.recorder,
      log,
      coordination: {
        frequencyBlocks: FREQUENCY,
        activeBlocks: 6,
        safeShiftBlocks: 2,
        heartbeatProbability: 1,
      },
      signingTimeoutBlocks: 60,
      signingCoordinatorTurnBlocks: 8,
      liveness: new SigningLiveness(node.metrics.recorder),
    });
    return new CoordinationLayer({
      blocks: chain.blocks,
      frequencyBlocks: FREQUENCY,
      wallets: () => [runtime],
      dispatcher: new WalletDispatcher(node.metrics.recorder, log),
      failures: new HeartbeatFailureCounter(),
      minimumActiveMembers: 10,
      inactivity: { failureThreshold: 2, timeoutBlocks: 60 },
      recorder: node.metrics.recorder,
      log,
    });
  });
  after(() => {
    for (const layer of layers) layer.close();
  });
  return layers;
}

test('after consecutive failed heartbeats the members claim the inactive seats on chain', async () => {
  const { cluster, registered, bySeats } = await walletCluster();
  const walletId = registered.walletId;
  // The member with the fewest seats stays away from the wallet's work.
  const [offline, ...online] = bySeats;
  const offlineSeats = [...offline!.wallets[0]!.keys.keys()].sort((a, b) => a - b);
  assert.ok(offlineSeats.length >= 1 && offlineSeats.length <= 10 - 6, 'the others can still sign');
  const layers = runHeartbeats(cluster, online);

  const registry = cluster.chain.connect(online[0]!.key.address).walletRegistry;
  const claimed = await new Promise<InactivityClaimedEvent>((resolve) => {
    const stop = registry.onInactivityClaimed((event) => {
      stop();
      resolve(event);
    });
  });
  assert.equal(claimed.walletId, walletId);
  assert.equal(claimed.nonce, 0);
  assert.equal(claimed.heartbeatFailed, true);
  assert.deepEqual(claimed.inactiveMembersIndices, offlineSeats);
  assert.ok(online.some((node) => node.key.address === claimed.notifier));
  assert.equal(await registry.inactivityClaimNonce(walletId), 1);
  for (const node of online) {
    assert.ok(
      (await node.metrics.value('performance_wallet_heartbeat_failures_total')) >= 2,
      'the claim follows at least two failed heartbeats on every online member',
    );
  }
  for (const layer of layers) layer.close();

  // The chain refuses a replayed nonce, too few signers and a signature by the wrong operator.
  const operatorOf = (seat: number) => registered.members.find((m) => m.index === seat)!.operator;
  const keyOf = (seat: number) => cluster.nodes.find((n) => n.key.address === operatorOf(seat))!.key;
  const claimWith = (nonce: number, seats: number[], signer = keyOf) => {
    const unsigned = { walletId, nonce, inactiveMembersIndices: offlineSeats, heartbeatFailed: true };
    const hash = inactivityClaimHash(unsigned);
    return {
      ...unsigned,
      signingMembersIndices: seats,
      signatures: seats.map((seat) => signWithOperatorKey(signer(seat), hash)),
    };
  };
  const onlineSeats = registered.members.map((m) => m.index).filter((seat) => !offlineSeats.includes(seat));
  await assert.rejects(
    registry.submitInactivityClaim(claimWith(0, onlineSeats)),
    /nonce 0 is not the current nonce 1/,
  );
  await assert.rejects(
    registry.submitInactivityClaim(claimWith(1, onlineSeats.slice(0, 5))),
    /at least 6 required/,
  );
  await assert.rejects(
    registry.submitInactivityClaim(claimWith(1, onlineSeats, () => offline!.key)),
    /does not verify under its operator's key/,
  );
  await registry.submitInactivityClaim(claimWith(1, onlineSeats));
  assert.equal(await registry.inactivityClaimNonce(walletId), 2);
  assert.equal(walletIdOf(online[0]!.wallets[0]!.groupPublicKey), walletId);
});

test('a coordinator reporting honest seats inactive gets no claim on chain: members go by what they saw', async () => {
  // Every operator may turn byzantine; the one with the fewest seats does once seats are known.
  let attackerIndex = -1;
  let attackerSeats: number[] = [];
  const lie = rewrite('tbtc-signing/done', (p) => ({ ...p, active: attackerSeats }));
  const byzantine: Record<number, Behaviour> = {};
  for (const i of [0, 1, 2, 3]) byzantine[i] = (message) => (i === attackerIndex ? lie(message) : undefined);
  const { cluster, registered, bySeats } = await walletCluster(byzantine);
  const [attacker, ...honest] = bySeats;
  attackerSeats = [...attacker!.wallets[0]!.keys.keys()].sort((a, b) => a - b);
  attackerIndex = cluster.nodes.indexOf(attacker!);
  const layers = runHeartbeats(cluster, bySeats);
  const registry = cluster.chain.connect(honest[0]!.key.address).walletRegistry;
  const claims: InactivityClaimedEvent[] = [];
  const stopClaims = registry.onInactivityClaimed((event) => claims.push(event));
  after(stopClaims);

  // Six heartbeats on every honest member: the attacker coordinated some of them.
  for (const node of honest)
    await eventually(
      () => node.metrics.value('performance_wallet_action_success_total', { action: 'heartbeat' }),
      (v) => v >= 6,
      60_000,
      'six heartbeats',
    );
  for (const layer of layers) layer.close();
  for (const node of honest) {
    assert.equal(
      await node.metrics.value('performance_wallet_heartbeat_failures_total'),
      0,
      'every honest member saw all ten seats active',
    );
  }
  assert.deepEqual(claims, [], 'no inactivity claim landed');
  assert.equal(await registry.inactivityClaimNonce(registered.walletId), 0);
});
