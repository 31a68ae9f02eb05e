import './polyfill.js';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import { type GossipSub, gossipsub, StrictNoSign, TopicValidatorResult } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { type Ping, ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { sha256 } from '@noble/hashes/sha2.js';
import { createLibp2p, type Libp2p } from 'libp2p';
import type { Recorder } from '../../clientinfo/recorder.js';
import type { OperatorKey } from '../../crypto/operator-key.js';
import type { Logger } from '../../log.js';
import { Channel } from '../channel.js';
import {
  type BlockReason,
  DEFAULT_PEER_GUARD_LIMITS,
  PeerGuard,
  type PeerGuardLimits,
} from '../peer-guard.js';
import type { RetransmissionTicker } from '../retransmission.js';
import type { BroadcastChannel, PeerEvent, PeerInfo, Provider } from '../types.js';
import { operatorAddressOfPeer } from './identity.js';

export interface Libp2pProviderOptions {
  readonly key: OperatorKey;
  readonly listenAddress: string;
  readonly port: number;
  /** Bootstrap peers: multiaddrs ending in /p2p/<peer id>. Always allowed, redialled while down. */
  readonly peers: readonly string[];
  /** Operators allowed to connect; undefined lets any operator in (no allow list configured). */
  readonly allowedOperators: ReadonlySet<string> | undefined;
  readonly pingTimeoutMs: number;
  readonly redialIntervalMs?: number;
  /** Per-peer message budgets and blocking; default DEFAULT_PEER_GUARD_LIMITS. */
  readonly peerGuard?: PeerGuardLimits;
  readonly recorder: Recorder;
  readonly ticker: RetransmissionTicker;
  readonly log: Logger;
}

type Services = { pubsub: GossipSub; ping: Ping };

/**
 * The network over libp2p: TCP + noise + yamux, gossipsub topics as broadcast channels,
 * identify and ping. The node's libp2p identity is its operator key, so each peer id names
 * an operator; a firewall keeps out peers whose operator is not allowed.
 */
export class Libp2pProvider implements Provider {
  readonly identity: Provider['identity'];
  private readonly channels = new Map<string, Channel>();
  private readonly listeners = new Set<(event: PeerEvent) => void>();
  private readonly bootstrapPeers: Map<string, string>;
  private readonly guard: PeerGuard;
  private readonly guardLimits: PeerGuardLimits;
  private allowed: ReadonlySet<string> | undefined;
  private redialTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly node: Libp2p<Services>,
    private readonly options: Libp2pProviderOptions,
    bootstrapPeers: Map<string, string>,
  ) {
    this.identity = {
      operatorAddress: options.key.address,
      peerId: node.peerId.toString(),
      publicKey: options.key.publicKey,
    };
    this.bootstrapPeers = bootstrapPeers;
    this.allowed = options.allowedOperators;
    this.guardLimits = options.peerGuard ?? DEFAULT_PEER_GUARD_LIMITS;
    this.guard = new PeerGuard(this.guardLimits, {
      recorder: options.recorder,
      onBlock: (peer, reason) => this.blocked(peer, reason),
    });
  }

  static async create(options: Libp2pProviderOptions): Promise<Libp2pProvider> {
    const bootstrapPeers = new Map<string, string>();
    for (const address of options.peers) {
      const peerId = multiaddr(address)
        .getComponents()
        .findLast((c) => c.name === 'p2p')?.value;
      if (!peerId) throw new Error(`bootstrap peer ${address} has no /p2p/<peer id>`);
      bootstrapPeers.set(peerId, address);
    }
    let provider: Libp2pProvider | undefined;
    const deny = (peerId: PeerId) => provider?.refuses(peerId) ?? false;
    const node = await createLibp2p({
      privateKey: privateKeyFromRaw(options.key.privateKey),
      addresses: { listen: [`/ip4/${options.listenAddress}/tcp/${options.port}`] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: {
        denyInboundEncryptedConnection: deny,
        denyOutboundEncryptedConnection: deny,
      },
      // Under CPU-heavy protocol work pings queue up; a connection is not dead because of it.
      connectionMonitor: { abortConnectionOnPingFailure: false },
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub({
          emitSelf: false,
          allowPublishToZeroTopicPeers: true,
          // Our envelopes carry the operator's signature; pubsub signing would sign twice.
          globalSignaturePolicy: StrictNoSign,
          msgIdFn: (message) => sha256(message.data),
        }),
      },
    });
    provider = new Libp2pProvider(node, options, bootstrapPeers);
    provider.wire();
    return provider;
  }

  get multiaddrs(): string[] {
    return this.node.getMultiaddrs().map((address) => address.toString());
  }

  connectedPeers(): PeerInfo[] {
    return this.node.getPeers().map((peerId) => this.peerInfo(peerId));
  }

  /** Peers known to be subscribed to a channel's topic. */
  channelPeers(name: string): number {
    return this.node.services.pubsub.getSubscribers(name).length;
  }

  /** Configured bootstrap peers currently connected. */
  connectedBootstrapPeers(): number {
    return this.node.getPeers().filter((peerId) => this.bootstrapPeers.has(peerId.toString())).length;
  }

  broadcastChannelFor(name: string): BroadcastChannel {
    if (this.closed) throw new Error('provider is closed');
    let channel = this.channels.get(name);
    if (channel) return channel;
    const pubsub = this.node.services.pubsub;
    const created = new Channel(
      name,
      { key: this.options.key, recorder: this.options.recorder, ticker: this.options.ticker },
      {
        publish: async (bytes) => {
          await pubsub.publish(name, bytes);
        },
        close: async () => {
          pubsub.topicValidators.delete(name);
          pubsub.unsubscribe(name);
        },
      },
      () => this.channels.delete(name),
    );
    pubsub.topicValidators.set(name, (peer, message) => {
      const verdict = this.guard.check(peer.toString(), operatorAddressOfPeer(peer), () =>
        created.validate(message.data),
      );
      if (verdict === 'accept') return TopicValidatorResult.Accept;
      return verdict === 'ignore' ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject;
    });
    pubsub.subscribe(name);
    this.channels.set(name, created);
    channel = created;
    return channel;
  }

  onPeerEvent(listener: (event: PeerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Replaces the allow list (e.g. from the chain's operator registry) and applies it now. */
  async setAllowedOperators(allowed: ReadonlySet<string> | undefined): Promise<void> {
    this.allowed = allowed;
    for (const peerId of this.node.getPeers()) {
      if (this.refuses(peerId)) await this.node.hangUp(peerId).catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.redialTimer);
    await Promise.all([...this.channels.values()].map((channel) => channel.close()));
    await this.node.stop();
  }

  /**
   * The firewall: refuses a blocked peer, and counts and refuses a peer that is neither a
   * bootstrap peer nor allowed.
   */
  private refuses(peerId: PeerId): boolean {
    if (this.guard.isBlocked(peerId.toString())) return true;
    if (this.bootstrapPeers.has(peerId.toString()) || this.allowed === undefined) return false;
    const address = operatorAddressOfPeer(peerId);
    if (address !== undefined && this.allowed.has(address)) return false;
    this.options.recorder.inc('performance_firewall_rejections_total');
    this.options.log.warn({ peerId: peerId.toString(), operator: address }, 'firewall refused a peer');
    return true;
  }

  /** The guard blocked a peer: hang up now; the firewall refuses it until the block ends. */
  private blocked(peer: string, reason: BlockReason): void {
    const peerId = peerIdFromString(peer);
    this.options.log.warn(
      {
        peerId: peer,
        operator: operatorAddressOfPeer(peerId),
        reason,
        minutes: this.guardLimits.blockMs / 60_000,
      },
      'blocked a misbehaving peer',
    );
    void this.node.hangUp(peerId).catch(() => {});
  }

  private peerInfo(peerId: PeerId): PeerInfo {
    return {
      operatorAddress: operatorAddressOfPeer(peerId) ?? '',
      peerId: peerId.toString(),
      multiaddrs: this.node.getConnections(peerId).map((connection) => connection.remoteAddr.toString()),
    };
  }

  private wire(): void {
    const { recorder, log } = this.options;
    this.node.addEventListener('peer:connect', (event) => {
      const peerId = event.detail;
      recorder.inc('performance_peer_connections_total');
      const peer = this.peerInfo(peerId);
      log.info({ peerId: peer.peerId, operator: peer.operatorAddress }, 'peer connected');
      for (const listener of this.listeners) listener({ kind: 'connected', peer });
      void this.pingTest(peerId);
    });
    this.node.addEventListener('peer:disconnect', (event) => {
      recorder.inc('performance_peer_disconnections_total');
      const peer = {
        operatorAddress: operatorAddressOfPeer(event.detail) ?? '',
        peerId: event.detail.toString(),
        multiaddrs: [],
      };
      log.info({ peerId: peer.peerId, operator: peer.operatorAddress }, 'peer disconnected');
      for (const listener of this.listeners) listener({ kind: 'disconnected', peer });
    });
    this.node.services.pubsub.addEventListener('message', (event) => {
      this.channels.get(event.detail.topic)?.acceptValidated(event.detail.data);
    });
    this.redial();
    this.redialTimer = setInterval(() => this.redial(), this.options.redialIntervalMs ?? 2_000);
    this.redialTimer.unref();
  }

  /** Dials bootstrap peers that are not connected (libp2p's bootstrap dials only once). */
  private redial(): void {
    const connected = new Set(this.node.getPeers().map((peerId) => peerId.toString()));
    for (const [peerId, address] of this.bootstrapPeers) {
      if (peerId === this.identity.peerId || connected.has(peerId) || this.guard.isBlocked(peerId)) continue;
      this.node.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) }).catch((err: Error) => {
        this.options.log.debug({ peer: address, err: err.message }, 'bootstrap dial failed');
      });
    }
  }

  /** One ping per new peer connection; a zero round trip counts as a failure, as in keep-core. */
  private async pingTest(peerId: PeerId): Promise<void> {
    const { recorder } = this.options;
    recorder.inc('performance_ping_test_total');
    const start = process.hrtime.bigint();
    try {
      await this.node.services.ping.ping(peerId, { signal: AbortSignal.timeout(this.options.pingTimeoutMs) });
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (seconds <= 0) throw new Error('zero round trip time');
      recorder.inc('performance_ping_test_success_total');
      recorder.observe('performance_ping_test_duration_seconds', seconds);
    } catch (err) {
      recorder.inc('performance_ping_test_failed_total');
      this.options.log.warn({ peerId: peerId.toString(), err: (err as Error).message }, 'ping test failed');
    }
  }
}
