import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { LocalChain } from '../../../src/chain/local/local-chain.js';
import type { RelayParameters } from '../../../src/chain/local/random-beacon-contract.js';
import { type Chain, ChainError, type RelayEntryRequestedEvent } from '../../../src/chain/types.js';
import { generateOperatorKey, type OperatorKey } from '../../../src/crypto/operator-key.js';
import { GENESIS_ENTRY } from '../../../src/crypto/threshold-bls.js';
import { signedDkgResult } from '../../helpers/chain-flows.js';

const BLS = bls12_381.shortSignatures;
const DKG = {
  groupSize: 3,
  groupQuorum: 3,
  honestThreshold: 2,
  resultSubmissionTimeoutBlocks: 100,
  resultSubmissionStartOffsetBlocks: 0,
  resultSubmissionStepBlocks: 0,
  resultChallengePeriodBlocks: 1,
  submitterPrecedencePeriodBlocks: 0,
};

/** A local chain (blocks mined by hand) whose beacon groups are registered with known BLS keys. */
function setup(relay: Partial<RelayParameters>) {
  const chain = new LocalChain({ blockIntervalMs: 0, dkg: DKG, relay });
  const keys: OperatorKey[] = [generateOperatorKey(), generateOperatorKey(), generateOperatorKey()];
  for (const key of keys) chain.registerOperator(key.publicKey, 1n);
  const as = (key: OperatorKey): Chain => chain.connect(key.address);
  const beacon = as(keys[0]!).randomBeacon;
  /** Runs the beacon's DKG flow on chain with a group key whose secret the test holds. */
  const registerGroup = async () => {
    const { secretKey, publicKey } = BLS.keygen();
    const started = new Promise<Uint8Array>((resolve) => {
      const stop = beacon.onDkgStarted((event) => {
        stop();
        resolve(event.seed);
      });
    });
    await beacon.requestNewGroup();
    const seed = await started;
    const group = await beacon.selectGroup(seed);
    const groupPublicKey = publicKey.toBytes(true);
    const { result, signer } = signedDkgResult(seed, group, keys, groupPublicKey);
    await as(signer(1)).randomBeacon.submitDkgResult(result);
    chain.blocks.mine(2);
    await as(signer(1)).randomBeacon.approveDkgResult(result);
    return { secretKey, groupPublicKey };
  };
  const nextRequest = () =>
    new Promise<RelayEntryRequestedEvent>((resolve) => {
      const stop = beacon.onRelayEntryRequested((event) => {
        stop();
        resolve(event);
      });
    });
  return { chain, keys, beacon, as, registerGroup, nextRequest };
}

test('relay requests need a group; only the group signature over the previous entry is accepted', async () => {
  const { chain, beacon, registerGroup, nextRequest } = setup({ relayEntryTimeoutBlocks: 5 });
  try {
    await assert.rejects(
      beacon.requestRelayEntry(),
      (err) => err instanceof ChainError && /no beacon group/.test(err.message),
    );
    const group = await registerGroup();
    assert.equal((await beacon.groups()).length, 1);
    const requested = nextRequest();
    await beacon.requestRelayEntry();
    const request = await requested;
    assert.deepEqual(request.previousEntry, GENESIS_ENTRY);
    await assert.rejects(beacon.requestRelayEntry(), /in progress/);
    const wrong = BLS.sign(BLS.hash(new Uint8Array(3)), group.secretKey).toBytes(true);
    await assert.rejects(beacon.submitRelayEntry(request.requestId, wrong), /not the group’s BLS signature/);
    const entry = BLS.sign(BLS.hash(request.previousEntry), group.secretKey).toBytes(true);
    await assert.rejects(beacon.submitRelayEntry(request.requestId + 1, entry), /not current/);
    await beacon.submitRelayEntry(request.requestId, entry);
    assert.deepEqual(await beacon.lastEntry(), entry);
    assert.equal(await beacon.currentRelayRequest(), undefined);
  } finally {
    chain.close();
  }
});

test('a timeout report is accepted once, after the timeout, and the entry is re-requested from another group', async () => {
  const { chain, keys, beacon, as, registerGroup, nextRequest } = setup({ relayEntryTimeoutBlocks: 5 });
  try {
    await registerGroup();
    await registerGroup();
    const requested = nextRequest();
    await beacon.requestRelayEntry();
    const request = await requested;
    chain.blocks.mine(5);
    await assert.rejects(beacon.reportRelayEntryTimeout(request.requestId), /times out after block/);
    chain.blocks.mine(1);
    const rerequested = nextRequest();
    await as(keys[1]!).randomBeacon.reportRelayEntryTimeout(request.requestId);
    await assert.rejects(as(keys[2]!).randomBeacon.reportRelayEntryTimeout(request.requestId), /not current/);
    const retry = await rerequested;
    assert.notEqual(retry.groupId, request.groupId);
    assert.deepEqual(retry.previousEntry, request.previousEntry);
    // The other group times out as well: no group is left for this entry.
    chain.blocks.mine(6);
    await beacon.reportRelayEntryTimeout(retry.requestId);
    assert.equal(await beacon.currentRelayRequest(), undefined);
  } finally {
    chain.close();
  }
});

test('with RelayRequestIntervalBlocks the chain requests entries by itself while none is pending', async () => {
  const { chain, beacon, registerGroup } = setup({
    relayEntryTimeoutBlocks: 50,
    relayRequestIntervalBlocks: 4,
  });
  try {
    chain.blocks.mine(8);
    assert.equal(await beacon.currentRelayRequest(), undefined, 'no group, no request');
    const group = await registerGroup();
    const requests: RelayEntryRequestedEvent[] = [];
    beacon.onRelayEntryRequested((event) => requests.push(event));
    chain.blocks.mine(4 - ((await chain.blocks.currentBlock()) % 4));
    const first = await beacon.currentRelayRequest();
    assert.ok(first, 'requested at the interval');
    chain.blocks.mine(4);
    assert.equal(
      (await beacon.currentRelayRequest())?.requestId,
      first.requestId,
      'none while one is pending',
    );
    await beacon.submitRelayEntry(
      first.requestId,
      BLS.sign(BLS.hash(first.previousEntry), group.secretKey).toBytes(true),
    );
    chain.blocks.mine(4);
    const second = await beacon.currentRelayRequest();
    assert.ok(second && second.requestId > first.requestId);
    await new Promise((r) => setImmediate(r));
    assert.equal(requests.length, 2);
  } finally {
    chain.close();
  }
});
