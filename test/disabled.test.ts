import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { startClientInfo } from '../src/clientinfo/client-info.js';
import { noopRecorder } from '../src/clientinfo/recorder.js';
import { loadConfig } from '../src/config/load.js';
import { freePort, startNodeProcess, tempDir } from './helpers/process.js';

/** TCP sockets in LISTEN state owned by the process, from /proc. */
function listeningSockets(pid: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // fd closed meanwhile
    }
  }
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && inodes.has(fields[9]!)) count++;
    }
  }
  return count;
}

test('[ClientInfo] Port = 0: the node runs and nothing listens', async () => {
  const storage = tempDir();
  const [disabled, enabled] = await Promise.all([
    startNodeProcess(['--clientInfo.port', '0', '--storage.dir', storage.path]),
    startNodeProcess(['--clientInfo.port', String(await freePort()), '--storage.dir', storage.path]),
  ]);
  try {
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(disabled.child.exitCode, null, 'the node keeps running without a server');
    assert.equal(listeningSockets(disabled.pid), 0);
    assert.ok(disabled.logs.some((l) => String(l.msg).includes('client info disabled')));
    assert.equal(listeningSockets(enabled.pid), 1, 'the same check sees the server of an enabled node');
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
