import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prefersOpenMetrics } from '../../src/clientinfo/exposition.js';

test('Accept negotiation picks OpenMetrics only when it is preferred', () => {
  const prometheusDefault =
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
  assert.equal(prefersOpenMetrics(prometheusDefault), true);
  assert.equal(prefersOpenMetrics('application/openmetrics-text'), true);
  assert.equal(prefersOpenMetrics(undefined), false);
  assert.equal(prefersOpenMetrics(''), false);
  assert.equal(prefersOpenMetrics('*/*'), false);
  assert.equal(prefersOpenMetrics('text/plain'), false);
  assert.equal(prefersOpenMetrics('text/plain;version=0.0.4,application/openmetrics-text;q=0.5'), false);
  assert.equal(
    prefersOpenMetrics('text/plain;q=0.2, application/openmetrics-text; version=1.0.0; q=0.9'),
    true,
  );
  assert.equal(
    prefersOpenMetrics('application/openmetrics-text;version=0.0.1'),
    false,
    'only 1.0.0 is served',
  );
  assert.equal(prefersOpenMetrics('application/openmetrics-text;q=0'), false);
});
