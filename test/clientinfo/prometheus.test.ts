import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { catalog, METRIC_NAMES, type MetricSpec } from '../../src/clientinfo/catalog.js';
import { startPrometheus } from '../helpers/prometheus.js';
import { freePort, type NodeProcess, startNodeProcess, tempDir } from '../helpers/process.js';
import { toolSkipReason } from '../helpers/tools.js';

describe('a real scrape checked by promtool and Prometheus', () => {
  const storage = tempDir();
  let node: NodeProcess;
  let port: number;

  before(async () => {
    port = await freePort();
    node = await startNodeProcess(['--clientInfo.port', String(port), '--storage.dir', storage.path]);
  });
  after(async () => {
    await node?.stop();
    storage.remove();
  });

  test('promtool check metrics finds no problem beyond the documented keep-core names', {
    skip: toolSkipReason('promtool'),
  }, async () => {
    const excepted = METRIC_NAMES.filter((name) => (catalog[name] as MetricSpec).lintException);
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    const findings = `${lint.stdout}${lint.stderr}`.split('\n').filter((line) => line.length > 0);
    const unexpected = findings.filter((line) => !excepted.some((name) => line.startsWith(`${name} `)));
    assert.deepEqual(unexpected, [], 'promtool findings on anything but the documented names');
    for (const line of findings) assert.match(line, /should not have "_count" suffix/);
    const withoutExceptions = body
      .split('\n')
      .filter((line) => !excepted.some((name) => line.includes(` ${name} `) || line.startsWith(`${name} `)))
      .join('\n');
    const clean = spawnSync('promtool', ['check', 'metrics'], { input: withoutExceptions, encoding: 'utf8' });
    assert.equal(`${clean.stdout}${clean.stderr}`, '');
    assert.equal(clean.status, 0);
  });

  test('promtool rejects a badly named metric (the check can fail)', {
    skip: toolSkipReason('promtool'),
  }, () => {
    const lint = spawnSync('promtool', ['check', 'metrics'], {
      input: '# HELP bad_count_total x\n# TYPE bad_count_total gauge\nbad_count_total 1\n',
      encoding: 'utf8',
    });
    assert.notEqual(lint.status, 0);
  });

  test('Prometheus scrapes the node: up == 1 and wallet actions at 0', {
    skip: toolSkipReason('prometheus'),
  }, async () => {
    const prometheus = await startPrometheus([`127.0.0.1:${port}`]);
    try {
      const up = await prometheus.waitFor('up', (result) => (result.length > 0 ? result : undefined));
      assert.equal(up[0]?.value[1], '1');
      const series = await prometheus.waitFor('performance_wallet_actions_total', (result) =>
        result.length === 5 ? result : undefined,
      );
      for (const sample of series) assert.equal(sample.value[1], '0', JSON.stringify(sample.metric));
      assert.deepEqual(series.map((s) => s.metric.action).sort(), [
        'deposit_sweep',
        'heartbeat',
        'moved_funds_sweep',
        'moving_funds',
        'redemption',
      ]);
      const histogram = await prometheus.query('performance_dkg_duration_seconds_count');
      assert.equal(histogram.length, 2, 'both outcomes of the DKG histogram are scraped');
    } finally {
      await prometheus.stop();
    }
  });
});
