/**
 * A hostile member on the real network: a plain libp2p node whose identity is its own
 * registered operator key (so it passes the membership firewall) and which publishes crafted
 * envelopes on our topics at a bounded rate. Used in-process or through
 * test/fixtures/hostile-peer-process.ts.
 */
import '../../src/net/libp2p/polyfill.js';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import { type GossipSub, gossipsub, StrictNoSign } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { sha256 } from '@noble/hashes/sha2.js';
import { createLibp2p, type Libp2p } from 'libp2p';
import type { OperatorKey } from '../../src/crypto/operator-key.js';
import { MAX_PAYLOAD_LENGTH } from '../../src/net/envelope.js';
import { craftEnvelope } from './hostile-envelopes.js';

/**
 * `bad_signature`: small envelopes with 64 random bytes as signature;
 * `oversized`: a payload one byte over MAX_PAYLOAD_LENGTH, half validly signed, half not;
 * `useless`: validly signed envelopes of a known type that no handler wants.
 */
export type FloodKind = 'bad_signature' | 'oversized' | 'useless';

export interface Flood {
  readonly channel: string;
  readonly kind: FloodKind;
  readonly type: string;
  /** Messages in all; the flood never sends more. */
  readonly count: number;
  /** Paced on an absolute schedule, in batches every 10 ms. */
  readonly perSecond: number;
}

export interface FloodResult {
  /** Messages published. */
  readonly sent: number;
  /** Of those, the ones gossipsub handed to at least one peer. */
  readonly reachedPeers: number;
}

const BATCH_MS = 10;

export class HostilePeer {
  private sequence = 0;
  private prepared: { flood: Flood; envelopes: Uint8Array[] } | undefined;
  private readonly epoch = Math.floor(Math.random() * 2 ** 32);

  private constructor(
    private readonly key: OperatorKey,
    private readonly node: Libp2p<{ pubsub: GossipSub }>,
  ) {}

  static async start(key: OperatorKey): Promise<HostilePeer> {
    const node = await createLibp2p({
      privateKey: privateKeyFromRaw(key.privateKey),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionMonitor: { abortConnectionOnPingFailure: false },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          emitSelf: false,
          globalSignaturePolicy: StrictNoSign,
          allowPublishToZeroTopicPeers: true,
          msgIdFn: (message) => sha256(message.data),
        }),
      },
    });
    return new HostilePeer(key, node);
  }

  get peerId(): string {
    return this.node.peerId.toString();
  }

  /** Dials a node; false when the connection is refused (e.g. the target blocked us). */
  async dial(address: string): Promise<boolean> {
    try {
      await this.node.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) });
      return true;
    } catch {
      return false;
    }
  }

  subscribe(channel: string): void {
    this.node.services.pubsub.subscribe(channel);
  }

  /** Peers known to be subscribed to the channel. */
  subscribers(channel: string): number {
    return this.node.services.pubsub.getSubscribers(channel).length;
  }

  connectedPeers(): string[] {
    return this.node.getPeers().map((peerId) => peerId.toString());
  }

  /** Builds a flood's envelopes ahead of time, so that signing does not slow down its pacing. */
  prepare(flood: Flood): void {
    this.prepared = {
      flood,
      envelopes: Array.from({ length: flood.count }, (_, i) => this.envelope(flood, i)),
    };
  }

  /** Publishes the prepared flood. */
  async flood(): Promise<FloodResult> {
    if (!this.prepared) throw new Error('no flood prepared');
    const { flood, envelopes } = this.prepared;
    this.prepared = undefined;
    const pubsub = this.node.services.pubsub;
    const perBatch = Math.max(1, Math.round((flood.perSecond * BATCH_MS) / 1000));
    const start = performance.now();
    let sent = 0;
    let reachedPeers = 0;
    for (let batch = 0; sent < envelopes.length; batch++) {
      const wait = start + batch * BATCH_MS - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      for (let i = 0; i < perBatch && sent < envelopes.length; i++) {
        const result = await pubsub.publish(flood.channel, envelopes[sent++]!).catch(() => undefined);
        if (result && result.recipients.length > 0) reachedPeers++;
      }
    }
    return { sent, reachedPeers };
  }

  async stop(): Promise<void> {
    await this.node.stop();
  }

  private envelope(flood: Flood, index: number): Uint8Array {
    const sequence = ++this.sequence;
    const fields = { epoch: this.epoch, sequence, type: flood.type };
    switch (flood.kind) {
      case 'bad_signature':
        return craftEnvelope(this.key, flood.channel, {
          ...fields,
          payload: new TextEncoder().encode(`forged ${sequence}`),
          signature: 'garbage',
        });
      case 'oversized':
        return craftEnvelope(this.key, flood.channel, {
          ...fields,
          payload: new Uint8Array(MAX_PAYLOAD_LENGTH + 1).fill(index & 0xff),
          signature: index % 2 === 0 ? 'valid' : 'garbage',
        });
      case 'useless':
        return craftEnvelope(this.key, flood.channel, {
          ...fields,
          payload: new TextEncoder().encode(`useless ${sequence}`),
          signature: 'valid',
        });
    }
  }
}
