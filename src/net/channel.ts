import { randomBytes } from '@noble/ciphers/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Recorder, Unregister } from '../clientinfo/recorder.js';
import { type OperatorKey, operatorAddress } from '../crypto/operator-key.js';
import { BoundedQueue } from './bounded-queue.js';
import { RecentSet } from './dedup.js';
import {
  type Envelope,
  envelopeSignatureValid,
  MalformedEnvelopeError,
  OversizedEnvelopeError,
  openEnvelope,
  RETRANSMISSION_LENGTH,
  sealEnvelope,
  withRetransmission,
} from './envelope.js';
import { type RetransmissionTicker, retransmitsOnTick } from './retransmission.js';
import {
  type BroadcastChannel,
  type DropReason,
  HANDLER_QUEUE_CAPACITY,
  INCOMING_QUEUE_CAPACITY,
  type MembershipFilter,
  type Message,
  type MessageCodec,
  type MessageHandler,
  type ReceiveOptions,
  type RetransmissionStrategy,
  type Sender,
  type SendOptions,
  type Subscription,
} from './types.js';

/** What a transport (libp2p pubsub, the in-memory hub) gives a channel. */
export interface ChannelTransport {
  /** Sends the bytes to the other nodes subscribed to the channel. */
  publish(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface ChannelDependencies {
  readonly key: OperatorKey;
  readonly recorder: Recorder;
  readonly ticker: RetransmissionTicker;
}

/** (sender, epoch, sequence) pairs remembered for de-duplication, per channel. */
const DEDUP_CAPACITY = 65_536;
/** Messages remembered per handler. */
const HANDLER_DEDUP_CAPACITY = 8_192;

interface Incoming {
  envelope: Envelope;
  sender: Sender;
  local: boolean;
  key: string;
  /** False for a retransmitted copy, kept only for handlers that did not get the message yet. */
  first: boolean;
}

interface Handler {
  readonly name: string;
  readonly types: ReadonlySet<string> | undefined;
  readonly queue: BoundedQueue<Message>;
  /** Messages this handler already got: each handler sees a message once, even one that
   * arrived before it subscribed and reaches it through a retransmission (as in keep-core). */
  readonly delivered: RecentSet;
  readonly unregisterGauge: Unregister;
}

interface Pending {
  readonly bytes: Uint8Array;
  readonly strategy: RetransmissionStrategy;
  readonly until: AbortSignal;
  ticks: number;
}

type Rejected = { accept: false; reason: DropReason };
type Checked = { accept: true; envelope: Envelope; sender: Sender; signatureChecked: boolean };
/**
 * An accepted message names its authenticated sender, and whether its signature was checked
 * now (false for a retransmitted copy of bytes already verified, which cost no signature work).
 */
export type Verdict = { accept: true; sender: Sender; signatureChecked: boolean } | Rejected;

/**
 * A broadcast channel's behaviour, independent of the transport: signed envelopes,
 * validation before anything else (layout, type, membership, signature), de-duplication,
 * the bounded incoming queue (4096) and per-handler queues (512), retransmission, and the
 * network metrics of all of it.
 */
export class Channel implements BroadcastChannel {
  private readonly codecs = new Map<string, MessageCodec<unknown>>();
  private readonly handlers = new Map<string, Handler>();
  private readonly pending = new Set<Pending>();
  private readonly seen = new RecentSet(DEDUP_CAPACITY);
  private readonly verified = new RecentSet(DEDUP_CAPACITY);
  private readonly validated = new WeakMap<Uint8Array, Checked>();
  private readonly incoming: BoundedQueue<Incoming>;
  private readonly epoch: number;
  private readonly self: Sender;
  private filter: MembershipFilter = () => true;
  private sequence = 0;
  private handlerCount = 0;
  private closed = false;
  private readonly stopTicks: () => void;
  private readonly unregisterIncomingGauge: Unregister;

  constructor(
    readonly name: string,
    private readonly deps: ChannelDependencies,
    private readonly transport: ChannelTransport,
    private readonly onClose: () => void = () => {},
  ) {
    this.epoch = new DataView(randomBytes(4).buffer).getUint32(0);
    this.self = { publicKey: deps.key.publicKey, operatorAddress: deps.key.address };
    this.incoming = new BoundedQueue(INCOMING_QUEUE_CAPACITY, (item) => this.dispatch(item));
    this.unregisterIncomingGauge = deps.recorder.gaugeSource(
      'performance_incoming_message_queue_size',
      { channel: name },
      () => this.incoming.size,
    );
    this.stopTicks = deps.ticker.onTick(() => this.retransmit());
  }

  registerCodec<T>(codec: MessageCodec<T>): void {
    this.codecs.set(codec.type, codec);
  }

  setFilter(filter: MembershipFilter): void {
    this.filter = filter;
  }

  async send<T>(codec: MessageCodec<T>, payload: T, options: SendOptions = {}): Promise<void> {
    if (this.closed) throw new Error(`channel ${this.name} is closed`);
    if (!this.codecs.has(codec.type)) this.registerCodec(codec);
    this.sequence = (this.sequence + 1) >>> 0;
    const bytes = sealEnvelope(this.deps.key, this.name, {
      epoch: this.epoch,
      sequence: this.sequence,
      type: codec.type,
      payload: codec.encode(payload),
    });
    this.deps.recorder.inc('performance_message_broadcast_total');
    // Own messages reach this node's other handlers (its other seats) like any other.
    this.enqueue(openEnvelope(bytes), this.self, true);
    const retransmit = options.retransmit;
    if (retransmit && !retransmit.until.aborted) {
      this.pending.add({
        bytes,
        strategy: retransmit.strategy ?? 'standard',
        until: retransmit.until,
        ticks: 0,
      });
    }
    await this.transport.publish(bytes);
  }

  recv(handler: MessageHandler, options: ReceiveOptions = {}): Subscription {
    const name = options.name ?? `h${++this.handlerCount}`;
    if (this.handlers.has(name)) throw new Error(`handler ${name} already exists on channel ${this.name}`);
    const queue = new BoundedQueue<Message>(HANDLER_QUEUE_CAPACITY, handler);
    const entry: Handler = {
      name,
      types: options.types ? new Set(options.types) : undefined,
      queue,
      delivered: new RecentSet(HANDLER_DEDUP_CAPACITY),
      unregisterGauge: this.deps.recorder.gaugeSource(
        'performance_message_handler_queue_size',
        { channel: this.name, handler: name },
        () => queue.size,
      ),
    };
    this.handlers.set(name, entry);
    const cancel = () => {
      if (this.handlers.get(name) !== entry) return;
      this.handlers.delete(name);
      queue.close();
      entry.unregisterGauge();
    };
    options.signal?.addEventListener('abort', cancel, { once: true });
    if (options.signal?.aborted) cancel();
    return { name, cancel };
  }

  /**
   * Checks a message from the network before anything else is done with it: layout, known
   * type, sender's membership, then (the costly part) the signature. Counts what it drops.
   */
  validate(bytes: Uint8Array): Verdict {
    const checked = this.check(bytes);
    if (!checked.accept) {
      this.drop(checked.reason);
      return checked;
    }
    this.validated.set(bytes, checked);
    return { accept: true, sender: checked.sender, signatureChecked: checked.signatureChecked };
  }

  /** Takes a message that passed `validate` (the transport may have validated it apart). */
  acceptValidated(bytes: Uint8Array): void {
    if (this.closed) return;
    // The transport usually hands over the same bytes it validated: reuse that parse.
    const known = this.validated.get(bytes);
    this.validated.delete(bytes);
    const envelope = known?.envelope ?? openEnvelope(bytes);
    const sender = known?.sender ?? {
      publicKey: envelope.senderPublicKey,
      operatorAddress: operatorAddress(envelope.senderPublicKey),
    };
    this.enqueue(envelope, sender, false);
  }

  /** validate + acceptValidated, for transports without a validation hook. */
  receive(bytes: Uint8Array): Verdict {
    const verdict = this.validate(bytes);
    if (verdict.accept) this.acceptValidated(bytes);
    return verdict;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTicks();
    this.pending.clear();
    for (const handler of [...this.handlers.values()]) {
      handler.queue.close();
      handler.unregisterGauge();
    }
    this.handlers.clear();
    this.incoming.close();
    this.unregisterIncomingGauge();
    this.onClose();
    await this.transport.close();
  }

  private check(bytes: Uint8Array): Rejected | Checked {
    if (this.closed) return { accept: false, reason: 'channel_closed' };
    let envelope: Envelope;
    try {
      envelope = openEnvelope(bytes);
    } catch (err) {
      // Checked on the length fields alone: an oversized message costs no hashing or signature work.
      if (err instanceof OversizedEnvelopeError) return { accept: false, reason: 'oversized' };
      if (err instanceof MalformedEnvelopeError) return { accept: false, reason: 'malformed' };
      throw err;
    }
    if (!this.codecs.has(envelope.type)) return { accept: false, reason: 'unknown_type' };
    let sender: Sender;
    try {
      sender = {
        publicKey: envelope.senderPublicKey,
        operatorAddress: operatorAddress(envelope.senderPublicKey),
      };
    } catch {
      return { accept: false, reason: 'malformed' }; // not a point on the curve
    }
    if (!this.filter(sender)) return { accept: false, reason: 'not_member' };
    // A retransmission repeats bytes already verified: recognise them by digest instead of
    // paying for the signature check again (a forgery never matches a verified digest).
    const digest = bytesToHex(sha256(bytes.subarray(0, bytes.length - RETRANSMISSION_LENGTH)));
    if (this.verified.has(digest)) return { accept: true, envelope, sender, signatureChecked: false };
    if (!envelopeSignatureValid(this.name, envelope)) return { accept: false, reason: 'bad_signature' };
    this.verified.add(digest);
    return { accept: true, envelope, sender, signatureChecked: true };
  }

  private drop(reason: DropReason): void {
    this.deps.recorder.inc('performance_message_dropped_total', { reason });
  }

  private enqueue(envelope: Envelope, sender: Sender, local: boolean): void {
    const key = `${bytesToHex(envelope.senderPublicKey)}:${envelope.epoch}:${envelope.sequence}`;
    const first = this.seen.add(key);
    // A repeated copy matters only to a handler that subscribed after the first one arrived.
    if (!first && (local || [...this.handlers.values()].every((h) => h.delivered.has(key)))) return;
    if (!this.incoming.push({ envelope, sender, local, key, first })) this.drop('queue_full');
  }

  private dispatch({ envelope, sender, local, key, first }: Incoming): void {
    const codec = this.codecs.get(envelope.type);
    if (!codec) {
      this.drop('unknown_type');
      return;
    }
    let payload: unknown;
    try {
      payload = codec.decode(envelope.payload);
    } catch {
      this.drop('malformed');
      return;
    }
    if (first && !local) this.deps.recorder.inc('performance_message_received_total');
    const message: Message = { channel: this.name, type: envelope.type, payload, sender, local };
    for (const handler of this.handlers.values()) {
      if (handler.types && !handler.types.has(envelope.type)) continue;
      if (!handler.delivered.add(key)) continue;
      if (!handler.queue.push(message)) this.drop('queue_full');
    }
  }

  private retransmit(): void {
    for (const entry of this.pending) {
      if (entry.until.aborted) {
        this.pending.delete(entry);
        continue;
      }
      entry.ticks++;
      if (!retransmitsOnTick(entry.strategy, entry.ticks)) continue;
      this.deps.recorder.inc('performance_message_retransmitted_total');
      this.transport.publish(withRetransmission(entry.bytes, entry.ticks)).catch(() => {
        // the next tick tries again
      });
    }
  }
}
