import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { WalletBusyError, WalletDispatcher } from '../../src/tbtc/wallet-dispatcher.js';
import { scrapedRecorder } from '../helpers/metrics.js';

const log = pino({ level: 'silent' });

test('a second action for a busy wallet is rejected at once and counted; the gauge follows running actions', async () => {
  const { recorder, value } = scrapedRecorder();
  const dispatcher = new WalletDispatcher(recorder, log);
  let release: () => void = () => {};
  const running = dispatcher.dispatch('w1', 'heartbeat', () => new Promise<void>((r) => (release = r)));
  assert.equal(await value('performance_wallet_dispatcher_active_actions'), 1);
  assert.throws(() => dispatcher.dispatch('w1', 'redemption', async () => {}), WalletBusyError);
  assert.equal(await value('performance_wallet_dispatcher_rejected_total', { action: 'redemption' }), 1);
  assert.equal(
    await value('performance_wallet_actions_total', { action: 'redemption' }),
    0,
    'a rejection is not an action',
  );
  const other = dispatcher.dispatch('w2', 'deposit_sweep', async () => {
    throw new Error('sweep failed');
  });
  await assert.rejects(other, /sweep failed/);
  release();
  await running;
  assert.equal(await value('performance_wallet_dispatcher_active_actions'), 0);
  assert.equal(await value('performance_wallet_actions_total', { action: 'heartbeat' }), 1);
  assert.equal(await value('performance_wallet_action_success_total', { action: 'heartbeat' }), 1);
  assert.equal(await value('performance_wallet_action_failed_total', { action: 'deposit_sweep' }), 1);
  assert.equal(await value('performance_wallet_action_duration_seconds_count', { action: 'heartbeat' }), 1);
});

test('concurrent dispatches with metrics enabled never deadlock: every call returns or rejects', async () => {
  const { recorder, value } = scrapedRecorder();
  const dispatcher = new WalletDispatcher(recorder, log);
  let accepted = 0;
  let rejected = 0;
  const runs: Promise<void>[] = [];
  for (let round = 0; round < 200; round++) {
    for (const wallet of ['a', 'b', 'c', 'd']) {
      try {
        runs.push(dispatcher.dispatch(wallet, 'heartbeat', () => new Promise((r) => setImmediate(r))));
        accepted++;
      } catch (err) {
        assert.ok(err instanceof WalletBusyError);
        rejected++;
      }
    }
    if (round % 3 === 0) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(runs);
  assert.equal(accepted + rejected, 800);
  assert.equal(await value('performance_wallet_actions_total', { action: 'heartbeat' }), accepted);
  assert.equal(
    await value('performance_wallet_dispatcher_rejected_total', { action: 'heartbeat' }),
    rejected,
  );
  assert.equal(await value('performance_wallet_action_success_total', { action: 'heartbeat' }), accepted);
  assert.equal(await value('performance_wallet_dispatcher_active_actions'), 0);
});
