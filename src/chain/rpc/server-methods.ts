import { z } from 'zod';
import {
  blockCounterApi,
  operatorRegistryApi,
  randomBeaconApi,
  walletRegistryApi,
} from '../api/chain-api.js';
import type { ContractApi, ContractOf, MethodDefinition } from '../api/definition.js';
import type { Chain } from '../types.js';

/** Params that do not have the method's shape; answered with JSON-RPC invalid params. */
export class InvalidParamsError extends Error {
  override name = 'InvalidParamsError';
}

/** `params` (already decoded from the wire) checked against a schema. */
export function paramsOf<Schema extends z.ZodType>(schema: Schema, params: unknown): z.output<Schema> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'params'}: ${issue.message}`,
    );
    throw new InvalidParamsError(`invalid params: ${issues.join('; ')}`);
  }
  return parsed.data;
}

export type ServedMethod = (chain: Chain, params: unknown) => Promise<unknown>;

/** The positional arguments of a call from its params object (a call without arguments ignores params). */
function argumentsReader(definition: MethodDefinition): (params: unknown) => unknown[] {
  if (definition.args.length === 0) return () => [];
  const schema = z.object(Object.fromEntries(definition.args.map(({ name, schema }) => [name, schema])));
  return (params) => {
    const values = paramsOf(schema, params);
    return definition.args.map(({ name }) => values[name]);
  };
}

/** A table's methods by RPC name, each run on the interface `contractOf` picks from a connection's chain. */
function served<Api extends ContractApi>(
  api: Api,
  contractOf: (chain: Chain) => ContractOf<Api>,
): [string, ServedMethod][] {
  return Object.entries(api).flatMap(([member, definition]): [string, ServedMethod][] => {
    if (definition.kind !== 'method') return [];
    const readArguments = argumentsReader(definition);
    const run: ServedMethod = async (chain, params) => {
      const args = readArguments(params);
      const contract = contractOf(chain);
      const implementation: unknown = Reflect.get(contract, member);
      if (typeof implementation !== 'function') throw new Error(`the chain does not implement ${member}`);
      return Reflect.apply(implementation, contract, args);
    };
    return [[definition.rpcName, run]];
  });
}

function byRpcName(methods: [string, ServedMethod][]): Map<string, ServedMethod> {
  const map = new Map<string, ServedMethod>();
  for (const [rpcName, run] of methods) {
    if (map.has(rpcName)) throw new Error(`two chain methods are named ${rpcName} on the wire`);
    map.set(rpcName, run);
  }
  return map;
}

/** The methods of an authenticated connection, run against the chain bound to its operator. */
export const chainMethods: ReadonlyMap<string, ServedMethod> = byRpcName([
  ...served(blockCounterApi, (chain) => chain.blocks),
  ...served(operatorRegistryApi, (chain) => chain.operatorRegistry),
  ...served(walletRegistryApi, (chain) => chain.walletRegistry),
  ...served(randomBeaconApi, (chain) => chain.randomBeacon),
]);
