import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { BlockEngine } from '../../src/chain/local/block-engine.js';
import { xOnly } from '../../src/crypto/frost-dkg.js';
import { generateOperatorKey, type OperatorKey } from '../../src/crypto/operator-key.js';
import { LocalNetwork } from '../../src/net/local/local-network.js';
import { ManualTicker } from '../../src/net/retransmission.js';
import { SessionRouter } from '../../src/net/session-router.js';
import { type DkgOutcome, runDkgProtocol } from '../../src/dkg/dkg-protocol.js';
import { Inbox } from '../../src/dkg/inbox.js';
import { DKG_CODECS } from '../../src/dkg/messages.js';
import { interpolateSecret, frostSign as sign, signWithInterpolatedSecret } from '../helpers/frost.js';

const engines: BlockEngine[] = [];
after(() => {
  for (const engine of engines) engine.close();
});

const TIMING = {
  announcementBlocks: 5,
  round1Blocks: 5,
  round2Blocks: 5,
  complaintBlocks: 5,
  resultSigningBlocks: 5,
};

/** Runs the protocol on every online node of a group laid out as operator letters per seat. */
async function runGroup(
  layout: string,
  options: {
    offline?: string[];
    quorum: number;
    threshold: number;
    corruptSharesFrom?: string;
    corruptSharesTo?: string;
  },
) {
  const blocks = new BlockEngine(20);
  engines.push(blocks);
  const network = new LocalNetwork();
  const ticker = new ManualTicker();
  const letters = [...new Set(layout)];
  const keys = new Map<string, OperatorKey>(letters.map((l) => [l, generateOperatorKey()]));
  const group = [...layout].map((l) => keys.get(l)!.address);
  const online = letters.filter((l) => !options.offline?.includes(l));
  const session = 'test-session';
  const startBlock = await blocks.currentBlock();
  const signal = new AbortController().signal;
  const stopTicks = blocks.watchBlocks(() => ticker.tick()); // retransmissions tick per block
  const keepAlive = setInterval(() => {}, 1000); // the block timer alone does not hold the process
  const members = online.map((letter) => {
    const me = keys.get(letter)!;
    const channel = network.join(me, { ticker }).broadcastChannelFor('tbtc-dkg-test');
    const router = new SessionRouter(channel, 'dkg', DKG_CODECS);
    return { me, channel, router, inbox: new Inbox(router, session) };
  });
  const runs = members.map(({ me, channel, router, inbox }) => {
    return runDkgProtocol({
      session,
      group,
      me,
      threshold: options.threshold,
      quorum: options.quorum,
      channel,
      inbox,
      blocks,
      startBlock,
      timing: TIMING,
      signal,
      tamperShares:
        me === keys.get(options.corruptSharesFrom ?? '')
          ? (recipient, shares) => {
              if (recipient !== keys.get(options.corruptSharesTo ?? '')?.address) return shares;
              const bad = shares.slice();
              bad[5]! ^= 0xff;
              return bad;
            }
          : undefined,
    }).finally(() => {
      inbox.close();
      router.close();
    });
  });
  const outcomes = await Promise.allSettled(runs);
  stopTicks();
  clearInterval(keepAlive);
  return { outcomes, letters: online, group, keys };
}

function fulfilled(outcomes: PromiseSettledResult<DkgOutcome>[]): DkgOutcome[] {
  return outcomes.map((o) => {
    if (o.status === 'rejected') throw o.reason;
    return o.value;
  });
}

test('10 seats on 4 nodes, threshold 6: one group key, any 6 seats sign, 5 cannot', async () => {
  const { outcomes } = await runGroup('AAABBBCCDD', { quorum: 8, threshold: 6 });
  const results = fulfilled(outcomes);
  const groupKey = results[0]!.groupPublicKey;
  for (const r of results) {
    assert.deepEqual(r.groupPublicKey, groupKey);
    assert.deepEqual(r.misbehavedSeats, []);
  }
  const allKeys = new Map(results.flatMap((r) => [...r.keys]));
  assert.equal(allKeys.size, 10);
  const message = new TextEncoder().encode('any six');
  const signature = sign(
    [1, 3, 4, 7, 9, 10].map((s) => allKeys.get(s)!),
    message,
  );
  assert.equal(schnorr.verify(signature, message, xOnly(groupKey)), true);
  // Five shares combined by hand (Lagrange at 0) are not the group secret: their signature fails.
  const five = [1, 2, 3, 4, 5].map((s) => allKeys.get(s)!);
  assert.notEqual(
    bytesToHex(secp256k1.Point.BASE.multiply(interpolateSecret(five)).toBytes(true)),
    bytesToHex(groupKey),
  );
  assert.equal(schnorr.verify(signWithInterpolatedSecret(five, message), message, xOnly(groupKey)), false);
  // The same combination over six seats is the group secret (the check above can fail).
  const six = [2, 4, 5, 6, 8, 10].map((s) => allKeys.get(s)!);
  assert.equal(schnorr.verify(signWithInterpolatedSecret(six, message), message, xOnly(groupKey)), true);
});

test('2 of 10 seats offline from the start: excluded, the DKG still succeeds with quorum 8', async () => {
  const { outcomes } = await runGroup('ABCDEFGHIJ', { quorum: 8, threshold: 6, offline: ['C', 'H'] });
  const results = fulfilled(outcomes);
  assert.equal(results.length, 8);
  for (const r of results) {
    assert.deepEqual(r.misbehavedSeats, [3, 8]);
    assert.deepEqual(r.groupPublicKey, results[0]!.groupPublicKey);
  }
});

test('3 of 10 seats offline with quorum 8: every node fails, naming the quorum', async () => {
  const { outcomes } = await runGroup('ABCDEFGHIJ', { quorum: 8, threshold: 6, offline: ['C', 'H', 'J'] });
  for (const o of outcomes) {
    assert.equal(o.status, 'rejected');
    assert.match(String((o as PromiseRejectedResult).reason), /announcement: 7 seats remain, quorum is 8/);
  }
});

test('a member that sends one recipient a bad share is identified and excluded; the DKG completes without it', async () => {
  const { outcomes, letters } = await runGroup('AAABBBCCDD', {
    quorum: 8,
    threshold: 6,
    corruptSharesFrom: 'D',
    corruptSharesTo: 'B',
  });
  const byLetter = new Map(letters.map((l, i) => [l, outcomes[i]!]));
  const cheater = byLetter.get('D')!;
  assert.equal(cheater.status, 'rejected');
  assert.match(String((cheater as PromiseRejectedResult).reason), /excluded/);
  const honest = ['A', 'B', 'C'].map((l) => byLetter.get(l)!);
  const results = fulfilled(honest);
  for (const r of results) {
    assert.deepEqual(r.misbehavedSeats, [9, 10]);
    assert.deepEqual(r.groupPublicKey, results[0]!.groupPublicKey);
  }
  const keys = new Map(results.flatMap((r) => [...r.keys]));
  const message = new Uint8Array(32).fill(4);
  const signature = sign(
    [1, 2, 4, 5, 7, 8].map((s) => keys.get(s)!),
    message,
  );
  assert.equal(schnorr.verify(signature, message, xOnly(results[0]!.groupPublicKey)), true);
});
