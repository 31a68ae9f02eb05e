import { bls12_381 } from '@noble/curves/bls12-381.js';
import { dkgResultHash } from '../../src/chain/dkg-result.js';
import type { LocalChain } from '../../src/chain/local/local-chain.js';
import type { DkgFlow, DkgParameters } from '../../src/chain/types.js';
import { generateOperatorKey, type OperatorKey, signWithOperatorKey } from '../../src/crypto/operator-key.js';

/** Three seats, all signing; a result can be approved two blocks after it is submitted. */
export const FLOW_DKG: DkgParameters = {
  groupSize: 3,
  groupQuorum: 3,
  honestThreshold: 2,
  resultSubmissionTimeoutBlocks: 100,
  resultSubmissionStartOffsetBlocks: 0,
  resultSubmissionStepBlocks: 0,
  resultChallengePeriodBlocks: 1,
  submitterPrecedencePeriodBlocks: 0,
};

/** Three seats, two to sign; a submission slot per block from block 2; for RPC tests. */
export const RPC_DKG: DkgParameters = {
  groupSize: 3,
  groupQuorum: 2,
  honestThreshold: 2,
  resultSubmissionTimeoutBlocks: 30,
  resultSubmissionStartOffsetBlocks: 2,
  resultSubmissionStepBlocks: 1,
  resultChallengePeriodBlocks: 2,
  submitterPrecedencePeriodBlocks: 1,
};

/**
 * A result for a 3-seat group with no misbehaved member, submitted by seat 1 and signed by
 * every seat's operator (`keys` holds them); `signer(seat)` is the seat's operator key.
 */
export function signedDkgResult(
  seed: Uint8Array,
  group: readonly string[],
  keys: readonly OperatorKey[],
  groupPublicKey: Uint8Array,
) {
  const hash = dkgResultHash({ seed, groupPublicKey, misbehavedMembersIndices: [] });
  const signer = (seat: number) => keys.find((key) => key.address === group[seat - 1])!;
  const result = {
    seed,
    submitterMemberIndex: 1,
    groupPublicKey,
    misbehavedMembersIndices: [],
    signingMembersIndices: [1, 2, 3],
    signatures: [1, 2, 3].map((seat) => signWithOperatorKey(signer(seat), hash)),
  };
  return { result, signer };
}

/**
 * Runs a registry's DKG on a local chain (blocks mined by hand) to registration, with a made-up
 * group key signed by the selected operators: a wallet (`tbtc`) or a beacon group.
 */
export async function registerGroup(
  chain: LocalChain,
  keys: readonly OperatorKey[],
  kind: 'tbtc' | 'beacon',
): Promise<void> {
  const flowOf = (key: OperatorKey): DkgFlow =>
    kind === 'tbtc' ? chain.connect(key.address).walletRegistry : chain.connect(key.address).randomBeacon;
  const observer = flowOf(keys[0]!);
  const started = new Promise<Uint8Array>((resolve) => {
    const stop = observer.onDkgStarted((event) => {
      stop();
      resolve(event.seed);
    });
  });
  const owner = chain.connect(keys[0]!.address);
  await (kind === 'tbtc' ? owner.walletRegistry.requestNewWallet() : owner.randomBeacon.requestNewGroup());
  const seed = await started;
  const group = await observer.selectGroup(seed);
  const groupPublicKey =
    kind === 'tbtc'
      ? generateOperatorKey().publicKey
      : bls12_381.shortSignatures.keygen().publicKey.toBytes(true);
  const { result, signer } = signedDkgResult(seed, group, keys, groupPublicKey);
  await flowOf(signer(1)).submitDkgResult(result);
  chain.blocks.mine(2);
  await flowOf(signer(1)).approveDkgResult(result);
}
