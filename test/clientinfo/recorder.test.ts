import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { catalog, METRIC_NAMES, OUTCOMES } from '../../src/clientinfo/catalog.js';
import { WALLET_ACTIONS } from '../../src/tbtc/wallet-actions.js';
import { MetricsRegistries } from '../../src/clientinfo/exposition.js';
import { PromRecorder } from '../../src/clientinfo/prom-recorder.js';
import { noopRecorder, type Recorder } from '../../src/clientinfo/recorder.js';
import { parseExposition, sampleValue } from '../helpers/exposition.js';

function setup() {
  const registries = new MetricsRegistries({ processMetrics: false });
  const recorder = new PromRecorder(registries.registry);
  const read = async () => parseExposition((await registries.render(undefined)).body);
  return { registries, recorder, read };
}

/**
 * Compile-time contract, checked by `tsc` in `npm test`: each marked line must be a type
 * error, or the build fails ("unused @ts-expect-error").
 */
export function typeContract(r: Recorder): void {
  // @ts-expect-error a name that is not in the catalog
  r.inc('performance_not_a_metric_total');
  // @ts-expect-error a label the metric does not have
  r.inc('performance_wallet_actions_total', { kind: 'heartbeat' });
  // @ts-expect-error a label value outside the metric's closed set
  r.inc('performance_wallet_actions_total', { action: 'teleport' });
  // @ts-expect-error labels missing on a labelled metric
  r.inc('performance_wallet_actions_total');
  // @ts-expect-error labels on an unlabelled metric
  r.inc('performance_dkg_joined_total', { action: 'heartbeat' });
  // @ts-expect-error a counter is not a histogram
  r.observe('performance_dkg_joined_total', 1);
  // @ts-expect-error a histogram is not a counter
  r.inc('performance_dkg_duration_seconds', { outcome: 'success' });
  // @ts-expect-error a gauge source needs every label of the gauge
  r.gaugeSource('performance_message_handler_queue_size', { channel: 'c' }, () => 0);
  r.inc('performance_wallet_actions_total', { action: 'heartbeat' });
  r.inc('performance_dkg_joined_total', 3);
  r.observe('performance_dkg_duration_seconds', 1.5, { outcome: 'failure' });
  r.gaugeSource('performance_message_handler_queue_size', { channel: 'c', handler: 'h1' }, () => 0);
}

