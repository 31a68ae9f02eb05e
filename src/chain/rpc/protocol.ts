import { utf8ToBytes } from '@noble/hashes/utils.js';

/** JSON-RPC error codes: the standard ones and the chain server's own (-32000…-32099). */
export const RpcCode = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** The chain refused the call (a ChainError); the message is the chain's reason. */
  chainRefused: -32000,
  /** hello/authenticate not done, or the signature did not verify. */
  unauthenticated: -32001,
  /** registerOperator for an operator that is already registered. */
  alreadyRegistered: -32002,
} as const;

const HELLO_DOMAIN = utf8ToBytes('keep-core-ts/chain-hello');
export const HELLO_NONCE_BYTES = 32;

/** What `authenticate` signs: the server's 32-byte nonce followed by the UTF-8 domain tag. */
export function helloMessage(nonce: Uint8Array): Uint8Array {
  const message = new Uint8Array(nonce.length + HELLO_DOMAIN.length);
  message.set(nonce);
  message.set(HELLO_DOMAIN, nonce.length);
  return message;
}
