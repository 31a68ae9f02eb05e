/**
 * Finding #9: a registered member floods a node. The target, an honest member and the
 * hostile member each run in their own process over libp2p on loopback; the target serves
 * its real /metrics. Floods are bounded in count and rate.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { bytesToHex } from '@noble/hashes/utils.js';
import { after, before, describe, type TestContext, test } from 'node:test';
import { Child } from '../../bench/child.js';
import { generateOperatorKey, type OperatorKey } from '../../src/crypto/operator-key.js';
import { MAX_PAYLOAD_LENGTH } from '../../src/net/envelope.js';
import { peerIdOfOperatorKey } from '../../src/net/libp2p/identity.js';
import { DEFAULT_PEER_GUARD_LIMITS } from '../../src/net/peer-guard.js';
import type { HostileRequest } from '../fixtures/hostile-peer-process.js';
import { type MemberRequest, type MemberStatus, OTHER_TYPE, TEXT_TYPE } from '../fixtures/member-node.js';
import { type Family, parseExposition, sampleValue } from '../helpers/exposition.js';
import type { Flood, FloodResult } from '../helpers/hostile-peer.js';
import { eventually } from '../helpers/wait.js';
import { freePort } from '../helpers/process.js';

const MEMBER = fileURLToPath(new URL('../fixtures/member-node.js', import.meta.url));
const HOSTILE = fileURLToPath(new URL('../fixtures/hostile-peer-process.js', import.meta.url));
const CHANNEL = 'flood-test';

interface PollLog {
  answered: number;
  failed: string[];
}

describe('a registered member flooding a node over libp2p', () => {
  const keys = {
    target: generateOperatorKey(),
    honest: generateOperatorKey(),
    forger: generateOperatorKey(),
    oversizer: generateOperatorKey(),
    spammer: generateOperatorKey(),
  };
  const members = Object.values(keys).map((key) => key.address);
  let target: Child<MemberRequest>;
  let honest: Child<MemberRequest>;
  const hostiles = new Map<OperatorKey, Child<HostileRequest>>();
  let targetAddress: string;
  let metricsUrl: string;
  let honestSent = 0;

  const scrapeTarget = async (): Promise<Map<string, Family>> => {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(30_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return parseExposition(await response.text());
  };
  const value = (families: Map<string, Family>, name: string, labels: Record<string, string> = {}) =>
    sampleValue(families, name, labels) ?? Number.NaN;
  const status = (child: Child<MemberRequest>) => child.call<MemberStatus>({ cmd: 'status' });

  before(async () => {
    const [targetPort, honestPort, metricsPort] = await Promise.all([freePort(), freePort(), freePort()]);
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    targetAddress = `/ip4/127.0.0.1/tcp/${targetPort}/p2p/${peerIdOfOperatorKey(keys.target.publicKey)}`;
    const honestAddress = `/ip4/127.0.0.1/tcp/${honestPort}/p2p/${peerIdOfOperatorKey(keys.honest.publicKey)}`;
    target = Child.fork<MemberRequest>(MEMBER);
    honest = Child.fork<MemberRequest>(MEMBER);
    const start = (key: OperatorKey, port: number, peers: string[], metrics: number): MemberRequest => ({
      cmd: 'start',
      privateKeyHex: bytesToHex(key.privateKey),
      port,
      peers,
      channel: CHANNEL,
      members,
      metricsPort: metrics,
    });
    await target.call(start(keys.target, targetPort, [honestAddress], metricsPort));
    await honest.call(start(keys.honest, honestPort, [targetAddress], 0));
    for (const key of [keys.forger, keys.oversizer, keys.spammer]) {
      const hostile = Child.fork<HostileRequest>(HOSTILE);
      hostiles.set(key, hostile);
      await hostile.call({ cmd: 'start', privateKeyHex: bytesToHex(key.privateKey), channel: CHANNEL });
      assert.equal(
        await hostile.call({ cmd: 'dial', address: targetAddress }),
        true,
        'a member passes the firewall',
      );
    }
    await eventually(
      () => status(target),
      (s) => s.channelPeers === 4,
      30_000,
      'the honest and hostile members subscribed at the target',
    );
    for (const hostile of hostiles.values()) {
      await eventually(
        () => hostile.call<number>({ cmd: 'subscribers', channel: CHANNEL }),
        (n) => n >= 1,
        30_000,
        'the target seen by the hostile member',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // gossipsub grafts on its 1 s heartbeat
  });

  after(async () => {
    await Promise.all([target, honest, ...hostiles.values()].filter(Boolean).map((child) => child.stop()));
  });

  /**
   * Runs a flood while polling the target's /metrics one scrape after another, and has the
   * honest member send one message during the flood and one after it.
   */
  async function underFlood(t: TestContext, attacker: OperatorKey, flood: Flood) {
    const hostile = hostiles.get(attacker)!;
    await hostile.call({ cmd: 'prepare', flood }, 120_000);
    const before = await scrapeTarget();
    const cpuBefore = (await status(target)).cpuMs;
    const polls: PollLog = { answered: 0, failed: [] };
    let flooding = true;
    const poller = (async () => {
      while (flooding) {
        try {
          await scrapeTarget();
          polls.answered++;
        } catch (err) {
          const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
          polls.failed.push(`${(err as Error).message} (${cause?.code ?? cause?.message ?? 'no cause'})`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const started = performance.now();
    const result = hostile.call<FloodResult>({ cmd: 'flood' }, 120_000);
    // Once the flood is under way:
    await eventually(
      () => scrapeTarget(),
      (f) =>
        value(f, 'performance_message_dropped_total', { reason: 'bad_signature' }) +
          value(f, 'performance_message_dropped_total', { reason: 'oversized' }) +
          value(f, 'performance_message_received_total') >
        value(before, 'performance_message_dropped_total', { reason: 'bad_signature' }) +
          value(before, 'performance_message_dropped_total', { reason: 'oversized' }) +
          value(before, 'performance_message_received_total'),
      60_000,
      'the first flooded messages at the target',
    );
    const during = `during ${flood.kind} ${++honestSent}`;
    await honest.call({ cmd: 'send', text: during });
    const flooded = await result;
    const seconds = (performance.now() - started) / 1000;
    flooding = false;
    await poller;
    const afterText = `after ${flood.kind} ${++honestSent}`;
    await honest.call({ cmd: 'send', text: afterText });
    const cpuAfter = (await status(target)).cpuMs;
    t.diagnostic(
      `${flood.kind}: ${flooded.sent} sent (${flooded.reachedPeers} reached a peer) in ≈${seconds.toFixed(1)} s; ` +
        `target CPU ${(cpuAfter - cpuBefore).toFixed(0)} ms (≈${((cpuAfter - cpuBefore) / 10 / seconds).toFixed(0)} % of a core); ` +
        `${polls.answered} /metrics polls answered`,
    );
    // The honest member's messages got through, during the flood and after it.
    await eventually(
      () => status(target),
      (s) => s.received.includes(during) && s.received.includes(afterText),
      30_000,
      'the honest messages at the target',
    );
    assert.deepEqual(polls.failed, [], 'every /metrics poll during the flood was answered');
    assert.ok(polls.answered > 0);
    // The attacker is cut off: disconnected, and refused when it dials again.
    await eventually(
      () => hostile.call<string[]>({ cmd: 'connected' }),
      (peers) => !peers.includes(peerIdOfOperatorKey(keys.target.publicKey).toString()),
      30_000,
      'the attacker disconnected from the target',
    );
    assert.ok(!(await status(target)).connected.includes(attacker.address));
    // Dialling again gets no connection that lasts: the target's firewall refuses the peer.
    await hostile.call({ cmd: 'dial', address: targetAddress });
    await eventually(
      () => hostile.call<string[]>({ cmd: 'connected' }),
      (peers) => !peers.includes(peerIdOfOperatorKey(keys.target.publicKey).toString()),
      30_000,
      'the redial refused',
    );
    assert.ok(!(await status(target)).connected.includes(attacker.address));
    assert.ok((await status(target)).connected.includes(keys.honest.address), 'the honest member stays');
    const afterFamilies = await scrapeTarget();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      value(afterFamilies, name, labels) - value(before, name, labels);
    const reasons = [
      'malformed',
      'not_member',
      'unknown_type',
      'queue_full',
      'bad_signature',
      'oversized',
      'over_peer_budget',
      'over_sender_budget',
      'peer_blocked',
    ];
    t.diagnostic(
      reasons
        .map((reason) => {
          const labels = { reason };
          const name = 'performance_message_dropped_total';
          return `${reason} +${value(afterFamilies, name, labels) - value(before, name, labels)}`;
        })
        .join(', '),
    );
    assert.ok(delta('performance_peer_disconnections_total') >= 1);
    return { flooded, delta, received: (await status(target)).received };
  }

  test('bad signatures: a few are verified, then the peer is blocked and the rest cost no signature check', async (t) => {
    const { flooded, delta } = await underFlood(t, keys.forger, {
      channel: CHANNEL,
      kind: 'bad_signature',
      type: TEXT_TYPE,
      count: 2_400,
      perSecond: 800,
    });
    assert.equal(delta('performance_peers_blocked_total', { reason: 'invalid_messages' }), 1);
    const verified = delta('performance_message_dropped_total', { reason: 'bad_signature' });
    assert.ok(verified >= 1, 'the forgeries were seen');
    assert.ok(
      verified <= DEFAULT_PEER_GUARD_LIMITS.invalidMessages.burst + 1,
      `${verified} of ${flooded.sent} forgeries had their signature checked`,
    );
    assert.ok(flooded.reachedPeers < flooded.sent, 'later publications reach no peer');
  });

  test('oversized payloads are dropped on their length, before any signature check', async (t) => {
    const { delta, received } = await underFlood(t, keys.oversizer, {
      channel: CHANNEL,
      kind: 'oversized', // half of them validly signed
      type: TEXT_TYPE,
      count: 40,
      perSecond: 20,
    });
    const oversized = delta('performance_message_dropped_total', { reason: 'oversized' });
    assert.ok(
      oversized >= 1 && oversized <= DEFAULT_PEER_GUARD_LIMITS.invalidMessages.burst + 1,
      `${oversized}`,
    );
    assert.equal(delta('performance_message_dropped_total', { reason: 'bad_signature' }), 0);
    assert.equal(delta('performance_peers_blocked_total', { reason: 'invalid_messages' }), 1);
    assert.ok(
      received.every((text) => text.length < MAX_PAYLOAD_LENGTH),
      'no oversized payload reached the handler',
    );
  });

  test('validly signed messages no handler wants: the flood is cut to the budget and its sender blocked', async (t) => {
    const { delta } = await underFlood(t, keys.spammer, {
      channel: CHANNEL,
      kind: 'useless',
      type: OTHER_TYPE,
      count: 2_000,
      perSecond: 1_000,
    });
    assert.equal(delta('performance_peers_blocked_total', { reason: 'message_rate' }), 1);
    assert.ok(delta('performance_message_dropped_total', { reason: 'over_sender_budget' }) >= 1);
    assert.equal(delta('performance_peers_blocked_total', { reason: 'invalid_messages' }), 0);
  });
});
