import type { LocalNetwork } from '../../src/net/local/local-network.js';
import type { BroadcastChannel, MessageCodec, Provider, SendOptions } from '../../src/net/types.js';

/**
 * The adversarial harness for in-process clusters: an operator with a valid key whose
 * outgoing protocol messages are rewritten, withheld, duplicated, delayed, equivocated (a
 * different message to different peers) or joined by crafted extra ones. Its node runs the
 * honest protocol code; only what it puts on the wire changes, as a compromised node would.
 */

/** One message the byzantine node actually publishes. */
export interface Outgoing {
  readonly type: string;
  /** The payload object, encoded by the type's codec; ignored when `bytes` is set. */
  readonly payload?: unknown;
  /** Raw payload bytes (need not decode), signed by the attacker's valid key. */
  readonly bytes?: Uint8Array;
  /** Only these operators receive it (default everyone). Targeted messages are not retransmitted. */
  readonly to?: (operator: string) => boolean;
  /** Published this many milliseconds later. */
  readonly delayMs?: number;
}

/**
 * Decides what goes out instead of one message the honest code sends: `undefined` leaves it
 * untouched, `[]` withholds it, several entries duplicate or add messages.
 */
export type Behaviour = (message: {
  channel: string;
  type: string;
  payload: unknown;
}) => Outgoing[] | undefined;

/** Applies each behaviour in turn; the first one that answers decides. */
export function behaviours(...rules: Behaviour[]): Behaviour {
  return (message) => {
    for (const rule of rules) {
      const answer = rule(message);
      if (answer) return answer;
    }
    return undefined;
  };
}

/** Messages of `type` never leave the node. */
export function withhold(type: string, to?: (operator: string) => boolean): Behaviour {
  return (message) => {
    if (message.type !== type) return undefined;
    if (!to) return [];
    return [{ type, payload: message.payload, to: (operator) => !to(operator) }];
  };
}

/** Messages of `type` go out rewritten by `rewrite` (a deep copy of the payload is passed). */
export function rewrite<T = Record<string, unknown>>(
  type: string,
  rewriteFn: (payload: T) => unknown,
): Behaviour {
  return (message) =>
    message.type === type ? [{ type, payload: rewriteFn(structuredClone(message.payload) as T) }] : undefined;
}

/** Messages of `type` go out as raw bytes of the attacker's choosing (validly signed). */
export function replaceBytes(type: string, bytes: (payload: unknown) => Uint8Array): Behaviour {
  return (message) => (message.type === type ? [{ type, bytes: bytes(message.payload) }] : undefined);
}

/** Messages of `type` go out `copies` times, each a distinct message with the same payload. */
export function duplicate(type: string, copies = 2): Behaviour {
  return (message) =>
    message.type === type
      ? Array.from({ length: copies }, () => ({ type, payload: message.payload }))
      : undefined;
}

/** Messages of `type` go out `delayMs` later. */
export function delay(type: string, delayMs: number): Behaviour {
  return (message) => (message.type === type ? [{ type, payload: message.payload, delayMs }] : undefined);
}

/**
 * Equivocation: operators `split` accepts get the honest message, the others get
 * `rewrite(payload)`; nobody gets both.
 */
export function equivocate<T = Record<string, unknown>>(
  type: string,
  split: (operator: string) => boolean,
  rewriteFn: (payload: T) => unknown,
): Behaviour {
  return (message) =>
    message.type === type
      ? [
          { type, payload: message.payload, to: split },
          { type, payload: rewriteFn(structuredClone(message.payload) as T), to: (op) => !split(op) },
        ]
      : undefined;
}

/** Adds crafted messages after each message of `type` (which still goes out as it was). */
export function inject(type: string, extra: (payload: unknown) => Outgoing[]): Behaviour {
  return (message) =>
    message.type === type ? [{ type, payload: message.payload }, ...extra(message.payload)] : undefined;
}

/** A provider whose channels publish what `behaviour` makes of each outgoing message. */
export function byzantineProvider(inner: Provider, network: LocalNetwork, behaviour: Behaviour): Provider {
  const wrapped = new Map<string, { inner: BroadcastChannel; byzantine: BroadcastChannel }>();
  return {
    identity: inner.identity,
    connectedPeers: () => inner.connectedPeers(),
    onPeerEvent: (listener) => inner.onPeerEvent(listener),
    close: () => inner.close(),
    broadcastChannelFor(name) {
      const channel = inner.broadcastChannelFor(name);
      const known = wrapped.get(name);
      if (known?.inner === channel) return known.byzantine;
      const byzantine = byzantineChannel(channel, network, behaviour);
      wrapped.set(name, { inner: channel, byzantine });
      return byzantine;
    },
  };
}

function byzantineChannel(
  inner: BroadcastChannel,
  network: LocalNetwork,
  behaviour: Behaviour,
): BroadcastChannel {
  const codecs = new Map<string, MessageCodec<unknown>>();
  const codecOf = (type: string): MessageCodec<unknown> => {
    const codec = codecs.get(type);
    if (!codec) throw new Error(`byzantine harness: no codec registered for ${type}`);
    return codec;
  };
  const publish = (out: Outgoing, options: SendOptions): Promise<void> => {
    const codec = codecOf(out.type);
    const sendAs: MessageCodec<unknown> = out.bytes
      ? { type: out.type, encode: () => out.bytes!, decode: codec.decode }
      : codec;
    if (!out.to) return inner.send(sendAs, out.payload, options);
    return network.publishingOnlyTo(out.to, () => inner.send(sendAs, out.payload));
  };
  return {
    get name() {
      return inner.name;
    },
    registerCodec(codec) {
      codecs.set(codec.type, codec);
      inner.registerCodec(codec);
    },
    setFilter: (filter) => inner.setFilter(filter),
    recv: (handler, options) => inner.recv(handler, options),
    close: () => inner.close(),
    async send<T>(codec: MessageCodec<T>, payload: T, options: SendOptions = {}): Promise<void> {
      if (!codecs.has(codec.type)) codecs.set(codec.type, codec);
      const plan = behaviour({ channel: inner.name, type: codec.type, payload }) ?? [
        { type: codec.type, payload },
      ];
      const now = plan.filter((out) => !out.delayMs);
      for (const out of plan.filter((out) => out.delayMs)) {
        setTimeout(() => publish(out, options).catch(() => undefined), out.delayMs);
      }
      await Promise.all(now.map((out) => publish(out, options)));
    },
  };
}
