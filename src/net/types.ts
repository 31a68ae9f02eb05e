/**
 * The network as protocol code sees it: a provider of authenticated broadcast channels.
 * DKG, signing and the beacon depend only on these interfaces, never on libp2p.
 */

/** Who sent a message: the operator's compressed secp256k1 key and its address. */
export interface Sender {
  readonly publicKey: Uint8Array;
  readonly operatorAddress: string;
}

/** Turns one message type's payload into bytes and back. `decode` throws on bad input. */
export interface MessageCodec<T> {
  readonly type: string;
  encode(payload: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export interface Message<T = unknown> {
  readonly channel: string;
  readonly type: string;
  readonly payload: T;
  readonly sender: Sender;
  /** True when this node sent it (delivered locally to its other handlers, e.g. other seats). */
  readonly local: boolean;
}

export type RetransmissionStrategy = 'standard' | 'backoff';

export interface SendOptions {
  /**
   * Re-publish the same message on retransmission ticks until the signal aborts. Receivers
   * deliver it once. `standard` republishes on every tick, `backoff` on ticks 1, 3, 6, 11, 20, ...
   */
  readonly retransmit?: { readonly until: AbortSignal; readonly strategy?: RetransmissionStrategy };
}

export interface ReceiveOptions {
  /** Stable, small handler id used as the `handler` metric label; default `h<n>`. */
  readonly name?: string;
  /** Only these message types reach the handler; default all. */
  readonly types?: readonly string[];
  /** Cancels the subscription when aborted. */
  readonly signal?: AbortSignal;
}

export interface Subscription {
  readonly name: string;
  cancel(): void;
}

export type MessageHandler = (message: Message) => void | Promise<void>;

/** Decides which operators may publish on a channel. */
export type MembershipFilter = (sender: Sender) => boolean;

export interface BroadcastChannel {
  readonly name: string;
  registerCodec<T>(codec: MessageCodec<T>): void;
  setFilter(filter: MembershipFilter): void;
  send<T>(codec: MessageCodec<T>, payload: T, options?: SendOptions): Promise<void>;
  /**
   * Handlers get messages in order through their own bounded queue (512). Payloads are untyped
   * here; protocol code subscribes through `receive` (`net/typed-messages.ts`) instead.
   */
  recv(handler: MessageHandler, options?: ReceiveOptions): Subscription;
  close(): Promise<void>;
}

export interface PeerInfo {
  readonly operatorAddress: string;
  readonly peerId: string;
  readonly multiaddrs: readonly string[];
}

export type PeerEvent = { kind: 'connected' | 'disconnected'; peer: PeerInfo };

export interface Provider {
  readonly identity: {
    readonly operatorAddress: string;
    readonly peerId: string;
    readonly publicKey: Uint8Array;
  };
  connectedPeers(): PeerInfo[];
  /** Opens (or returns the open) channel of this name. */
  broadcastChannelFor(name: string): BroadcastChannel;
  onPeerEvent(listener: (event: PeerEvent) => void): () => void;
  close(): Promise<void>;
}

/** Why a received network message was dropped before reaching a handler (a metric label). */
export const MESSAGE_DROP_REASONS = [
  'malformed',
  'oversized',
  'bad_signature',
  'not_member',
  'unknown_type',
  'queue_full',
  'channel_closed',
  'over_peer_budget',
  'over_sender_budget',
  'peer_blocked',
] as const;
export type DropReason = (typeof MESSAGE_DROP_REASONS)[number];

/** Why a peer was disconnected and refused for a while (`net/peer-guard.ts`; a metric label). */
export const PEER_BLOCK_REASONS = ['invalid_messages', 'message_rate'] as const;

/** The Go node's capacities. */
export const INCOMING_QUEUE_CAPACITY = 4096;
export const HANDLER_QUEUE_CAPACITY = 512;
