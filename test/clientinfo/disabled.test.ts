import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { startClientInfo } from '../../src/clientinfo/client-info.js';
import { noopRecorder } from '../../src/clientinfo/recorder.js';
import { loadConfig } from '../../src/config/load.js';
import { freePort, startNodeProcess, tempDir } from '../helpers/process.js';

/** Ports of the TCP sockets in LISTEN state owned by the process, from /proc. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // fd closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && inodes.has(fields[9]!))
        ports.push(Number.parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

/** The libp2p TCP port from the "node started" log line. */
function libp2pPort(logs: Record<string, unknown>[]): number {
  const started = logs.find((line) => line.msg === 'node started') as { listen: string[] };
  return Number(/\/tcp\/(\d+)/.exec(started.listen[0]!)![1]);
}

test('[ClientInfo] Port = 0: the node runs and no HTTP server listens', async () => {
  const storage = tempDir();
  const metricsPort = await freePort();
  const [disabled, enabled] = await Promise.all([
    startNodeProcess(['--clientInfo.port', '0', '--storage.dir', `${storage.path}/a`]),
    startNodeProcess(['--clientInfo.port', String(metricsPort), '--storage.dir', `${storage.path}/b`]),
  ]);
  try {
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(disabled.child.exitCode, null, 'the node keeps running without a server');
    assert.deepEqual(listeningPorts(disabled.pid), [libp2pPort(disabled.logs)], 'only libp2p listens');
    assert.ok(disabled.logs.some((l) => String(l.msg).includes('client info disabled')));
    assert.deepEqual(
      listeningPorts(enabled.pid),
      [libp2pPort(enabled.logs), metricsPort].sort((a, b) => a - b),
      'the same check sees the server of an enabled node',
    );
  } finally {
    const [stoppedDisabled] = await Promise.all([disabled.stop(), enabled.stop()]);
    storage.remove();
    assert.equal(stoppedDisabled.code, 0);
  }
});

test('[ClientInfo] Port = 0: the recorder is the no-op one and nothing is served', async () => {
  const config = loadConfig({ flags: { 'clientInfo.port': '0' } });
  const clientInfo = await startClientInfo(config.ClientInfo, { version: 't', revision: 't' });
  assert.equal(clientInfo.recorder, noopRecorder);
  assert.equal(clientInfo.server, undefined);
  assert.equal(await clientInfo.nodeInfo.sample('eth_connectivity'), 0);
  await clientInfo.close();
});
