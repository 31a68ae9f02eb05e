import { z } from 'zod';
import type { Chain } from '../types.js';

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

/** The methods of an authenticated connection, run against the chain bound to its operator. */
export const chainMethods = new Map<string, (chain: Chain, params: unknown) => Promise<unknown>>(
  Object.entries({
    currentBlock: (chain) => chain.blocks.currentBlock(),
    blockHash: (chain, params) => chain.blocks.blockHash(paramsOf('blockHash', params).height),
    operators: (chain) => chain.operatorRegistry.operators(),
    dkgParameters: (chain) => chain.walletRegistry.dkgParameters(),
    dkgState: (chain) => chain.walletRegistry.dkgState(),
    selectGroup: (chain, params) => chain.walletRegistry.selectGroup(paramsOf('selectGroup', params).seed),
    isDkgResultValid: (chain, params) =>
      chain.walletRegistry.isDkgResultValid(paramsOf('result', params).result),
    submitDkgResult: (chain, params) =>
      chain.walletRegistry.submitDkgResult(paramsOf('result', params).result),
    challengeDkgResult: (chain, params) =>
      chain.walletRegistry.challengeDkgResult(paramsOf('result', params).result),
    approveDkgResult: (chain, params) =>
      chain.walletRegistry.approveDkgResult(paramsOf('result', params).result),
    notifyDkgTimeout: (chain) => chain.walletRegistry.notifyDkgTimeout(),
    registeredWallets: (chain) => chain.walletRegistry.registeredWallets(),
    requestNewWallet: (chain) => chain.walletRegistry.requestNewWallet(),
    inactivityClaimNonce: (chain, params) =>
      chain.walletRegistry.inactivityClaimNonce(paramsOf('wallet', params).walletId),
    submitInactivityClaim: (chain, params) =>
      chain.walletRegistry.submitInactivityClaim(paramsOf('claim', params).claim),
    // Random beacon: its group DKG (the wallet registry's methods with a `beacon` prefix) and relay entries.
    beaconDkgParameters: (chain) => chain.randomBeacon.dkgParameters(),
    beaconDkgState: (chain) => chain.randomBeacon.dkgState(),
    beaconSelectGroup: (chain, params) =>
      chain.randomBeacon.selectGroup(paramsOf('selectGroup', params).seed),
    beaconIsDkgResultValid: (chain, params) =>
      chain.randomBeacon.isDkgResultValid(paramsOf('result', params).result),
    beaconSubmitDkgResult: (chain, params) =>
      chain.randomBeacon.submitDkgResult(paramsOf('result', params).result),
    beaconChallengeDkgResult: (chain, params) =>
      chain.randomBeacon.challengeDkgResult(paramsOf('result', params).result),
    beaconApproveDkgResult: (chain, params) =>
      chain.randomBeacon.approveDkgResult(paramsOf('result', params).result),
    beaconNotifyDkgTimeout: (chain) => chain.randomBeacon.notifyDkgTimeout(),
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
