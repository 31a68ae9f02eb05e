import type { BroadcastChannel, Message, MessageCodec, ReceiveOptions, Subscription } from './types.js';

/**
 * Typed use of a broadcast channel (the shape of lodestar's GossipTypeMap / GossipHandlers):
 * a protocol names its message codecs in one map, and each message's payload type follows
 * from the codec of its type (for JSON codecs, `z.infer` of the schema), so handlers never
 * re-type payloads.
 */

/** A protocol's message codecs under names of its choosing, e.g. `{ ready: readyCodec }`. */
export type CodecMap = { readonly [name: string]: MessageCodec<unknown> };

/** The payload type a codec decodes to. */
export type PayloadOf<C> = C extends MessageCodec<infer T> ? T : never;

/** A message of any type in the map, its payload typed by the codec of its type. */
export type MessageOf<M extends CodecMap> = { [K in keyof M]: Message<PayloadOf<M[K]>> }[keyof M];

/** One handler per message type of the map. */
export type MessageHandlers<M extends CodecMap> = {
  readonly [K in keyof M]: (message: Message<PayloadOf<M[K]>>) => void;
};

/**
 * Registers the map's codecs on the channel and subscribes to their message types only.
 * Sound because the channel decodes (and schema-checks) every payload with the codec
 * registered for its type, and drops what does not decode.
 */
export function receive<M extends CodecMap>(
  channel: BroadcastChannel,
  codecs: M,
  handler: (message: MessageOf<M>) => void | Promise<void>,
  options: Omit<ReceiveOptions, 'types'> = {},
): Subscription {
  const types = Object.values(codecs).map((codec) => {
    channel.registerCodec(codec);
    return codec.type;
  });
  return channel.recv((message) => handler(message as MessageOf<M>), { ...options, types });
}

/** One handler for the whole map that hands each message to the handler of its type. */
export function byType<M extends CodecMap>(
  codecs: M,
  handlers: MessageHandlers<M>,
): (message: MessageOf<M>) => void {
  const names = new Map<string, keyof M>();
  for (const name of Object.keys(codecs) as (keyof M)[]) names.set(codecs[name]!.type, name);
  return (message) => {
    const name = names.get(message.type);
    // The message's type names the codec that decoded it, so it fits that codec's handler.
    if (name !== undefined) (handlers[name] as (message: MessageOf<M>) => void)(message);
  };
}
