import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { catalog, FREE, METRIC_NAMES, type MetricSpec } from '../../src/clientinfo/catalog.js';
import { closedLabelSets } from '../../src/clientinfo/prom-recorder.js';
import { type Family, scrape } from '../helpers/exposition.js';
import { httpRequest } from '../helpers/http.js';
import { freePort, type NodeProcess, runCli, startNodeProcess, tempDir } from '../helpers/process.js';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('clientinfo server of a running keep-client', () => {
  const storage = tempDir();
  let node: NodeProcess;
  let port: number;
  let base: string;

  before(async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    node = await startNodeProcess(['--clientInfo.port', String(port), '--storage.dir', storage.path]);
  });
  after(async () => {
    await node?.stop('SIGKILL');
    storage.remove();
  });

  test('no Accept header: Prometheus text 0.0.4', async () => {
    const answer = await httpRequest(`${base}/metrics`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.ok(!answer.body.includes('# EOF'));
    assert.match(answer.body, /^performance_wallet_actions_total\{action="heartbeat"\} 0$/m);
  });

  test("Prometheus's default Accept header: OpenMetrics 1.0 ending in # EOF", async () => {
    const answer = await httpRequest(`${base}/metrics`, { headers: { accept: PROMETHEUS_ACCEPT } });
    assert.equal(answer.status, 200);
    assert.equal(
      answer.headers['content-type'],
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    assert.ok(answer.body.endsWith('# EOF\n'), answer.body.slice(-40));
    assert.match(answer.body, /^performance_wallet_actions_total\{action="heartbeat"\} 0$/m);
  });

  test('every catalog metric appears with its type, help and labels', async () => {
    const { families } = await scrape(`${base}/metrics`);
    for (const name of METRIC_NAMES) {
      const spec: MetricSpec = catalog[name];
      const family = families.get(name);
      assert.ok(family, `${name} is exported`);
      assert.equal(family.type, spec.type, name);
      assert.equal(family.help, spec.help, name);
      const declared = Object.keys(spec.labels).sort();
      const closed = closedLabelSets(spec);
      if (Object.values(spec.labels).some((domain) => domain === FREE) && name !== 'client_info') continue;
      assert.ok(family.samples.length > 0, `${name} has series before any event`);
      for (const sample of family.samples) {
        const labels = Object.keys(sample.labels)
          .filter((label) => label !== 'le')
          .sort();
        assert.deepEqual(labels, declared, `${sample.name} labels`);
      }
      if (closed.length > 0) {
        const seen = new Set(family.samples.map((s) => JSON.stringify(declared.map((l) => s.labels[l]))));
        assert.equal(seen.size, closed.length, `${name}: one series per known label combination`);
      }
      if (spec.type === 'histogram') checkHistogram(family, spec);
    }
  });

  test('client_info carries version and revision', async () => {
    const { families } = await scrape(`${base}/metrics`);
    const [sample] = families.get('client_info')?.samples ?? [];
    assert.ok(sample);
    assert.equal(sample.value, 1);
    assert.match(sample.labels.version ?? '', /^\d+\.\d+\.\d+/);
    assert.ok(sample.labels.revision);
  });

  test('node-info gauges: no peers yet, the embedded chain answers, no Bitcoin chain', async () => {
    const { families } = await scrape(`${base}/metrics`);
    const value = (name: string) => families.get(name)?.samples[0]?.value;
    assert.equal(value('connected_peers_count'), 0);
    assert.equal(value('connected_bootstrap_count'), 0);
    assert.equal(value('eth_connectivity'), 1);
    assert.equal(value('btc_connectivity'), 0);
  });

  test('/diagnostics answers JSON with the client version', async () => {
    const answer = await httpRequest(`${base}/diagnostics`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
    const document = JSON.parse(answer.body);
    assert.match(document.client_info.version, /^\d+\.\d+\.\d+/);
    assert.match(document.client_info.operator_address, /^0x[0-9a-f]{40}$/);
    assert.match(document.client_info.peer_id, /^16Uiu2/);
    assert.deepEqual(document.connected_peers, []);
    assert.equal(typeof document.eth_chain_info.latest_block_number, 'number');
    assert.deepEqual(document.wallets, []);
    assert.ok(!answer.body.includes('private'), 'no key material');
  });

  test('HEAD works, other methods get 405, other paths 404', async () => {
    const head = await httpRequest(`${base}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.ok(Number(head.headers['content-length']) > 1000);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const answer = await httpRequest(`${base}/metrics`, { method });
      assert.equal(answer.status, 405, method);
      assert.equal(answer.headers.allow, 'GET, HEAD');
    }
    assert.equal((await httpRequest(`${base}/`)).status, 404);
    assert.equal((await httpRequest(`${base}/metrics/extra`)).status, 404);
    assert.equal((await httpRequest(`${base}/__proto__`)).status, 404);
    assert.equal((await httpRequest(`${base}/metrics?x=1`)).status, 200);
  });

  test('garbage on the socket does not stop the server', async () => {
    await new Promise<void>((resolve) => {
      const socket = createConnection(port, '127.0.0.1', () => socket.end('\x00\x01 not http\r\n\r\n'));
      socket.resume(); // read the server's answer so the close is seen
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    assert.equal((await httpRequest(`${base}/metrics`)).status, 200);
  });

  test('a second node on the same port exits 1 with one line', async () => {
    const result = await runCli([
      'start',
      '--clientInfo.port',
      String(port),
      '--network.port',
      '0',
      '--storage.dir',
      storage.path,
    ]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `keep-client: client info server on 127.0.0.1:${port} cannot listen: EADDRINUSE\n`,
    );
    assert.equal((await httpRequest(`${base}/metrics`)).status, 200, 'the first node still serves');
  });

  test('SIGTERM exits 0 and releases the port', async () => {
    const { code } = await node.stop('SIGTERM');
    assert.equal(code, 0);
    const again = await startNodeProcess(['--clientInfo.port', String(port), '--storage.dir', storage.path]);
    try {
      assert.equal((await httpRequest(`${base}/metrics`)).status, 200);
    } finally {
      const { code: secondCode } = await again.stop('SIGINT');
      assert.equal(secondCode, 0, 'SIGINT exits 0 too');
    }
  });
});

function checkHistogram(family: Family, spec: MetricSpec): void {
  const bySeries = new Map<string, Family['samples']>();
  for (const sample of family.samples) {
    const { le: _le, ...labels } = sample.labels;
    const key = JSON.stringify(labels);
    bySeries.set(key, [...(bySeries.get(key) ?? []), sample]);
  }
  for (const [key, samples] of bySeries) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const bounds = buckets.map((b) => b.labels.le);
    assert.deepEqual(bounds, [...(spec.buckets ?? []).map(String), '+Inf'], `${family.name}${key} buckets`);
    for (let i = 1; i < buckets.length; i++)
      assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'cumulative');
    const count = samples.find((s) => s.name === `${family.name}_count`);
    const sum = samples.find((s) => s.name === `${family.name}_sum`);
    assert.ok(count && sum, `${family.name}${key} has _sum and _count`);
    assert.equal(count.value, buckets.at(-1)!.value, '_count equals the +Inf bucket');
  }
}
