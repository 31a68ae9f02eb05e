import { z } from 'zod';
import type { Chain, DkgFlow } from '../types.js';
import { dkgFlowMethodName } from './protocol.js';

/** Params that do not have the method's shape; answered with JSON-RPC invalid params. */
export class InvalidParamsError extends Error {
  override name = 'InvalidParamsError';
}

const bytes = z.instanceof(Uint8Array);
const seat = z.number().int();

const dkgResult = z.object({
  seed: bytes,
  submitterMemberIndex: seat,
  groupPublicKey: bytes,
  misbehavedMembersIndices: z.array(seat),
  signingMembersIndices: z.array(seat),
  signatures: z.array(bytes),
});

const inactivityClaim = z.object({
  walletId: z.string().regex(/^[0-9a-f]{64}$/),
  nonce: z.number().int().nonnegative(),
  inactiveMembersIndices: z.array(seat),
  heartbeatFailed: z.boolean(),
  signingMembersIndices: z.array(seat),
  signatures: z.array(bytes),
});

const schemas = {
  hello: z.object({ publicKey: bytes }),
  authenticate: z.object({ signature: bytes }),
  registerOperator: z.object({ stake: z.bigint() }),
  subscribeEvents: z.object({
    chainId: z.string().optional(),
    after: z.number().int().nonnegative().optional(),
  }),
  blockHash: z.object({ height: z.number() }),
  selectGroup: z.object({ seed: bytes }),
  result: z.object({ result: dkgResult }),
  wallet: z.object({ walletId: z.string() }),
  claim: z.object({ claim: inactivityClaim }),
  relayEntry: z.object({ requestId: z.number().int(), entry: bytes }),
  relayRequest: z.object({ requestId: z.number().int() }),
};

/** `params` (already decoded from the wire) checked against a method's schema. */
export function paramsOf<K extends keyof typeof schemas>(
  method: K,
  params: unknown,
): z.infer<(typeof schemas)[K]> {
  const parsed = schemas[method].safeParse(params);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'params'}: ${issue.message}`,
    );
    throw new InvalidParamsError(`invalid params: ${issues.join('; ')}`);
  }
  return parsed.data as z.infer<(typeof schemas)[K]>;
}

type Method = (chain: Chain, params: unknown) => Promise<unknown>;

/** A registry's DKG flow methods, named as is (wallet registry) or with a prefix (`beaconDkgState`). */
function dkgFlowMethods(prefix: '' | 'beacon', flowOf: (chain: Chain) => DkgFlow): Record<string, Method> {
  const methods: Record<string, Method> = {
    dkgParameters: (chain) => flowOf(chain).dkgParameters(),
    dkgState: (chain) => flowOf(chain).dkgState(),
    selectGroup: (chain, params) => flowOf(chain).selectGroup(paramsOf('selectGroup', params).seed),
    isDkgResultValid: (chain, params) => flowOf(chain).isDkgResultValid(paramsOf('result', params).result),
    submitDkgResult: (chain, params) => flowOf(chain).submitDkgResult(paramsOf('result', params).result),
    challengeDkgResult: (chain, params) =>
      flowOf(chain).challengeDkgResult(paramsOf('result', params).result),
    approveDkgResult: (chain, params) => flowOf(chain).approveDkgResult(paramsOf('result', params).result),
    notifyDkgTimeout: (chain) => flowOf(chain).notifyDkgTimeout(),
  };
  return Object.fromEntries(
    Object.entries(methods).map(([method, run]) => [dkgFlowMethodName(prefix, method), run]),
  );
}

/** The methods of an authenticated connection, run against the chain bound to its operator. */
export const chainMethods = new Map<string, (chain: Chain, params: unknown) => Promise<unknown>>(
  Object.entries({
    currentBlock: (chain) => chain.blocks.currentBlock(),
    blockHash: (chain, params) => chain.blocks.blockHash(paramsOf('blockHash', params).height),
    operators: (chain) => chain.operatorRegistry.operators(),
    ...dkgFlowMethods('', (chain) => chain.walletRegistry),
    registeredWallets: (chain) => chain.walletRegistry.registeredWallets(),
    requestNewWallet: (chain) => chain.walletRegistry.requestNewWallet(),
    inactivityClaimNonce: (chain, params) =>
      chain.walletRegistry.inactivityClaimNonce(paramsOf('wallet', params).walletId),
    submitInactivityClaim: (chain, params) =>
      chain.walletRegistry.submitInactivityClaim(paramsOf('claim', params).claim),
    // Random beacon: its group DKG (the wallet registry's methods with a `beacon` prefix) and relay entries.
    ...dkgFlowMethods('beacon', (chain) => chain.randomBeacon),
    beaconParameters: (chain) => chain.randomBeacon.beaconParameters(),
    beaconGroups: (chain) => chain.randomBeacon.groups(),
    requestNewBeaconGroup: (chain) => chain.randomBeacon.requestNewGroup(),
    requestRelayEntry: (chain) => chain.randomBeacon.requestRelayEntry(),
    currentRelayRequest: async (chain) => (await chain.randomBeacon.currentRelayRequest()) ?? null,
    lastRelayEntry: (chain) => chain.randomBeacon.lastEntry(),
    submitRelayEntry: (chain, params) => {
      const { requestId, entry } = paramsOf('relayEntry', params);
      return chain.randomBeacon.submitRelayEntry(requestId, entry);
    },
    reportRelayEntryTimeout: (chain, params) =>
      chain.randomBeacon.reportRelayEntryTimeout(paramsOf('relayRequest', params).requestId),
  } satisfies Record<string, (chain: Chain, params: unknown) => Promise<unknown>>),
);
