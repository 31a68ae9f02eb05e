import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { dkgResultHash } from '../dkg-result.js';
import {
  type Address,
  ChainError,
  type DkgParameters,
  type DkgResult,
  type DkgResultApprovedEvent,
  type DkgResultChallengedEvent,
  type DkgResultSubmittedEvent,
  type DkgStartedEvent,
  type DkgState,
  type DkgTimedOutEvent,
} from '../types.js';
import { AsyncEmitter } from './async-emitter.js';
import type { BlockEngine } from './block-engine.js';
import {
  cloneResult,
  type GroupKeyCheck,
  resultFormProblem,
  resultSignatureProblem,
  sameBytes,
  sameResult,
} from './dkg-result-checks.js';
import type { SortitionPool } from './sortition-pool.js';

export interface RunningDkg {
  readonly seed: Uint8Array;
  readonly startBlock: number;
  /** Operator of each seat (seat i at index i-1), fixed at the start: the pool is locked. */
  readonly group: readonly Address[];
  submission?: { readonly result: DkgResult; readonly hash: Uint8Array; readonly block: number };
}

/** A group an approved DKG result created. */
export interface RegisteredGroup {
  readonly groupPublicKey: Uint8Array;
  /** Operator of each seat of the group, in seat order, excluded seats left out. */
  readonly members: readonly { readonly index: number; readonly operator: Address }[];
  readonly blockNumber: number;
}

/** What a restart needs of a DKG registry: its running DKG, its groups and its seed counter. */
export interface DkgRegistryState {
  readonly dkg: RunningDkg | undefined;
  readonly groups: readonly RegisteredGroup[];
  readonly requests: number;
}

function createEvents(onListenerError: (error: unknown) => void) {
  return {
    dkgStarted: new AsyncEmitter<DkgStartedEvent>(onListenerError),
    dkgResultSubmitted: new AsyncEmitter<DkgResultSubmittedEvent>(onListenerError),
    dkgResultChallenged: new AsyncEmitter<DkgResultChallengedEvent>(onListenerError),
    dkgResultApproved: new AsyncEmitter<DkgResultApprovedEvent>(onListenerError),
    dkgTimedOut: new AsyncEmitter<DkgTimedOutEvent>(onListenerError),
    groupRegistered: new AsyncEmitter<RegisteredGroup>(onListenerError),
  };
}

export function checkDkgParameters(params: DkgParameters): void {
  const names: (keyof DkgParameters)[] = [
    'groupSize',
    'groupQuorum',
    'honestThreshold',
    'resultSubmissionTimeoutBlocks',
    'resultSubmissionStartOffsetBlocks',
    'resultSubmissionStepBlocks',
    'resultChallengePeriodBlocks',
    'submitterPrecedencePeriodBlocks',
  ];
  for (const name of names) {
    const value = params[name];
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`dkg.${name} must be a non-negative integer, got ${value}`);
    }
  }
  if (params.groupSize < 1) throw new RangeError('dkg.groupSize must be at least 1');
  if (params.groupQuorum > params.groupSize || params.honestThreshold > params.groupSize) {
    throw new RangeError('dkg.groupQuorum and dkg.honestThreshold must not exceed dkg.groupSize');
  }
}

/**
 * A group DKG on chain (idle → awaiting_result → challenge → idle) and the groups its approved
 * results registered; the wallet registry and the random beacon each hold one. Transactions
 * run synchronously as `sender` and throw ChainError; the block of a transaction is the
 * current height.
 */
export class DkgRegistryContract {
  readonly events: ReturnType<typeof createEvents>;
  private dkg: RunningDkg | undefined;
  private groups: RegisteredGroup[] = [];
  private requests = 0;

  constructor(
    private readonly blocks: BlockEngine,
    private readonly pool: SortitionPool,
    readonly params: DkgParameters,
    private readonly groupKey: GroupKeyCheck,
    /** Source of 32-byte seeds; default: sha256 of the start block's hash and a counter. */
    private readonly random: (() => Uint8Array) | undefined,
    onListenerError: (error: unknown) => void,
  ) {
    checkDkgParameters(params);
    this.events = createEvents(onListenerError);
  }

