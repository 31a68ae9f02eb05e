import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { noopRecorder, type Recorder } from '../../clientinfo/recorder.js';
import type { OperatorKey } from '../../crypto/operator-key.js';
import { Channel } from '../channel.js';
import { RecentSet } from '../dedup.js';
import type { RetransmissionTicker } from '../retransmission.js';
import { IntervalTicker } from '../retransmission.js';
import type { BroadcastChannel, PeerEvent, PeerInfo, Provider } from '../types.js';

/**
 * An in-memory network for running many members in one process: every provider joined to
 * it is connected to every other, and a channel's publication reaches the channels of the
 * same name on the other providers (asynchronously, as a network would). Channel semantics
 * (envelopes, validation, queues, de-duplication, retransmission, metrics) are the same
 * code as over libp2p.
 *
 * Like gossipsub, every provider relays: bytes that its channel accepted (validated) are
 * re-published once to every other provider subscribed to the channel, except the one they
 * came from and their publisher. Messages are told apart by the digest of their bytes, as
 * our gossipsub message id is; bytes that failed validation are never relayed. So a peer
 * cannot make one honest node see message A while another sees only B: both end up seeing
 * both, in some order (the harness's targeted publication reaches its targets first).
 */
export class LocalNetwork {
  private readonly providers = new Set<LocalProvider>();
  /** While set, a publication reaches only the operators it accepts (see `publishingOnlyTo`). */
  private recipients: ((operator: string) => boolean) | undefined;

  join(
    key: OperatorKey,
    options: { recorder?: Recorder; ticker?: RetransmissionTicker } = {},
  ): LocalProvider {
    const provider = new LocalProvider(
      this,
      key,
      options.recorder ?? noopRecorder,
      options.ticker ?? new IntervalTicker(1000),
    );
    for (const other of this.providers) {
      other.emit({ kind: 'connected', peer: provider.info });
      provider.emit({ kind: 'connected', peer: other.info });
    }
    this.providers.add(provider);
    return provider;
  }

  /** @internal */
  leave(provider: LocalProvider): void {
    if (!this.providers.delete(provider)) return;
    for (const other of this.providers) other.emit({ kind: 'disconnected', peer: provider.info });
  }

  /** Puts arbitrary bytes on a channel, as any peer of a real network could (for fault tests). */
  broadcastRaw(channel: string, bytes: Uint8Array): void {
    this.publish(undefined, channel, bytes);
  }

  /**
   * For fault tests: what `publish` puts on the network while it runs reaches only the
   * operators `to` accepts, as a byzantine peer choosing whom to tell. Channels publish
   * synchronously when `send` is called, so `publish` is a call to `channel.send`.
   */
  publishingOnlyTo<T>(to: (operator: string) => boolean, publish: () => T): T {
    this.recipients = to;
    try {
      return publish();
    } finally {
      this.recipients = undefined;
    }
  }

  /** @internal Delivers bytes to every other provider's channel of that name. */
  publish(from: LocalProvider | undefined, channel: string, bytes: Uint8Array): void {
    const recipients = this.recipients;
    for (const provider of this.providers) {
      if (provider === from) continue;
      if (recipients && !recipients(provider.info.operatorAddress)) continue;
      setImmediate(() => provider.deliver(channel, bytes, from, from));
    }
  }

  /** @internal A relayed copy goes to everyone but the relayer, its sender and its publisher. */
  relay(
    relayer: LocalProvider,
    channel: string,
    bytes: Uint8Array,
    from: LocalProvider | undefined,
    origin: LocalProvider | undefined,
  ): void {
    for (const provider of this.providers) {
      if (provider === relayer || provider === from || provider === origin) continue;
      setImmediate(() => provider.deliver(channel, bytes, relayer, origin));
    }
  }

  /** @internal */
  peersOf(provider: LocalProvider): PeerInfo[] {
    return [...this.providers].filter((p) => p !== provider).map((p) => p.info);
  }
}

/** Relayed message digests remembered per provider. */
const RELAY_MEMORY = 65_536;

export class LocalProvider implements Provider {
  readonly identity: Provider['identity'];
  readonly info: PeerInfo;
  private readonly channels = new Map<string, Channel>();
  private readonly listeners = new Set<(event: PeerEvent) => void>();
  /** Digests of the messages this provider already relayed (gossip's seen cache). */
  private readonly relayed = new RecentSet(RELAY_MEMORY);
  private closed = false;

  constructor(
    private readonly network: LocalNetwork,
    private readonly key: OperatorKey,
    private readonly recorder: Recorder,
    private readonly ticker: RetransmissionTicker,
  ) {
    const peerId = `local-${bytesToHex(key.publicKey).slice(0, 16)}`;
    this.identity = { operatorAddress: key.address, peerId, publicKey: key.publicKey };
    this.info = { operatorAddress: key.address, peerId, multiaddrs: [] };
  }

  connectedPeers(): PeerInfo[] {
    return this.closed ? [] : this.network.peersOf(this);
  }

  broadcastChannelFor(name: string): BroadcastChannel {
    if (this.closed) throw new Error('provider is closed');
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new Channel(
        name,
        { key: this.key, recorder: this.recorder, ticker: this.ticker },
        {
          publish: async (bytes) => {
            if (!this.closed) this.network.publish(this, name, bytes);
          },
          close: async () => {},
        },
        () => this.channels.delete(name),
      );
      this.channels.set(name, channel);
    }
    return channel;
  }

  onPeerEvent(listener: (event: PeerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.network.leave(this);
    await Promise.all([...this.channels.values()].map((channel) => channel.close()));
  }

  /** @internal */
  emit(event: PeerEvent): void {
    if (event.kind === 'connected') this.recorder.inc('performance_peer_connections_total');
    else this.recorder.inc('performance_peer_disconnections_total');
    for (const listener of this.listeners) listener(event);
  }

  /** @internal Hands bytes to the channel; relays them once when the channel accepts them. */
  deliver(channel: string, bytes: Uint8Array, from?: LocalProvider, origin?: LocalProvider): void {
    if (this.closed) return;
    const verdict = this.channels.get(channel)?.receive(bytes);
    if (!verdict?.accept) return;
    if (!this.relayed.add(`${channel}:${bytesToHex(sha256(bytes))}`)) return;
    this.network.relay(this, channel, bytes, from, origin);
  }
}
