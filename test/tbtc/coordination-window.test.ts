import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { BlockNotifier } from '../../src/chain/block-notifier.js';
import type { BlockCounter } from '../../src/chain/types.js';
import { CoordinationLayer } from '../../src/tbtc/coordination-layer.js';
import { HeartbeatFailureCounter } from '../../src/tbtc/heartbeat.js';
import { WalletDispatcher } from '../../src/tbtc/wallet-dispatcher.js';
import { scrapedRecorder } from '../helpers/metrics.js';

/** Blocks announced by hand, any height in any order (as a client sees them across reconnects). */
function handBlocks() {
  const notifier = new BlockNotifier(() => {});
  let height = 0;
  const blocks: BlockCounter = {
    currentBlock: async () => height,
    waitForBlock: (target, signal) => notifier.wait(height, target, signal),
    watchBlocks: (listener) => notifier.watch(listener),
    blockHash: async () => new Uint8Array(32),
  };
  const announce = (...heights: number[]) => {
    for (const h of heights) {
      height = h;
      notifier.announce(h);
    }
  };
  return { blocks, announce };
}

test('a coordination window is started once, even when its block is skipped, while within its active phase', async (t) => {
  const { blocks, announce } = handBlocks();
  const { recorder, value } = scrapedRecorder();
  const log = pino({ level: 'silent' });
  const started: number[] = [];
  const dispatcher = new WalletDispatcher(recorder, log);
  const layer = new CoordinationLayer({
    blocks,
    frequencyBlocks: 100,
    activeBlocks: 20,
    wallets: (window) => {
      started.push(window);
      return [];
    },
    dispatcher,
    failures: new HeartbeatFailureCounter(),
    minimumActiveMembers: 1,
    inactivity: { failureThreshold: 3, timeoutBlocks: 10 },
    recorder,
    log,
  });
  t.after(() => {
    layer.close();
    dispatcher.close();
  });
  const detected = () => value('performance_coordination_windows_detected_total');

  announce(99, 100, 101);
  assert.deepEqual(started, [100], 'at its block, once');
  announce(195, 207, 208); // block 200 skipped (a reconnection): caught 7 blocks late
  assert.deepEqual(started, [100, 200]);
  announce(260, 330); // window 300 first seen 30 blocks late: past its active phase, skipped
  assert.deepEqual(started, [100, 200]);
  announce(400, 398, 399, 400, 405); // a chain restored a few blocks back: no second window 400
  assert.deepEqual(started, [100, 200, 400]);
  announce(50, 100); // a new chain, far below: windows start over
  assert.deepEqual(started, [100, 200, 400, 100]);
  assert.equal(await detected(), 4);
});
