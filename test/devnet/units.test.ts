import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/load.js';
import { LiveArea } from '../../src/devnet/live-area.js';
import { devnetSettings } from '../../src/devnet/options.js';
import { prometheusConfig } from '../../src/devnet/prometheus.js';
import { renderPlain, renderTable } from '../../src/devnet/progress-view.js';
import { DEFAULT_SHAPE, PRODUCTION_SHAPE, tbtcSettings } from '../../src/devnet/shape.js';
import { tempDir } from '../helpers/process.js';
import { toolSkipReason } from '../helpers/tools.js';

describe('devnet settings', () => {
  test('defaults, the production preset, and explicit flags over the preset', () => {
    assert.deepEqual(devnetSettings({}).shape, DEFAULT_SHAPE);
    assert.deepEqual(devnetSettings({ productionShape: true }).shape.wallet, {
      groupSize: 100,
      groupQuorum: 90,
      honestThreshold: 51,
    });
    const custom = devnetSettings({ productionShape: true, groupSize: '40', threshold: '30', nodes: '6' });
    assert.deepEqual(custom.shape.wallet, { groupSize: 40, groupQuorum: 36, honestThreshold: 30 });
    assert.equal(custom.shape.nodes, 6);
    assert.equal(custom.shape.pace, PRODUCTION_SHAPE.pace);
    assert.equal(devnetSettings({ blockTime: '50ms' }).shape.blockTimeMs, 50);
    assert.equal(devnetSettings({ duration: '1m30s' }).durationMs, 90_000);
    assert.equal(devnetSettings({ prometheus: false }).prometheus, false);
    assert.throws(() => devnetSettings({ nodes: '2.5' }), ConfigError);
    assert.throws(() => devnetSettings({ duration: '0' }), ConfigError);
  });

  test('block counts follow the block time; a heartbeat runs in every window', () => {
    const quick = tbtcSettings(DEFAULT_SHAPE);
    const slow = tbtcSettings({ ...DEFAULT_SHAPE, blockTimeMs: 1000 });
    assert.equal(quick.CoordinationFrequencyBlocks! * DEFAULT_SHAPE.blockTimeMs, 10_000);
    assert.equal(slow.CoordinationFrequencyBlocks, 10);
    assert.equal(quick.HeartbeatProbability, 1);
    assert.ok(
      quick.SigningTimeoutBlocks! + quick.CoordinationActiveBlocks! <= quick.CoordinationFrequencyBlocks!,
    );
    const production = tbtcSettings(PRODUCTION_SHAPE);
    assert.equal(production.HeartbeatMinimumActiveMembers, 70);
    assert.ok(production.ResultSubmissionTimeoutBlocks! > 5 * production.DkgPhaseBlocks! + 100 * 3);
  });
});

describe('the devnet’s Prometheus configuration', () => {
  test('scrapes every target with its labels and loads the rule files', {
    skip: toolSkipReason('promtool'),
  }, () => {
    const dir = tempDir();
    const rules = join(dir.path, 'alerts.yml');
    writeFileSync(rules, 'groups:\n  - name: t\n    rules:\n      - alert: Down\n        expr: up == 0\n');
    const config = join(dir.path, 'prometheus.yml');
    writeFileSync(
      config,
      prometheusConfig({
        targets: [
          { address: '127.0.0.1:9601', labels: { node: 'node-0' } },
          { address: '127.0.0.1:9602', labels: { node: 'node-1' } },
        ],
        scrapeInterval: '2s',
        ruleFiles: [rules],
      }),
    );
    const check = spawnSync('promtool', ['check', 'config', config], { encoding: 'utf8' });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    assert.match(check.stdout, /SUCCESS: 1 rule files found/);
    assert.match(check.stdout, /SUCCESS: 1 rules found/);
    dir.remove();
  });
});

describe('the progress display', () => {
  const status = {
    peers: 3,
    block: 120,
    dkgSeats: 5,
    dkgOk: 1,
    dkgFailed: 0,
    wallets: 1,
    signaturesOk: 12,
    signaturesFailed: 1,
    heartbeatsOk: 11,
    heartbeatsFailed: 1,
    relayOk: 4,
    relayFailed: 1,
    failures: 3,
  };
  const overview = { elapsedMs: 65_400, block: 120, groups: 'wallets 1', activity: 'no DKG running' };
  const rows = [
    { name: 'node-0', state: 'running', status },
    { name: 'node-1', state: 'exited (code 1)', status: undefined },
  ];

  test('a table with aligned columns, a dash where a node does not answer', () => {
    assert.deepEqual(renderTable(overview, rows), [
      'devnet up 1m5s · block 120 · wallets 1 · no DKG running',
      'node    state            peers  block  dkg ok/fail  seats  wallets  signatures ok/fail  heartbeats ok/fail  relay ok/fail  failures',
      'node-0  running              3    120          1/0      5        1                12/1                11/1            4/1         3',
      'node-1  exited (code 1)      -      -            -      -        -                   -                   -              -         -',
    ]);
  });

  test('plain key=value lines', () => {
    assert.deepEqual(renderPlain(overview, rows), [
      'devnet up 1m5s · block 120 · wallets 1 · no DKG running',
      'node-0 running peers=3 block=120 dkg=1/0 seats=5 wallets=1 signatures=12/1 heartbeats=11/1 relay=4/1 failures=3',
      'node-1 exited (code 1)',
    ]);
  });
});

describe('the live area of a terminal', () => {
  test('redraws its lines in place and scrolls log lines above them', () => {
    let written = '';
    const terminal = { columns: 30, write: (text: string) => (written += text) };
    const area = new LiveArea(terminal as unknown as NodeJS.WriteStream);
    area.update(['first', 'second']);
    assert.equal(written, 'first\nsecond\n');
    written = '';
    area.update(['a line longer than the terminal']);
    assert.equal(written, '\x1b[2F\x1b[Ja line longer than the termin\n', 'cut to the width');
    written = '';
    area.log('event');
    assert.equal(written, '\x1b[1F\x1b[Jevent\na line longer than the termin\n');
    area.release();
    written = '';
    area.update(['new']);
    assert.equal(written, 'new\n', 'a released area is not erased');
  });
});