describe('PromRecorder', () => {
  test('known label values exist at zero before any event', async () => {
    const { read } = setup();
    const families = await read();
    for (const action of WALLET_ACTIONS) {
      assert.equal(sampleValue(families, 'performance_wallet_actions_total', { action }), 0);
      assert.equal(sampleValue(families, 'performance_wallet_dispatcher_rejected_total', { action }), 0);
      assert.equal(sampleValue(families, 'performance_wallet_action_duration_seconds_count', { action }), 0);
    }
    for (const outcome of OUTCOMES) {
      assert.equal(sampleValue(families, 'performance_signing_duration_seconds_count', { outcome }), 0);
    }
    assert.equal(sampleValue(families, 'performance_dkg_joined_total'), 0);
    assert.equal(sampleValue(families, 'performance_ping_test_duration_seconds_count'), 0);
  });

  test('counters, histograms and gauges move by exactly what was recorded', async () => {
    const { recorder, read } = setup();
    recorder.inc('performance_wallet_actions_total', { action: 'heartbeat' });
    recorder.inc('performance_wallet_actions_total', { action: 'heartbeat' });
    recorder.inc('performance_dkg_joined_total', 3);
    recorder.inc('performance_signing_operations_total');
    recorder.observe('performance_signing_duration_seconds', 0.3, { outcome: 'success' });
    recorder.observe('performance_ping_test_duration_seconds', 0.002);
    recorder.set('eth_connectivity', 1);
    const families = await read();
    assert.equal(sampleValue(families, 'performance_wallet_actions_total', { action: 'heartbeat' }), 2);
    assert.equal(sampleValue(families, 'performance_wallet_actions_total', { action: 'redemption' }), 0);
    assert.equal(sampleValue(families, 'performance_dkg_joined_total'), 3);
    assert.equal(sampleValue(families, 'performance_signing_operations_total'), 1);
    assert.equal(
      sampleValue(families, 'performance_signing_duration_seconds_count', { outcome: 'success' }),
      1,
    );
    assert.equal(
      sampleValue(families, 'performance_signing_duration_seconds_bucket', {
        outcome: 'success',
        le: '0.25',
      }),
      0,
    );
    assert.equal(
      sampleValue(families, 'performance_signing_duration_seconds_bucket', { outcome: 'success', le: '0.5' }),
      1,
    );
    assert.equal(sampleValue(families, 'performance_ping_test_duration_seconds_sum'), 0.002);
    assert.equal(sampleValue(families, 'eth_connectivity'), 1);
  });

  test('gauge sources are read at scrape time and vanish when unregistered', async () => {
    const { recorder, read } = setup();
    let size = 7;
    const stopA = recorder.gaugeSource(
      'performance_message_handler_queue_size',
      { channel: 'tbtc-1', handler: 'h1' },
      () => size,
    );
    const stopB = recorder.gaugeSource(
      'performance_message_handler_queue_size',
      { channel: 'tbtc-1', handler: 'h2' },
      () => 1,
    );
    const labelsA = { channel: 'tbtc-1', handler: 'h1' };
    assert.equal(sampleValue(await read(), 'performance_message_handler_queue_size', labelsA), 7);
    size = 512;
    assert.equal(sampleValue(await read(), 'performance_message_handler_queue_size', labelsA), 512);
    stopA();
    const families = await read();
    assert.equal(sampleValue(families, 'performance_message_handler_queue_size', labelsA), undefined);
    assert.equal(
      sampleValue(families, 'performance_message_handler_queue_size', { channel: 'tbtc-1', handler: 'h2' }),
      1,
    );
    stopB();
    assert.equal(
      (await read()).get('performance_message_handler_queue_size')?.samples.length,
      0,
      'no series left once every source is gone',
    );
  });

  test('a failing source is left out and nothing throws into the caller', async () => {
    const { recorder, read } = setup();
    recorder.gaugeSource('performance_incoming_message_queue_size', { channel: 'bad' }, () => {
      throw new Error('boom');
    });
    recorder.gaugeSource('performance_incoming_message_queue_size', { channel: 'good' }, () => 3);
    // Invalid input from untyped callers is swallowed, not thrown.
    const loose = recorder as unknown as {
      inc(name: string, ...args: unknown[]): void;
      observe(...args: unknown[]): void;
    };
    assert.doesNotThrow(() => loose.inc('performance_dkg_joined_total', -5));
    assert.doesNotThrow(() => loose.inc('no_such_metric_total'));
    assert.doesNotThrow(() => loose.inc('performance_wallet_actions_total', { wrong: 'x' }));
    assert.doesNotThrow(() => loose.observe('performance_dkg_duration_seconds', 1, { nope: 'x' }));
    const families = await read();
    assert.equal(sampleValue(families, 'performance_incoming_message_queue_size', { channel: 'good' }), 3);
    assert.equal(
      sampleValue(families, 'performance_incoming_message_queue_size', { channel: 'bad' }),
      undefined,
    );
    assert.equal(
      sampleValue(families, 'performance_dkg_joined_total'),
      0,
      'a negative increment was refused',
    );
  });

  test('an OpenMetrics scrape leaves the text format intact (prom-client renames counters in place)', async () => {
    const { registries, recorder, read } = setup();
    recorder.inc('performance_dkg_joined_total');
    const openMetrics = await registries.render('application/openmetrics-text; version=1.0.0');
    assert.match(openMetrics.body, /^# TYPE performance_dkg_joined counter$/m);
    assert.match(openMetrics.body, /^performance_dkg_joined_total 1$/m);
    assert.ok(openMetrics.body.endsWith('# EOF\n'));
    const families = await read();
    assert.equal(families.get('performance_dkg_joined_total')?.type, 'counter');
    assert.equal(sampleValue(families, 'performance_dkg_joined_total'), 1);
    const again = await registries.render('application/openmetrics-text');
    assert.equal(again.body, openMetrics.body, 'a second OpenMetrics scrape is the same');
  });

  test('every catalog metric is registered with its help text', async () => {
    const { read } = setup();
    const families = await read();
    for (const name of METRIC_NAMES) assert.equal(families.get(name)?.help, catalog[name].help, name);
  });
});

describe('noopRecorder', () => {
  test('is disabled and accepts every call without effect', () => {
    assert.equal(noopRecorder.enabled, false);
    assert.doesNotThrow(() => typeContractSafe(noopRecorder));
    const unregister = noopRecorder.gaugeSource(
      'performance_incoming_message_queue_size',
      { channel: 'x' },
      () => 1,
    );
    assert.equal(typeof unregister, 'function');
    unregister();
  });
});

function typeContractSafe(r: Recorder): void {
  r.inc('performance_wallet_actions_total', { action: 'heartbeat' });
  r.observe('performance_dkg_duration_seconds', 1.5, { outcome: 'failure' });
  r.set('eth_connectivity', 1);
}
