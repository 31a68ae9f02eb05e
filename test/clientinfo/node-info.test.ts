import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsRegistries } from '../../src/clientinfo/exposition.js';
import { NodeInfoObservers } from '../../src/clientinfo/node-info.js';
import { PromRecorder } from '../../src/clientinfo/prom-recorder.js';
import { parseExposition, sampleValue } from '../helpers/exposition.js';

test('node-info gauges are sampled at start and on their ticks; failing sources report 0', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const registries = new MetricsRegistries({ processMetrics: false });
  const observers = new NodeInfoObservers(new PromRecorder(registries.registry), {
    networkMs: 60_000,
    ethereumMs: 600_000,
    bitcoinMs: 600_000,
  });
  let peers = 3;
  observers.setSource('connected_peers_count', () => peers);
  observers.setSource('eth_connectivity', async () => {
    throw new Error('chain unreachable');
  });
  observers.start();
  await new Promise((r) => setImmediate(r));
  const read = async () => parseExposition((await registries.render(undefined)).body);
  assert.equal(sampleValue(await read(), 'connected_peers_count'), 3, 'sampled at start');
  assert.equal(sampleValue(await read(), 'eth_connectivity'), 0, 'a failing source reports 0');
  peers = 5;
  t.mock.timers.tick(59_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(sampleValue(await read(), 'connected_peers_count'), 3, 'not sampled before the tick');
  t.mock.timers.tick(1_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(sampleValue(await read(), 'connected_peers_count'), 5, 'sampled on the tick');
  observers.stop();
});