  state(): DkgState {
    if (!this.dkg) return 'idle';
    return this.dkg.submission ? 'challenge' : 'awaiting_result';
  }

  selectGroup(seed: Uint8Array): Address[] {
    if (this.dkg && bytesToHex(seed) === bytesToHex(this.dkg.seed)) return [...this.dkg.group];
    return this.pool.selectGroup(seed, this.params.groupSize);
  }

  validity(result: DkgResult): { valid: boolean; reason?: string } {
    const reason = this.invalidity(result);
    return reason === undefined ? { valid: true } : { valid: false, reason };
  }

  registeredGroups(): RegisteredGroup[] {
    return this.groups.map(copyGroup);
  }

  requestNewGroup(): void {
    if (this.dkg) throw new ChainError(`a DKG is already in progress (state: ${this.state()})`);
    const startBlock = this.blocks.height;
    const seed = this.nextSeed(startBlock);
    const group = this.pool.selectGroup(seed, this.params.groupSize);
    this.pool.lock();
    this.dkg = { seed, startBlock, group };
    this.events.dkgStarted.emit({ seed: seed.slice(), blockNumber: startBlock });
  }

  submit(sender: Address, result: DkgResult): void {
    const dkg = this.awaitingResult();
    const now = this.blocks.height;
    const deadline = dkg.startBlock + this.params.resultSubmissionTimeoutBlocks;
    if (now > deadline) throw new ChainError(`result submission period ended at block ${deadline}`);
    if (!sameBytes(result.seed, dkg.seed))
      throw new ChainError('result seed is not the seed of the running DKG');
    const problem = resultFormProblem(result, this.params, this.groupKey);
    if (problem) throw new ChainError(`malformed DKG result: ${problem}`);
    const seat = result.submitterMemberIndex;
    if (dkg.group[seat - 1] !== sender) {
      throw new ChainError(`${sender} does not hold seat ${seat} (its operator is ${dkg.group[seat - 1]})`);
    }
    const slot =
      dkg.startBlock +
      this.params.resultSubmissionStartOffsetBlocks +
      (seat - 1) * this.params.resultSubmissionStepBlocks;
    if (now < slot)
      throw new ChainError(`member ${seat} may submit from block ${slot}; current block is ${now}`);
    const stored = cloneResult(result);
    const hash = dkgResultHash(stored);
    dkg.submission = { result: stored, hash, block: now };
    this.events.dkgResultSubmitted.emit({
      resultHash: hash.slice(),
      result: cloneResult(stored),
      blockNumber: now,
    });
  }

  challenge(sender: Address, result: DkgResult): void {
    const { dkg, submission } = this.submitted(result);
    const now = this.blocks.height;
    const end = submission.block + this.params.resultChallengePeriodBlocks;
    if (now > end) throw new ChainError(`challenge period ended at block ${end}`);
    const reason = this.invalidity(result);
    if (reason === undefined) throw new ChainError('result is valid; it cannot be challenged');
    // The submission window keeps its end (startBlock + timeout); WalletRegistry.sol would
    // restart it at this block (resultSubmissionStartBlockOffset).
    dkg.submission = undefined;
    this.events.dkgResultChallenged.emit({
      resultHash: submission.hash.slice(),
      challenger: sender,
      reason,
      blockNumber: now,
    });
  }

  approve(sender: Address, result: DkgResult): void {
    const { dkg, submission } = this.submitted(result);
    const now = this.blocks.height;
    const challengeEnd = submission.block + this.params.resultChallengePeriodBlocks;
    if (now <= challengeEnd) {
      throw new ChainError(
        `challenge period lasts until block ${challengeEnd}; approval opens at block ${challengeEnd + 1}`,
      );
    }
    const submitter = dkg.group[submission.result.submitterMemberIndex - 1]!;
    const precedenceEnd = challengeEnd + this.params.submitterPrecedencePeriodBlocks;
    if (now <= precedenceEnd && sender !== submitter) {
      throw new ChainError(`only the submitter ${submitter} may approve until block ${precedenceEnd}`);
    }
    if (!dkg.group.includes(sender)) throw new ChainError(`${sender} holds no seat in the group`);

    const misbehaved = new Set(submission.result.misbehavedMembersIndices);
    const group: RegisteredGroup = {
      groupPublicKey: submission.result.groupPublicKey.slice(),
      members: dkg.group
        .map((operator, i) => ({ index: i + 1, operator }))
        .filter((member) => !misbehaved.has(member.index)),
      blockNumber: now,
    };
    this.groups.push(group);
    this.end();
    this.events.dkgResultApproved.emit({
      resultHash: submission.hash.slice(),
      approver: sender,
      blockNumber: now,
    });
    this.events.groupRegistered.emit(copyGroup(group));
  }

