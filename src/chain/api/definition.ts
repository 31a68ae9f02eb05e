import type { z } from 'zod';
import type { ChainEventName, ChainEvents } from '../events.js';
import type { Unsubscribe } from '../types.js';

/**
 * How a chain interface is declared: a table from member name to definition. A method
 * definition names its RPC, its arguments (in the order the interface takes them, by name
 * on the wire) and its answer; an event definition names the chain event an `on…` member
 * subscribes to. The interfaces protocol code uses (`ContractOf`), the chain server's
 * dispatch, the chain client's methods and the local chain's subscriptions all derive
 * from these tables, so a method is declared once.
 */

/** One argument of a chain method: its name in the RPC params object and its schema. */
export interface Argument<Schema extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly schema: Schema;
}

export interface MethodDefinition<
  Args extends readonly Argument[] = readonly Argument[],
  Result extends z.ZodType = z.ZodType,
> {
  readonly kind: 'method';
  /** The method's name on the chain server's wire. */
  readonly rpcName: string;
  readonly args: Args;
  /** The answer as the client checks it (the server sends `null` for nothing). */
  readonly result: Result;
}

export interface EventDefinition<Name extends ChainEventName = ChainEventName> {
  readonly kind: 'event';
  readonly event: Name;
}

/** One chain interface (the block counter, a registry): member name → definition. */
export type ContractApi = { readonly [member: string]: MethodDefinition | EventDefinition };

export type ArgumentValues<Args extends readonly Argument[]> = {
  -readonly [I in keyof Args]: Args[I] extends Argument<infer Schema> ? z.output<Schema> : never;
};

/** `on…(listener)`: calls the listener with every event of one kind; returns the unsubscribe function. */
export type Subscribe<Event> = (listener: (event: Event) => void) => Unsubscribe;

type MemberOf<Definition> =
  Definition extends MethodDefinition<infer Args, infer Result>
    ? (...args: ArgumentValues<Args>) => Promise<z.output<Result>>
    : Definition extends EventDefinition<infer Name>
      ? Subscribe<ChainEvents[Name]>
      : never;

/** The interface a table declares: a promise-returning method per call, an `on…` per event. */
export type ContractOf<Api extends ContractApi> = { [K in keyof Api]: MemberOf<Api[K]> };

export type MethodNames<Api extends ContractApi> = {
  [K in keyof Api]: Api[K] extends MethodDefinition ? K : never;
}[keyof Api];

export type EventNames<Api extends ContractApi> = {
  [K in keyof Api]: Api[K] extends EventDefinition ? K : never;
}[keyof Api];

/** The calls of an interface (what the local chain implements by hand). */
export type MethodsOf<Api extends ContractApi> = Pick<ContractOf<Api>, MethodNames<Api>>;

/** The `on…` members of an interface (derived from the table everywhere). */
export type SubscriptionsOf<Api extends ContractApi> = Pick<ContractOf<Api>, EventNames<Api>>;

export function arg<Schema extends z.ZodType>(name: string, schema: Schema): Argument<Schema> {
  return { name, schema };
}

export function method<const Args extends readonly Argument[], Result extends z.ZodType>(
  rpcName: string,
  args: Args,
  result: Result,
): MethodDefinition<Args, Result> {
  return { kind: 'method', rpcName, args, result };
}

export function event<Name extends ChainEventName>(name: Name): EventDefinition<Name> {
  return { kind: 'event', event: name };
}
