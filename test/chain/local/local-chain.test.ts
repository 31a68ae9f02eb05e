import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { dkgResultHash } from '../../../src/chain/dkg-result.js';
import { BlockEngine } from '../../../src/chain/local/block-engine.js';
import { LocalChain } from '../../../src/chain/local/local-chain.js';
import {
  type Address,
  type Chain,
  ChainError,
  type DkgParameters,
  type DkgResult,
  type Unsubscribe,
} from '../../../src/chain/types.js';
import {
  type OperatorKey,
  operatorKeyFromPrivate,
  signWithOperatorKey,
} from '../../../src/crypto/operator-key.js';

const params: DkgParameters = {
  groupSize: 5,
  groupQuorum: 4,
  honestThreshold: 3,
  resultSubmissionTimeoutBlocks: 30,
  resultSubmissionStartOffsetBlocks: 4,
  resultSubmissionStepBlocks: 2,
  resultChallengePeriodBlocks: 5,
  submitterPrecedencePeriodBlocks: 3,
};

/** Fixed keys keep the selected groups, and so the tests, deterministic. */
function fixedKey(n: number): OperatorKey {
  const privateKey = new Uint8Array(32);
  privateKey[30] = 0x5a;
  privateKey[31] = n;
  return operatorKeyFromPrivate(privateKey);
}

function setup(stakes: bigint[] = [100n, 200n, 300n], dkg: DkgParameters = params) {
  const listenerErrors: unknown[] = [];
  const chain = new LocalChain({ blockIntervalMs: 0, dkg, onListenerError: (e) => listenerErrors.push(e) });
  const keys = stakes.map((_, i) => fixedKey(i + 1));
  for (const [i, key] of keys.entries()) {
    assert.equal(chain.registerOperator(key.publicKey, stakes[i]!), key.address);
  }
  const keyOf = (address: Address): OperatorKey => keys.find((key) => key.address === address)!;
  const outsider = fixedKey(200);
  return { chain, keys, keyOf, outsider, listenerErrors, owner: chain.connect(outsider.address) };
}

function recorder<T>(subscribe: (listener: (event: T) => void) => Unsubscribe): T[] {
  const events: T[] = [];
  subscribe((event) => events.push(event));
  return events;
}

