import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { walletIdOf } from '../../crypto/wallet-id.js';
import { dkgResultHash } from '../dkg-result.js';
import { inactivityClaimHash } from '../inactivity-claim.js';
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
  type InactivityClaim,
  type InactivityClaimedEvent,
  type WalletRegisteredEvent,
} from '../types.js';
import { AsyncEmitter } from './async-emitter.js';
import type { BlockEngine } from './block-engine.js';
import {
  ascendingSeats,
  cloneResult,
  type GroupKeyCheck,
  resultFormProblem,
  SECP256K1_GROUP_KEY,
  resultSignatureProblem,
  sameBytes,
  sameResult,
  seatSignatureProblem,
} from './dkg-result-checks.js';
import type { SortitionPool } from './sortition-pool.js';

export interface RunningDkg {
  readonly seed: Uint8Array;
  readonly startBlock: number;
  /** Operator of each seat (seat i at index i-1), fixed at the start: the pool is locked. */
  readonly group: readonly Address[];
  submission?: { readonly result: DkgResult; readonly hash: Uint8Array; readonly block: number };
}

/** What a restart needs of a registry: its running DKG, its wallets and counters. */
export interface WalletRegistryState {
  readonly dkg: RunningDkg | undefined;
  readonly wallets: readonly WalletRegisteredEvent[];
  readonly claimNonces: readonly (readonly [string, number])[];
  readonly requests: number;
}