  notifyTimeout(): void {
    // Not in challenge: the challenge period usually outlasts the submission timeout, so a
    // timeout there would kill every pending result (the contract's hasDkgTimedOut agrees).
    const dkg = this.awaitingResult();
    const now = this.blocks.height;
    const deadline = dkg.startBlock + this.params.resultSubmissionTimeoutBlocks;
    if (now <= deadline)
      throw new ChainError(`DKG times out after block ${deadline}; current block is ${now}`);
    this.end();
    this.events.dkgTimedOut.emit({ seed: dkg.seed.slice(), blockNumber: now });
  }

  close(): void {
    for (const emitter of Object.values(this.events)) emitter.clear();
  }

  snapshot(): DkgRegistryState {
    return {
      dkg: this.dkg && copyRunningDkg(this.dkg),
      groups: this.registeredGroups(),
      requests: this.requests,
    };
  }

  /** Continues from a saved state; the pool's lock is restored with the pool. */
  restore(state: DkgRegistryState): void {
    this.dkg = state.dkg && copyRunningDkg(state.dkg);
    this.groups = state.groups.map(copyGroup);
    this.requests = state.requests;
  }

  private invalidity(result: DkgResult): string | undefined {
    const dkg = this.dkg;
    if (!dkg) return 'no DKG is in progress';
    if (!sameBytes(result.seed, dkg.seed)) return 'result seed is not the seed of the running DKG';
    return (
      resultFormProblem(result, this.params, this.groupKey) ??
      resultSignatureProblem(result, (seat) => {
        const operator = dkg.group[seat - 1];
        return operator === undefined ? undefined : this.pool.publicKeyOf(operator);
      })
    );
  }

  private awaitingResult(): RunningDkg {
    if (!this.dkg || this.dkg.submission)
      throw new ChainError(`DKG is not awaiting a result (state: ${this.state()})`);
    return this.dkg;
  }

  private submitted(result: DkgResult): {
    dkg: RunningDkg;
    submission: NonNullable<RunningDkg['submission']>;
  } {
    const dkg = this.dkg;
    if (!dkg?.submission) throw new ChainError(`no DKG result has been submitted (state: ${this.state()})`);
    if (!sameResult(result, dkg.submission.result))
      throw new ChainError('result does not match the submitted one');
    return { dkg, submission: dkg.submission };
  }

  private end(): void {
    this.dkg = undefined;
    this.pool.unlock();
  }

  /** 32 bytes, deterministic given the start block unless a random source was configured. */
  private nextSeed(block: number): Uint8Array {
    const counter = this.requests++;
    if (this.random) {
      const seed = this.random();
      if (seed.length !== 32) throw new Error(`random source returned ${seed.length} bytes; 32 needed`);
      return seed.slice();
    }
    const hash = this.blocks.hashAt(block);
    const input = new Uint8Array(hash.length + 4);
    input.set(hash);
    new DataView(input.buffer).setUint32(hash.length, counter);
    return sha256(input);
  }
}

function copyRunningDkg(dkg: RunningDkg): RunningDkg {
  return {
    seed: dkg.seed.slice(),
    startBlock: dkg.startBlock,
    group: [...dkg.group],
    ...(dkg.submission && {
      submission: {
        result: cloneResult(dkg.submission.result),
        hash: dkg.submission.hash.slice(),
        block: dkg.submission.block,
      },
    }),
  };
}

function copyGroup(group: RegisteredGroup): RegisteredGroup {
  return {
    groupPublicKey: group.groupPublicKey.slice(),
    members: group.members.map((m) => ({ ...m })),
    blockNumber: group.blockNumber,
  };
}
