import type { z } from 'zod';
import type { ContractApi, MethodDefinition, MethodsOf } from '../api/definition.js';
import { RpcCode } from './protocol.js';
import { ChainRpcError } from './rpc-connection.js';

/** Sends one request to the chain server and resolves with its (decoded) answer. */
export type RpcCall = (rpcName: string, params: Record<string, unknown>) => Promise<unknown>;

/**
 * The methods a table declares, each a call to the chain server: the arguments go in the
 * params object the table names them in, the answer is checked against the result schema.
 */
export function remoteMethods<Api extends ContractApi>(api: Api, call: RpcCall): MethodsOf<Api> {
  const methods: { [member: string]: (...args: unknown[]) => Promise<unknown> } = {};
  for (const [member, definition] of Object.entries(api)) {
    if (definition.kind !== 'method') continue;
    methods[member] = async (...args) =>
      answerOf(
        definition.result,
        definition.rpcName,
        await call(definition.rpcName, paramsOf(definition, args)),
      );
  }
  // Built from the same table the type is derived from: one call per method definition.
  return methods as MethodsOf<Api>;
}

function paramsOf(definition: MethodDefinition, args: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(definition.args.map((argument, i) => [argument.name, args[i]]));
}

/** `answer` checked against `schema`; a malformed answer rejects the call with a ChainRpcError. */
export function answerOf<Schema extends z.ZodType>(
  schema: Schema,
  rpcName: string,
  answer: unknown,
): z.output<Schema> {
  const parsed = schema.safeParse(answer);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'result'}: ${issue.message}`,
    );
    throw new ChainRpcError(RpcCode.parseError, `malformed answer to ${rpcName}: ${issues.join('; ')}`);
  }
  return parsed.data;
}
