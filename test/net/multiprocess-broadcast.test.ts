import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bytesToHex } from '@noble/hashes/utils.js';
import { after, test } from 'node:test';
import { generateOperatorKey } from '../../src/crypto/operator-key.js';
import { peerIdOfOperatorKey } from '../../src/net/libp2p/identity.js';
import { eventually } from '../helpers/wait.js';
import { freePort } from '../helpers/process.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/channel-node.js', import.meta.url));
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

test('over libp2p between 4 processes, a retransmitted broadcast reaches every subscriber exactly once', async () => {
  const keys = Array.from({ length: 4 }, () => generateOperatorKey());
  const ports = await Promise.all(keys.map(() => freePort()));
  const addresses = keys.map(
    (k, i) => `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${peerIdOfOperatorKey(k.publicKey)}`,
  );
  const received: string[][] = keys.map(() => []);
  const channelPeers = keys.map(() => 0);
  for (const [i, key] of keys.entries()) {
    const peers = addresses.filter((_, j) => j !== i).join(',');
    const child = fork(FIXTURE, [bytesToHex(key.privateKey), String(ports[i]), peers, 'fixture-channel'], {
      stdio: 'ignore',
    });
    child.on('message', (message: { received?: { text: string }; peers?: number }) => {
      if (message.received) received[i]!.push(message.received.text);
      if (message.peers !== undefined) channelPeers[i] = message.peers;
    });
    children.push(child);
  }
  await eventually(
    () => [...channelPeers],
    (peers) => peers.every((n) => n === 3),
    20_000,
    'subscriptions',
  );
  await new Promise((r) => setTimeout(r, 1200)); // the gossipsub mesh forms on its heartbeat
  const texts = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
  children[0]!.send({ send: { texts, retransmitMs: 1000 } }); // ~10 retransmission ticks each
  await eventually(
    () => received.map((r) => r.length),
    (counts) => counts.every((n) => n >= texts.length),
    15_000,
    'delivery',
  );
  await new Promise((r) => setTimeout(r, 1500)); // every retransmission has arrived by now
  for (const [i, messages] of received.entries()) {
    assert.deepEqual([...messages].sort(), [...texts].sort(), `process ${i} got each message once`);
  }
  for (const child of children) child.send({ stop: true });
});
