import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { METRIC_NAMES } from '../../src/clientinfo/catalog.js';
import { renderMetricsDoc } from '../../src/clientinfo/metrics-doc.js';

const committed = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');

test('docs/metrics.md is the document generated from the catalog (run npm run docs:metrics)', () => {
  assert.equal(committed, renderMetricsDoc());
});

test('docs/metrics.md has one table row per catalog metric', () => {
  for (const name of METRIC_NAMES) {
    const rows = committed.split('\n').filter((line) => line.startsWith(`| \`${name}\` |`));
    assert.equal(rows.length, 1, name);
  }
});