function recordAll(chain: Chain) {
  const registry = chain.walletRegistry;
  return {
    started: recorder(registry.onDkgStarted),
    submitted: recorder(registry.onDkgResultSubmitted),
    challenged: recorder(registry.onDkgResultChallenged),
    approved: recorder(registry.onDkgResultApproved),
    timedOut: recorder(registry.onDkgTimedOut),
    registered: recorder(registry.onWalletRegistered),
  };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function signResult(
  base: Omit<DkgResult, 'signatures'>,
  signerOfSeat: (seat: number) => OperatorKey,
): DkgResult {
  const hash = dkgResultHash(base);
  return {
    ...base,
    signatures: base.signingMembersIndices.map((seat) => signWithOperatorKey(signerOfSeat(seat), hash)),
  };
}

/** Starts a DKG at the current block; returns its seed, start block and group. */
async function startDkg(owner: Chain) {
  const events = recorder(owner.walletRegistry.onDkgStarted);
  await owner.walletRegistry.requestNewWallet();
  await flush();
  assert.equal(events.length, 1);
  const { seed, blockNumber } = events[0]!;
  return { seed, startBlock: blockNumber, group: await owner.walletRegistry.selectGroup(seed) };
}

function mineTo(chain: LocalChain, height: number): void {
  assert.ok(chain.blocks.height <= height, `already at ${chain.blocks.height}, past ${height}`);
  chain.blocks.mine(height - chain.blocks.height);
}

describe('block engine', () => {
  test('hashes chain from the genesis hash and watchers see every block', async () => {
    const engine = new BlockEngine(0);
    const seen: number[] = [];
    const unsubscribe = engine.watchBlocks((height) => seen.push(height));
    assert.equal(await engine.currentBlock(), 0);
    engine.mine(3);
    assert.equal(await engine.currentBlock(), 3);
    assert.deepEqual(seen, [1, 2, 3]);

    let expected = sha256(utf8ToBytes('keep-core-ts/genesis'));
    assert.deepEqual(await engine.blockHash(0), expected);
    for (let n = 1; n <= 3; n++) {
      const input = new Uint8Array(40);
      input.set(expected);
      new DataView(input.buffer).setBigUint64(32, BigInt(n));
      expected = sha256(input);
      assert.deepEqual(await engine.blockHash(n), expected, `hash of block ${n}`);
    }
    await assert.rejects(engine.blockHash(4), (err: unknown) => {
      return err instanceof ChainError && /block 4 does not exist/.test(err.message);
    });

    unsubscribe();
    engine.mine();
    assert.deepEqual(seen, [1, 2, 3], 'no call after unsubscribing');
    engine.close();
  });

  test('waitForBlock resolves at once when reached, on the block otherwise, and rejects on abort', async () => {
    const engine = new BlockEngine(0);
    engine.mine(2);
    await engine.waitForBlock(2);
    await engine.waitForBlock(1);

    let reached = false;
    const wait = engine.waitForBlock(5).then(() => {
      reached = true;
    });
    engine.mine(2);
    await flush();
    assert.equal(reached, false, 'not reached at block 4');
    engine.mine();
    await wait;
    assert.equal(reached, true);

    const controller = new AbortController();
    const aborted = engine.waitForBlock(10, controller.signal);
    controller.abort(new Error('stop waiting'));
    await assert.rejects(aborted, /stop waiting/);
    await assert.rejects(
      engine.waitForBlock(1, AbortSignal.abort(new Error('already aborted'))),
      /already aborted/,
    );

    const pending = engine.waitForBlock(100);
    engine.close();
    await assert.rejects(pending, /local chain is closed/);
  });

  test('a throwing watcher neither stops the engine nor the other watchers', () => {
    const errors: unknown[] = [];
    const engine = new BlockEngine(0, (e) => errors.push(e));
    const seen: number[] = [];
    engine.watchBlocks(() => {
      throw new Error('watcher bug');
    });
    engine.watchBlocks((height) => seen.push(height));
    engine.mine(2);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(errors.length, 2);
    engine.close();
  });

  test('with an interval, blocks come by themselves', async () => {
    const engine = new BlockEngine(2);
    const keepAlive = setInterval(() => {}, 1000); // the engine's timer is unref'd
    await engine.waitForBlock(3);
    clearInterval(keepAlive);
    assert.ok((await engine.currentBlock()) >= 3);
    engine.close();
  });
});

describe('operator pool and group selection', () => {
  test('registration refuses bad keys, duplicates and non-positive stakes', async () => {
    const { chain, keys } = setup();
    assert.throws(() => chain.registerOperator(keys[0]!.publicKey, 5n), /already registered/);
    assert.throws(() => chain.registerOperator(fixedKey(9).publicKey, 0n), /stake must be positive/);
    assert.throws(() => chain.registerOperator(new Uint8Array(33), 5n), /not a 33-byte compressed/);
    const operators = await chain.connect(keys[0]!.address).operatorRegistry.operators();
    assert.deepEqual(
      operators.map((o) => o.address),
      keys.map((k) => k.address).sort(),
    );
    chain.close();
  });

  test('selection is deterministic, independent of registration order, and gives several seats', async () => {
    const seed = sha256(utf8ToBytes('seed one'));
    const a = setup([100n, 200n, 300n]);
    const b = new LocalChain({ blockIntervalMs: 0, dkg: params });
    for (const i of [2, 0, 1]) b.registerOperator(a.keys[i]!.publicKey, [100n, 200n, 300n][i]!);
    const groupA = await a.owner.walletRegistry.selectGroup(seed);
    const groupB = await b.connect(a.keys[0]!.address).walletRegistry.selectGroup(seed);
    assert.equal(groupA.length, params.groupSize);
    assert.deepEqual(groupB, groupA);
    assert.deepEqual(await a.owner.walletRegistry.selectGroup(seed), groupA, 'same seed, same group');
    const registered = new Set(a.keys.map((k) => k.address));
    assert.ok(groupA.every((address) => registered.has(address)));
    assert.ok(new Set(groupA).size < groupA.length, 'some operator holds several seats');
    a.chain.close();
    b.close();
  });

  test('seats are shared in proportion to stake', async () => {
    const stakes = [1000n, 2000n, 3000n, 4000n];
    const dkg = { ...params, groupSize: 4000, groupQuorum: 1, honestThreshold: 1 };
    const { chain, keys, owner } = setup(stakes, dkg);
    const group = await owner.walletRegistry.selectGroup(sha256(utf8ToBytes('proportional')));
    for (const [i, key] of keys.entries()) {
      const share = group.filter((address) => address === key.address).length / group.length;
      const expected = Number(stakes[i]!) / 10000;
      assert.ok(Math.abs(share - expected) < 0.03, `operator ${i}: share ${share}, expected ~${expected}`);
    }
    chain.close();
  });
});

describe('wallet registry DKG', () => {
  test('happy path: start, submit in slot, valid result unchallengeable, submitter precedence, wallet', async () => {
    const { chain, keyOf, outsider, owner } = setup();
    const events = recordAll(owner);
    chain.blocks.mine(3);
    assert.equal(await owner.walletRegistry.dkgState(), 'idle');

    await owner.walletRegistry.requestNewWallet();
    await flush();
    assert.equal(events.started.length, 1);
    const { seed, blockNumber: startBlock } = events.started[0]!;
    assert.equal(startBlock, 3);
    assert.equal(seed.length, 32);
    assert.equal(await owner.walletRegistry.dkgState(), 'awaiting_result');
    await assert.rejects(owner.walletRegistry.requestNewWallet(), /a DKG is already in progress/);
    assert.throws(() => chain.registerOperator(fixedKey(50).publicKey, 10n), /while a DKG is in progress/);

    const group = await owner.walletRegistry.selectGroup(seed);
    const groupKey = fixedKey(99).publicKey;
    const result = signResult(
      {
        seed,
        submitterMemberIndex: 2,
        groupPublicKey: groupKey,
        misbehavedMembersIndices: [5],
        signingMembersIndices: [1, 2, 3, 4],
      },
      (seat) => keyOf(group[seat - 1]!),
    );
    const submitter = chain.connect(group[1]!);
    const other = chain.connect(group.find((address) => address !== group[1])!);

    const slot = startBlock + params.resultSubmissionStartOffsetBlocks + params.resultSubmissionStepBlocks;
    mineTo(chain, slot);
    await submitter.walletRegistry.submitDkgResult(result);
    await flush();
    assert.equal(await owner.walletRegistry.dkgState(), 'challenge');
    assert.equal(events.submitted.length, 1);
    assert.deepEqual(events.submitted[0]!.resultHash, dkgResultHash(result));
    assert.equal(events.submitted[0]!.blockNumber, slot);
    assert.deepEqual(events.submitted[0]!.result.signatures, result.signatures);

    assert.deepEqual(await owner.walletRegistry.isDkgResultValid(result), { valid: true });
    await assert.rejects(chain.connect(outsider.address).walletRegistry.challengeDkgResult(result), {
      name: 'ChainError',
      message: 'result is valid; it cannot be challenged',
    });
    const challengeEnd = slot + params.resultChallengePeriodBlocks;
    await assert.rejects(
      submitter.walletRegistry.approveDkgResult(result),
      new RegExp(`challenge period lasts until block ${challengeEnd}`),
    );

    mineTo(chain, challengeEnd + 1);
    await assert.rejects(
      other.walletRegistry.approveDkgResult(result),
      new RegExp(`only the submitter ${group[1]} may approve until block ${challengeEnd + 3}`),
    );
    assert.equal(await owner.walletRegistry.dkgState(), 'challenge');
    await submitter.walletRegistry.approveDkgResult(result);
    await flush();

    assert.equal(await owner.walletRegistry.dkgState(), 'idle');
    assert.equal(events.challenged.length, 0);
    assert.deepEqual(events.approved, [
      { resultHash: dkgResultHash(result), approver: group[1], blockNumber: challengeEnd + 1 },
    ]);
    const expectedWallet = {
      walletId: bytesToHex(groupKey.subarray(1)),
      groupPublicKey: groupKey,
      members: [1, 2, 3, 4].map((index) => ({ index, operator: group[index - 1]! })),
      blockNumber: challengeEnd + 1,
    };
    assert.deepEqual(events.registered, [expectedWallet]);
    assert.deepEqual(await owner.walletRegistry.registeredWallets(), [expectedWallet]);
    chain.registerOperator(fixedKey(50).publicKey, 10n); // the pool is unlocked again
    chain.close();
  });

  test('submission is refused before the member slot, from a non-holder, after the timeout, and when malformed', async () => {
    const { chain, keyOf, owner } = setup();
    const { seed, startBlock, group } = await startDkg(owner);
    const base = {
      seed,
      submitterMemberIndex: 3,
      groupPublicKey: fixedKey(99).publicKey,
      misbehavedMembersIndices: [] as number[],
      signingMembersIndices: [1, 2, 3, 4, 5],
    };
    const result = signResult(base, (seat) => keyOf(group[seat - 1]!));
    const member3 = chain.connect(group[2]!);
    const slot =
      startBlock + params.resultSubmissionStartOffsetBlocks + 2 * params.resultSubmissionStepBlocks;

    mineTo(chain, slot - 1);
    await assert.rejects(member3.walletRegistry.submitDkgResult(result), {
      name: 'ChainError',
      message: `member 3 may submit from block ${slot}; current block is ${slot - 1}`,
    });
    const notHolder = chain.connect(group.find((address) => address !== group[2]) ?? fixedKey(200).address);
    await assert.rejects(notHolder.walletRegistry.submitDkgResult(result), /does not hold seat 3/);

    mineTo(chain, slot);
    const malformed: [Partial<DkgResult>, RegExp][] = [
      [{ seed: new Uint8Array(32) }, /result seed is not the seed of the running DKG/],
      [{ groupPublicKey: new Uint8Array(33) }, /group public key is not a 33-byte compressed/],
      [
        { groupPublicKey: fixedKey(99).publicKey.subarray(1) },
        /group public key is not a 33-byte compressed/,
      ],
      [{ submitterMemberIndex: 6 }, /submitter member index 6 is not a seat/],
      [{ misbehavedMembersIndices: [2, 1] }, /misbehaved member indices must be ascending/],
      [{ misbehavedMembersIndices: [4, 5] }, /signing member 4 is marked misbehaved/],
      [
        { signingMembersIndices: [1, 2], signatures: result.signatures.slice(0, 2) },
        /2 signatures; at least 3/,
      ],
      [{ signatures: result.signatures.slice(1) }, /4 signatures for 5 signing members/],
      [
        { signatures: [...result.signatures.slice(0, 4), new Uint8Array(65)] },
        /signature of member 5 is not 64 bytes/,
      ],
      [
        {
          misbehavedMembersIndices: [4, 5],
          signingMembersIndices: [1, 2, 3],
          signatures: result.signatures.slice(0, 3),
        },
        /3 active members; at least 4 required/,
      ],
    ];
    for (const [change, reason] of malformed) {
      await assert.rejects(member3.walletRegistry.submitDkgResult({ ...result, ...change }), reason);
    }
    assert.equal(await owner.walletRegistry.dkgState(), 'awaiting_result');

    mineTo(chain, startBlock + params.resultSubmissionTimeoutBlocks + 1);
    await assert.rejects(
      member3.walletRegistry.submitDkgResult(result),
      new RegExp(
        `result submission period ended at block ${startBlock + params.resultSubmissionTimeoutBlocks}`,
      ),
    );
    chain.close();
  });

  test('a forged result is accepted, fails validation, is challenged, and an honest one then wins', async () => {
    const { chain, keyOf, outsider, owner } = setup();
    const events = recordAll(owner);
    const { seed, startBlock, group } = await startDkg(owner);
    const honestBase = {
      seed,
      submitterMemberIndex: 2,
      groupPublicKey: fixedKey(99).publicKey,
      misbehavedMembersIndices: [] as number[],
      signingMembersIndices: [1, 2, 3, 4, 5],
    };
    const honest = signResult(honestBase, (seat) => keyOf(group[seat - 1]!));
    const forged: DkgResult = { ...honest, submitterMemberIndex: 1, groupPublicKey: fixedKey(98).publicKey };

    mineTo(chain, startBlock + params.resultSubmissionStartOffsetBlocks);
    await chain.connect(group[0]!).walletRegistry.submitDkgResult(forged);
    assert.equal(await owner.walletRegistry.dkgState(), 'challenge');

    const verdict = await owner.walletRegistry.isDkgResultValid(forged);
    assert.equal(verdict.valid, false);
    assert.match(verdict.reason ?? '', /signature of member 1 does not verify under its operator's key/);

    const challenger = chain.connect(outsider.address); // anyone may challenge, member or not
    await assert.rejects(challenger.walletRegistry.challengeDkgResult(honest), {
      message: 'result does not match the submitted one',
    });
    await assert.rejects(
      chain.connect(group[0]!).walletRegistry.approveDkgResult(honest),
      /result does not match the submitted one/,
    );
    mineTo(chain, chain.blocks.height + 1);
    await challenger.walletRegistry.challengeDkgResult(forged);
    await flush();
    assert.equal(await owner.walletRegistry.dkgState(), 'awaiting_result');
    assert.deepEqual(events.challenged, [
      {
        resultHash: dkgResultHash(forged),
        challenger: outsider.address,
        reason: verdict.reason,
        blockNumber: chain.blocks.height,
      },
    ]);
    await assert.rejects(
      challenger.walletRegistry.challengeDkgResult(forged),
      /no DKG result has been submitted/,
    );

    const submitter = chain.connect(group[1]!);
    const slot2 = startBlock + params.resultSubmissionStartOffsetBlocks + params.resultSubmissionStepBlocks;
    mineTo(chain, slot2);
    await submitter.walletRegistry.submitDkgResult(honest);
    const precedenceEnd = slot2 + params.resultChallengePeriodBlocks + params.submitterPrecedencePeriodBlocks;
    mineTo(chain, precedenceEnd + 1);
    await assert.rejects(challenger.walletRegistry.approveDkgResult(honest), /holds no seat in the group/);
    const otherMember = group.find((address) => address !== group[1])!;
    await chain.connect(otherMember).walletRegistry.approveDkgResult(honest);
    await flush();

    assert.equal(await owner.walletRegistry.dkgState(), 'idle');
    assert.equal(events.submitted.length, 2);
    assert.deepEqual(
      events.approved.map((e) => e.approver),
      [otherMember],
    );
    assert.equal(events.registered.length, 1);
    assert.equal(events.registered[0]!.walletId, bytesToHex(honest.groupPublicKey.subarray(1)));
    assert.equal(events.registered[0]!.members.length, params.groupSize);
    chain.close();
  });

  test('a result signed by the wrong keys is invalid and can be challenged only within the period', async () => {
    const { chain, keyOf, outsider, owner } = setup();
    const { seed, startBlock, group } = await startDkg(owner);
    const wrong = signResult(
      {
        seed,
        submitterMemberIndex: 1,
        groupPublicKey: fixedKey(99).publicKey,
        misbehavedMembersIndices: [],
        signingMembersIndices: [1, 2, 3],
      },
      (seat) => (seat === 3 ? outsider : keyOf(group[seat - 1]!)),
    );
    mineTo(chain, startBlock + params.resultSubmissionStartOffsetBlocks);
    await chain.connect(group[0]!).walletRegistry.submitDkgResult(wrong);
    const submitBlock = chain.blocks.height;
    assert.deepEqual(await owner.walletRegistry.isDkgResultValid(wrong), {
      valid: false,
      reason: "signature of member 3 does not verify under its operator's key",
    });

    mineTo(chain, submitBlock + params.resultChallengePeriodBlocks + 1);
    await assert.rejects(
      owner.walletRegistry.challengeDkgResult(wrong),
      new RegExp(`challenge period ended at block ${submitBlock + params.resultChallengePeriodBlocks}`),
    );
    assert.equal(await owner.walletRegistry.dkgState(), 'challenge');
    chain.close();
  });

  test('DKG times out only after the submission timeout and returns to idle', async () => {
    const { chain, owner } = setup();
    const events = recordAll(owner);
    const { seed, startBlock } = await startDkg(owner);
    const deadline = startBlock + params.resultSubmissionTimeoutBlocks;

    mineTo(chain, deadline);
    await assert.rejects(owner.walletRegistry.notifyDkgTimeout(), {
      name: 'ChainError',
      message: `DKG times out after block ${deadline}; current block is ${deadline}`,
    });
    chain.blocks.mine();
    await owner.walletRegistry.notifyDkgTimeout();
    await flush();
    assert.equal(await owner.walletRegistry.dkgState(), 'idle');
    assert.deepEqual(events.timedOut, [{ seed, blockNumber: deadline + 1 }]);
    await assert.rejects(
      owner.walletRegistry.notifyDkgTimeout(),
      /DKG is not awaiting a result \(state: idle\)/,
    );

    await owner.walletRegistry.requestNewWallet();
    await flush();
    assert.equal(events.started.length, 2);
    assert.notDeepEqual(events.started[1]!.seed, seed);
    chain.close();
  });

  test('listeners run after the transaction, not inside it, and a throwing one breaks nothing', async () => {
    const { chain, owner, listenerErrors } = setup();
    owner.walletRegistry.onDkgStarted(() => {
      throw new Error('listener bug');
    });
    const started = recorder(owner.walletRegistry.onDkgStarted);
    const late: unknown[] = [];
    const unsubscribe = owner.walletRegistry.onDkgStarted((event) => late.push(event));
    const sent = owner.walletRegistry.requestNewWallet();
    assert.equal(started.length, 0, 'not called synchronously');
    unsubscribe();
    await sent;
    await flush();
    assert.equal(started.length, 1);
    assert.equal(late.length, 0, 'unsubscribed before delivery');
    assert.equal(listenerErrors.length, 1);
    assert.equal(await owner.walletRegistry.dkgState(), 'awaiting_result');

    chain.close();
    await assert.rejects(owner.walletRegistry.notifyDkgTimeout(), /local chain is closed/);
  });
});