function createEvents(onListenerError: (error: unknown) => void) {
  return {
    dkgStarted: new AsyncEmitter<DkgStartedEvent>(onListenerError),
    dkgResultSubmitted: new AsyncEmitter<DkgResultSubmittedEvent>(onListenerError),
    dkgResultChallenged: new AsyncEmitter<DkgResultChallengedEvent>(onListenerError),
    dkgResultApproved: new AsyncEmitter<DkgResultApprovedEvent>(onListenerError),
    dkgTimedOut: new AsyncEmitter<DkgTimedOutEvent>(onListenerError),
    walletRegistered: new AsyncEmitter<WalletRegisteredEvent>(onListenerError),
    inactivityClaimed: new AsyncEmitter<InactivityClaimedEvent>(onListenerError),
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
 * The wallet registry's DKG state machine (idle → awaiting_result → challenge → idle) and
 * its registered wallets. Transactions run synchronously as `sender` and throw ChainError;
 * the block of a transaction is the current height.
 */
export class WalletRegistryContract {
  readonly events: ReturnType<typeof createEvents>;
  private dkg: RunningDkg | undefined;
  private wallets: WalletRegisteredEvent[] = [];
  private readonly claimNonces = new Map<string, number>();
  private requests = 0;

  constructor(
    private readonly blocks: BlockEngine,
    private readonly pool: SortitionPool,
    readonly params: DkgParameters,
    private readonly random: (() => Uint8Array) | undefined,
    onListenerError: (error: unknown) => void,
    /** The beacon reuses this DKG flow with BLS12-381 G2 group keys. */
    private readonly groupKey: GroupKeyCheck = SECP256K1_GROUP_KEY,
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

  registeredWallets(): WalletRegisteredEvent[] {
    return this.wallets.map(copyWallet);
  }

  requestNewWallet(): void {
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
    const groupPublicKey = submission.result.groupPublicKey;
    const wallet: WalletRegisteredEvent = {
      walletId: walletIdOf(groupPublicKey),
      groupPublicKey: groupPublicKey.slice(),
      members: dkg.group
        .map((operator, i) => ({ index: i + 1, operator }))
        .filter((member) => !misbehaved.has(member.index)),
      blockNumber: now,
    };
    this.wallets.push(wallet);
    this.end();
    this.events.dkgResultApproved.emit({
      resultHash: submission.hash.slice(),
      approver: sender,
      blockNumber: now,
    });
    this.events.walletRegistered.emit(copyWallet(wallet));
  }

  inactivityClaimNonce(walletId: string): number {
    this.wallet(walletId);
    return this.claimNonces.get(walletId) ?? 0;
  }

  /** Accepts a claim signed for the current nonce by at least `honestThreshold` member seats. */
  claimInactivity(sender: Address, claim: InactivityClaim): void {
    const wallet = this.wallet(claim.walletId);
    const nonce = this.claimNonces.get(claim.walletId) ?? 0;
    if (claim.nonce !== nonce)
      throw new ChainError(`claim nonce ${claim.nonce} is not the current nonce ${nonce}`);
    const operatorOf = new Map(wallet.members.map((m) => [m.index, m.operator]));
    if (![...operatorOf.values()].includes(sender))
      throw new ChainError(`${sender} is not a member of the wallet`);
    const size = this.params.groupSize;
    const inactive = claim.inactiveMembersIndices;
    if (
      inactive.length === 0 ||
      !ascendingSeats(inactive, size) ||
      inactive.some((s) => !operatorOf.has(s))
    ) {
      throw new ChainError('inactive member indices must be ascending, unique, non-empty wallet seats');
    }
    const signing = claim.signingMembersIndices;
    if (!ascendingSeats(signing, size) || signing.some((s) => !operatorOf.has(s))) {
      throw new ChainError('signing member indices must be ascending, unique wallet seats');
    }
    if (signing.length < this.params.honestThreshold) {
      throw new ChainError(`${signing.length} signatures; at least ${this.params.honestThreshold} required`);
    }
    const problem = seatSignatureProblem(inactivityClaimHash(claim), signing, claim.signatures, (seat) => {
      const operator = operatorOf.get(seat);
      return operator === undefined ? undefined : this.pool.publicKeyOf(operator);
    });
    if (problem) throw new ChainError(`invalid inactivity claim: ${problem}`);
    this.claimNonces.set(claim.walletId, nonce + 1);
    this.events.inactivityClaimed.emit({
      walletId: claim.walletId,
      nonce,
      inactiveMembersIndices: [...inactive],
      heartbeatFailed: claim.heartbeatFailed,
      notifier: sender,
      blockNumber: this.blocks.height,
    });
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

  snapshot(): WalletRegistryState {
    const dkg = this.dkg;
    return {
      dkg: dkg && {
        seed: dkg.seed.slice(),
        startBlock: dkg.startBlock,
        group: [...dkg.group],
        submission: dkg.submission && {
          result: cloneResult(dkg.submission.result),
          hash: dkg.submission.hash.slice(),
          block: dkg.submission.block,
        },
      },
      wallets: this.wallets.map(copyWallet),
      claimNonces: [...this.claimNonces],
      requests: this.requests,
    };
  }

  /** Continues from a saved state; the pool's lock is restored with the pool. */
  restore(state: WalletRegistryState): void {
    this.dkg = state.dkg && {
      seed: state.dkg.seed.slice(),
      startBlock: state.dkg.startBlock,
      group: [...state.dkg.group],
      ...(state.dkg.submission && {
        submission: {
          result: cloneResult(state.dkg.submission.result),
          hash: state.dkg.submission.hash.slice(),
          block: state.dkg.submission.block,
        },
      }),
    };
    this.wallets = state.wallets.map(copyWallet);
    this.claimNonces.clear();
    for (const [walletId, nonce] of state.claimNonces) this.claimNonces.set(walletId, nonce);
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

  private wallet(walletId: string): WalletRegisteredEvent {
    const wallet = this.wallets.find((w) => w.walletId === walletId);
    if (!wallet) throw new ChainError(`no wallet ${walletId} is registered`);
    return wallet;
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

function copyWallet(wallet: WalletRegisteredEvent): WalletRegisteredEvent {
  return {
    ...wallet,
    groupPublicKey: wallet.groupPublicKey.slice(),
    members: wallet.members.map((m) => ({ ...m })),
  };
}
