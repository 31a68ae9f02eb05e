/**
 * One node of the network benchmark, forked by bench/network.ts. It starts either our
 * Libp2pProvider with one channel ("ours") or a plain libp2p node with gossipsub ("bare"),
 * and answers the coordinator's requests over the IPC channel.
 */
import '../src/net/libp2p/polyfill.js';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { pino } from 'pino';
import { noopRecorder } from '../src/clientinfo/recorder.js';
import { operatorKeyFromPrivate } from '../src/crypto/operator-key.js';
import { Libp2pProvider } from '../src/net/libp2p/provider.js';
import { DEFAULT_PEER_GUARD_LIMITS } from '../src/net/peer-guard.js';
import { IntervalTicker } from '../src/net/retransmission.js';
import type { MessageCodec } from '../src/net/types.js';
import { serveRequests } from './child.js';

export type Mode = 'bare' | 'ours';

export type Request =
  | { cmd: 'start'; mode: Mode; privateKey: Uint8Array; port: number; peers: string[] }
  | { cmd: 'peers' }
  | { cmd: 'cpu' }
  | { cmd: 'publish'; phase: number; count: number; intervalMs: number }
  | { cmd: 'stats'; phase: number; latencies: boolean }
  | { cmd: 'stop' };

export interface PublishResult {
  sent: number;
  failed: number;
  startNs: bigint;
  endNs: bigint;
}

export interface PhaseStats {
  received: number;
  lastArrivalNs: bigint;
  latenciesMs: number[];
}

/** Each message: phase (u32) | sequence (u32) | hrtime at publish (u64) | zero padding. */
const PAYLOAD_BYTES = 1024;
const TOPIC = 'bench';
// A child whose coordinator vanished must not linger.
const LIFETIME_MS = 240_000;

interface BenchNode {
  peerCount(): number;
  publish(payload: Uint8Array): Promise<void>;
  stop(): Promise<void>;
}

type Deliver = (payload: Uint8Array) => void;

const rawCodec: MessageCodec<Uint8Array> = { type: 'bench/raw', encode: (b) => b, decode: (b) => b };

async function startOurs(privateKey: Uint8Array, port: number, peers: string[], deliver: Deliver) {
  const provider = await Libp2pProvider.create({
    key: operatorKeyFromPrivate(privateKey),
    listenAddress: '127.0.0.1',
    port,
    peers,
    allowedOperators: undefined,
    pingTimeoutMs: 5_000,
    redialIntervalMs: 250,
    // The bench pushes one publisher to the network's ceiling (75 msg/s and more), far over
    // an honest operator's budget; it measures the transport, not the flood guard.
    peerGuard: {
      ...DEFAULT_PEER_GUARD_LIMITS,
      peerMessages: { burst: 100_000, perSecond: 100_000 },
      senderMessages: { burst: 100_000, perSecond: 100_000 },
    },
    recorder: noopRecorder,
    ticker: new IntervalTicker(1_000),
    log: pino({ level: 'warn' }),
  });
  const channel = provider.broadcastChannelFor(TOPIC);
  channel.registerCodec(rawCodec);
  channel.recv((message) => {
    if (!message.local) deliver(message.payload as Uint8Array);
  });
  return {
    peerCount: () => provider.connectedPeers().length,
    publish: (payload) => channel.send(rawCodec, payload),
    stop: () => provider.close(),
  } satisfies BenchNode;
}

/** The baseline: the same stack as the provider's, but gossipsub with its default StrictSign. */
async function startBare(privateKey: Uint8Array, port: number, peers: string[], deliver: Deliver) {
  const node = await createLibp2p({
    privateKey: privateKeyFromRaw(privateKey),
    addresses: { listen: [`/ip4/127.0.0.1/tcp/${port}`] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { abortConnectionOnPingFailure: false },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({ emitSelf: false, allowPublishToZeroTopicPeers: true }),
    },
  });
  const pubsub = node.services.pubsub;
  pubsub.subscribe(TOPIC);
  pubsub.addEventListener('message', (event) => {
    if (event.detail.topic === TOPIC) deliver(event.detail.data);
  });
  // The provider's redial loop, so both modes connect the same way.
  const redial = () => {
    const connected = new Set(node.getPeers().map((peerId) => peerId.toString()));
    for (const address of peers) {
      const peerId = address.slice(address.lastIndexOf('/') + 1);
      if (connected.has(peerId)) continue;
      node.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) }).catch(() => {});
    }
  };
  redial();
  const timer = setInterval(redial, 250);
  return {
    peerCount: () => node.getPeers().length,
    publish: async (payload) => {
      await pubsub.publish(TOPIC, payload);
    },
    stop: async () => {
      clearInterval(timer);
      await node.stop();
    },
  } satisfies BenchNode;
}

interface Received {
  readonly seen: Set<number>;
  readonly latenciesMs: number[];
  lastArrivalNs: bigint;
}

const received = new Map<number, Received>();

function record(payload: Uint8Array): void {
  const now = process.hrtime.bigint();
  if (payload.length < 16) return;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const phase = view.getUint32(0);
  const sequence = view.getUint32(4);
  let entry = received.get(phase);
  if (!entry) {
    entry = { seen: new Set(), latenciesMs: [], lastArrivalNs: 0n };
    received.set(phase, entry);
  }
  if (entry.seen.has(sequence)) return;
  entry.seen.add(sequence);
  entry.latenciesMs.push(Number(now - view.getBigUint64(8)) / 1e6);
  entry.lastArrivalNs = now;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Open loop on an absolute schedule: a slow publish delays the next one but not the rate target. */
async function publishPaced(node: BenchNode, phase: number, count: number, intervalMs: number) {
  const startNs = process.hrtime.bigint();
  let failed = 0;
  for (let sequence = 0; sequence < count; sequence++) {
    const dueNs = startNs + BigInt(Math.round(sequence * intervalMs * 1e6));
    const waitMs = Number(dueNs - process.hrtime.bigint()) / 1e6;
    if (waitMs >= 1) await sleep(waitMs);
    const payload = new Uint8Array(PAYLOAD_BYTES);
    const view = new DataView(payload.buffer);
    view.setUint32(0, phase);
    view.setUint32(4, sequence);
    view.setBigUint64(8, process.hrtime.bigint());
    await node.publish(payload).catch(() => failed++);
  }
  return { sent: count - failed, failed, startNs, endNs: process.hrtime.bigint() } satisfies PublishResult;
}

let node: BenchNode | undefined;

async function handle(request: Request): Promise<unknown> {
  switch (request.cmd) {
    case 'start': {
      const start = request.mode === 'ours' ? startOurs : startBare;
      node = await start(request.privateKey, request.port, request.peers, record);
      return null;
    }
    case 'peers':
      return node?.peerCount() ?? 0;
    case 'cpu': {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    }
    case 'publish':
      if (!node) throw new Error('not started');
      return publishPaced(node, request.phase, request.count, request.intervalMs);
    case 'stats': {
      const entry = received.get(request.phase);
      return {
        received: entry?.seen.size ?? 0,
        lastArrivalNs: entry?.lastArrivalNs ?? 0n,
        latenciesMs: request.latencies ? (entry?.latenciesMs ?? []) : [],
      } satisfies PhaseStats;
    }
    case 'stop':
      await node?.stop();
      return null;
  }
}

serveRequests(handle, LIFETIME_MS);
