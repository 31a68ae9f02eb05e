import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { dkgResultHash } from '../../src/chain/dkg-result.js';
import { xOnly } from '../../src/crypto/frost-dkg.js';
import { signWithOperatorKey } from '../../src/crypto/operator-key.js';
import { startCluster } from '../helpers/cluster.js';
import { frostSign } from '../helpers/frost.js';
import { eventually } from '../helpers/wait.js';

const PARAMS = { groupSize: 10, groupQuorum: 8, honestThreshold: 6 };

test('a 10-seat, threshold-6 DKG across 4 nodes registers one wallet that any 6 seats can sign for', async () => {
  const cluster = startCluster({ stakes: [3n, 3n, 2n, 2n], dkg: PARAMS });
  try {
    const registered = cluster.registered();
    await cluster.chain.connect(cluster.nodes[0]!.key.address).walletRegistry.requestNewWallet();
    const wallet = await registered;
    assert.equal(wallet.members.length, 10);
    const keys = new Map(cluster.nodes.flatMap((n) => n.wallets.flatMap((w) => [...w.keys])));
    assert.equal(keys.size, 10, 'every seat holds a key share');
    for (const node of cluster.nodes) {
      for (const w of node.wallets)
        assert.equal(bytesToHex(w.groupPublicKey), bytesToHex(wallet.groupPublicKey));
    }
    const message = new TextEncoder().encode('wallet heartbeat');
    const signature = frostSign(
      [2, 4, 5, 7, 8, 10].map((s) => keys.get(s)!),
      message,
    );
    assert.equal(schnorr.verify(signature, message, xOnly(wallet.groupPublicKey)), true);

    const seatsOf = (address: string) => wallet.members.filter((m) => m.operator === address).length;
    let approvals = 0;
    for (const node of cluster.nodes) {
      const value = (name: string, labels = {}) => node.metrics.value(name, labels);
      // Stake-weighted selection may draw an operator no seat: it takes no part in the DKG.
      const member = seatsOf(node.key.address) > 0;
      await eventually(
        () => value('performance_dkg_duration_seconds_count', { outcome: 'success' }),
        (v) => v === (member ? 1 : 0),
        5_000,
        'DKG success observed on every member',
      );
      assert.equal(
        await value('performance_dkg_joined_total'),
        seatsOf(node.key.address),
        'joined by seat count',
      );
      assert.equal(await value('performance_dkg_failed_total'), 0);
      assert.equal(await value('performance_dkg_validation_total'), 1);
      assert.equal(await value('performance_dkg_challenges_submitted_total'), 0);
      approvals += await value('performance_dkg_approvals_submitted_total');
    }
    assert.equal(approvals, 1, 'exactly one approval landed');
  } finally {
    cluster.stop();
  }
});

test('a forged result is challenged by honest nodes, then the honest result is approved', async () => {
  const cluster = startCluster({ stakes: [3n, 3n, 2n, 2n], dkg: PARAMS });
  try {
    const observer = cluster.chain.connect(cluster.nodes[0]!.key.address).walletRegistry;
    // The operator of seat 1 also submits a forged result in its slot, before the DKG could finish.
    let forged = false;
    observer.onDkgStarted(async (event) => {
      const group = await observer.selectGroup(event.seed);
      const forgerNode = cluster.nodes.find((n) => n.key.address === group[0])!;
      const fake = {
        seed: event.seed,
        groupPublicKey: secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true),
        misbehavedMembersIndices: [],
      };
      const signature = signWithOperatorKey(forgerNode.key, dkgResultHash(fake));
      const signers = [1, 2, 3, 4, 5, 6, 7];
      await cluster.chain.connect(forgerNode.key.address).walletRegistry.submitDkgResult({
        ...fake,
        submitterMemberIndex: 1,
        signingMembersIndices: signers,
        signatures: signers.map(() => signature),
      });
      forged = true;
    });
    const registered = cluster.registered();
    await observer.requestNewWallet();
    const wallet = await registered;
    assert.equal(forged, true, 'the forged result was submitted');
    // Seats are drawn independently by stake: take a node that holds one.
    const member = cluster.nodes.find((n) => wallet.members.some((m) => m.operator === n.key.address))!;
    assert.equal(bytesToHex(member.wallets[0]!.groupPublicKey), bytesToHex(wallet.groupPublicKey));
    let challenges = 0;
    for (const node of cluster.nodes) {
      await eventually(
        () => node.metrics.value('performance_dkg_validation_total'),
        (v) => v === 2,
        5_000,
        'both validated',
      );
      challenges += await node.metrics.value('performance_dkg_challenges_submitted_total');
    }
    assert.equal(challenges, 1, 'one challenge landed; the others found it already settled');
    const approvals = await Promise.all(
      cluster.nodes.map((n) => n.metrics.value('performance_dkg_approvals_submitted_total')),
    );
    assert.equal(
      approvals.reduce((a, b) => a + b, 0),
      1,
    );
  } finally {
    cluster.stop();
  }
});
