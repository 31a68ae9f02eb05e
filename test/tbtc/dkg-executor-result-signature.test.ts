import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { DkgResult, WalletRegisteredEvent } from '../../src/chain/types.js';
import { type OperatorKey, signWithOperatorKey } from '../../src/crypto/operator-key.js';
import { resultSignatureCodec } from '../../src/dkg/messages.js';
import { type Behaviour, rewrite } from '../helpers/byzantine.js';
import { startCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';

const PARAMS = { groupSize: 10, groupQuorum: 8, honestThreshold: 6 };
const STAKES = [3n, 3n, 2n, 2n];

/**
 * Finding 4: a member broadcasts a signature over the result that does not verify. Honest
 * nodes must leave it out, submit a result the chain accepts, and never resubmit a refused one.
 */
type Payload = { session: string; resultHash: string; signature: string };
const LIES: [string, (payload: Payload, liar: OperatorKey) => Payload][] = [
  ['a garbage signature', (payload) => ({ ...payload, signature: 'ab'.repeat(64) })],
  [
    'its valid signature over another hash',
    (payload, liar) => ({
      ...payload,
      signature: bytesToHex(signWithOperatorKey(liar, new Uint8Array(32).fill(7))),
    }),
  ],
];

for (const [name, lie] of LIES) {
  test(`a member that sends ${name} is left out of the result; the wallet registers without a challenge`, async () => {
    // The liar is chosen once the group is known: the operator with the fewest (but some) seats,
    // so that the others still hold the honest threshold's seats.
    let liar = -1;
    const lying =
      (index: number): Behaviour =>
      (message) =>
        index === liar
          ? rewrite<Payload>(resultSignatureCodec.type, (payload) => lie(payload, cluster.nodes[index]!.key))(
              message,
            )
          : undefined;
    const cluster = startCluster({
      stakes: STAKES,
      dkg: PARAMS,
      byzantine: Object.fromEntries(STAKES.map((_, i) => [i, lying(i)])),
    });
    try {
      const observer = cluster.chain.connect(cluster.nodes[0]!.key.address).walletRegistry;
      let group: string[] = [];
      observer.onDkgStarted(async (event) => {
        group = await observer.selectGroup(event.seed);
        const seats = cluster.nodes.map((n) => group.filter((operator) => operator === n.key.address).length);
        const fewest = Math.min(...seats.filter((count) => count > 0));
        liar = seats.indexOf(fewest);
      });
      const submitted: DkgResult[] = [];
      observer.onDkgResultSubmitted((event) => submitted.push(event.result));
      // Any challenge means an honest node submitted a result the chain refuses.
      const outcome = new Promise<WalletRegisteredEvent | string>((resolve) => {
        observer.onWalletRegistered(resolve);
        observer.onDkgTimedOut(() => resolve('the DKG timed out'));
        observer.onDkgResultChallenged((event) =>
          resolve(`a submitted result was challenged: ${event.reason}`),
        );
      });
      await observer.requestNewWallet();
      const wallet = await outcome;
      if (typeof wallet === 'string') assert.fail(wallet);

      const liarNode = cluster.nodes[liar]!;
      const liarSeats = group.flatMap((operator, i) => (operator === liarNode.key.address ? [i + 1] : []));
      assert.ok(liarSeats.length > 0, 'the liar holds seats');
      assert.equal(submitted.length, 1, 'one result was submitted, and it was the one approved');
      const registeredResult = submitted[0]!;
      assert.equal(bytesToHex(registeredResult.groupPublicKey), bytesToHex(wallet.groupPublicKey));
      for (const seat of liarSeats)
        assert.ok(!registeredResult.signingMembersIndices.includes(seat), `liar seat ${seat} signed`);
      const honestSeats = group.flatMap((operator, i) => (operator !== liarNode.key.address ? [i + 1] : []));
      assert.deepEqual(registeredResult.signingMembersIndices, honestSeats, 'every honest seat signed');

      const members = cluster.nodes.filter((n, i) => i !== liar && group.includes(n.key.address));
      for (const node of members) {
        assert.equal(bytesToHex(node.wallets[0]!.groupPublicKey), bytesToHex(wallet.groupPublicKey));
        await eventually(
          () => node.metrics.value('performance_dkg_duration_seconds_count', { outcome: 'success' }),
          (v) => v === 1,
          5_000,
          'DKG success observed',
        );
        assert.equal(await node.metrics.value('performance_dkg_result_signatures_rejected_total'), 1);
      }
      for (const node of cluster.nodes)
        assert.equal(await node.metrics.value('performance_dkg_challenges_submitted_total'), 0);
    } finally {
      cluster.stop();
    }
  });
}
