import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { SigningFailedError, SigningTimeoutError } from '../../src/tbtc/signing/signing-executor.js';
import { inject, rewrite } from '../helpers/byzantine.js';
import { signingGroup } from '../helpers/signing-group.js';

const message = new TextEncoder().encode('heartbeat message');

test('10 seats on 4 nodes, threshold 6: every node returns the same signature, valid under the wallet key', async () => {
  const { nodes, signAll, groupKey } = signingGroup('AAABBBCCDD', 6);
  const results = await signAll(message);
  const signatures = results.map((r) => {
    assert.equal(r.status, 'fulfilled', String((r as PromiseRejectedResult).reason));
    return (r as PromiseFulfilledResult<Uint8Array>).value;
  });
  assert.equal(new Set(signatures.map(bytesToHex)).size, 1, 'all members agree');
  assert.equal(schnorr.verify(signatures[0]!, message, groupKey), true);
  for (const node of nodes) {
    assert.equal(await node.metrics.value('performance_signing_operations_total'), 1);
    assert.equal(await node.metrics.value('performance_signing_success_total'), 1);
    assert.equal(await node.metrics.value('performance_signing_failed_total'), 0);
    assert.equal(
      await node.metrics.value('performance_signing_duration_seconds_count', { outcome: 'success' }),
      1,
    );
    assert.equal(
      await node.metrics.value('performance_signing_attempts_per_operation_sum'),
      1,
      'one session',
    );
  }
  const busy = nodes[0]!.executor.sign(message, 0);
  await assert.rejects(nodes[0]!.executor.sign(message, 0), /already signing/);
  await busy.catch(() => undefined);
});

test('4 of 10 members offline: the signature still completes', async () => {
  const { signAll, groupKey } = signingGroup('ABCDEFGHIJ', 6, { offline: ['B', 'D', 'F', 'H'] });
  const results = await signAll(message);
  for (const r of results) {
    assert.equal(r.status, 'fulfilled');
    assert.equal(schnorr.verify((r as PromiseFulfilledResult<Uint8Array>).value, message, groupKey), true);
  }
});

test('5 of 10 members offline: the deadline passes and only the timeout counter says so', async () => {
  const { nodes, signAll } = signingGroup('ABCDEFGHIJ', 6, { offline: ['A', 'C', 'E', 'G', 'I'] });
  const results = await signAll(message);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok((r as PromiseRejectedResult).reason instanceof SigningTimeoutError);
  }
  for (const node of nodes) {
    assert.equal(await node.metrics.value('performance_signing_timeouts_total'), 1);
    assert.equal(await node.metrics.value('performance_signing_failed_total'), 1);
    assert.equal(
      await node.metrics.value('performance_signing_duration_seconds_count', { outcome: 'failure' }),
      1,
    );
  }
});

test('a member sending bad shares is excluded; the signature completes in more than one session', async () => {
  const { nodes, signAll, groupKey } = signingGroup('ABCDEFGHIJ', 6, { badShares: ['B'] });
  const results = await signAll(message);
  for (const r of results) {
    assert.equal(r.status, 'fulfilled');
    assert.equal(schnorr.verify((r as PromiseFulfilledResult<Uint8Array>).value, message, groupKey), true);
  }
  const sessions = await nodes[0]!.metrics.value('performance_signing_attempts_per_operation_sum');
  assert.ok(sessions > 1, `sessions used: ${sessions}`);
});

test('too many bad signers end the operation early: a failure that is not a timeout', async () => {
  const { nodes, signAll } = signingGroup('ABCDEFGHIJ', 6, { badShares: ['A', 'B', 'C', 'D', 'E'] });
  const results = await signAll(message);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok(
      (r as PromiseRejectedResult).reason instanceof SigningFailedError,
      String((r as PromiseRejectedResult).reason),
    );
  }
  for (const node of nodes) {
    assert.equal(await node.metrics.value('performance_signing_failed_total'), 1);
    assert.equal(await node.metrics.value('performance_signing_timeouts_total'), 0);
  }
});

// The byzantine harness: operator A runs the honest code, but what it sends is changed.

test('a member whose shares are rewritten on the wire is excluded; the signature verifies', async () => {
  const flip = (hex: string) => (hex[0] === 'f' ? '0' : 'f') + hex.slice(1);
  const { nodes, signAll, groupKey } = signingGroup('ABCDEFGHIJ', 6, {
    byzantine: {
      A: rewrite<{ shares: { seat: number; share: string }[] }>('tbtc-signing/share', (p) => ({
        ...p,
        shares: p.shares.map((x) => ({ ...x, share: flip(x.share) })),
      })),
    },
  });
  const results = await signAll(message);
  for (const [i, r] of results.entries()) {
    if (nodes[i]!.letter === 'A') continue;
    assert.equal(r.status, 'fulfilled', String((r as PromiseRejectedResult).reason));
    assert.equal(schnorr.verify((r as PromiseFulfilledResult<Uint8Array>).value, message, groupKey), true);
  }
  const honest = nodes.filter((n) => n.letter !== 'A');
  for (const node of honest) assert.equal(await node.metrics.value('performance_signing_success_total'), 1);
  // Seat 1 (A's) was in the first session (signers are the lowest ready seats) and was caught there.
  const sessions = await honest[0]!.metrics.value('performance_signing_attempts_per_operation_sum');
  assert.ok(sessions > 1, `sessions used: ${sessions}`);
});

test('a coordinator that aborts the operation only ends its own epoch: the signature completes and verifies', async () => {
  const forgedAbort = inject('tbtc-signing/ready', (payload) => {
    const { session, epoch } = payload as { session: string; epoch: number };
    return [
      { type: 'tbtc-signing/abort', payload: { session, epoch, reason: 'forged', bad: [2, 3, 4, 5, 6] } },
    ];
  });
  const { nodes, signCoordinatedBy, groupKey } = signingGroup('ABCDEFGHIJ', 6, {
    byzantine: { A: forgedAbort },
  });
  const { message: signed, results } = await signCoordinatedBy(1);
  for (const [i, r] of results.entries()) {
    assert.equal(
      r.status,
      'fulfilled',
      `${nodes[i]!.letter}: ${String((r as PromiseRejectedResult).reason)}`,
    );
    const { signature } = (r as PromiseFulfilledResult<{ signature: Uint8Array }>).value;
    assert.equal(schnorr.verify(signature, signed, groupKey), true);
  }
  for (const node of nodes) {
    assert.equal(await node.metrics.value('performance_signing_success_total'), 1);
    assert.equal(await node.metrics.value('performance_signing_failed_total'), 0);
  }
});

test('a coordinator reporting honest seats inactive changes no member’s activity: each reports what it saw', async () => {
  const { nodes, signCoordinatedBy, groupKey } = signingGroup('ABCDEFGHIJ', 6, {
    byzantine: { A: rewrite('tbtc-signing/done', (p) => ({ ...p, active: [1] })) },
  });
  const { message: signed, results } = await signCoordinatedBy(1);
  for (const [i, r] of results.entries()) {
    assert.equal(r.status, 'fulfilled', String((r as PromiseRejectedResult).reason));
    const { signature, activeSeats } = (
      r as PromiseFulfilledResult<{ signature: Uint8Array; activeSeats: number[] }>
    ).value;
    assert.equal(schnorr.verify(signature, signed, groupKey), true);
    assert.deepEqual(activeSeats, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], `node ${nodes[i]!.letter}`);
  }
});
