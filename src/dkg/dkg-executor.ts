import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';
import { dkgResultHash } from '../chain/dkg-result.js';
import {
  type Address,
  type Chain,
  ChainError,
  type DkgRegistry,
  type DkgResult,
  type DkgResultSubmittedEvent,
  type DkgStartedEvent,
} from '../chain/types.js';
import { noopRecorder, type Recorder, stopwatch } from '../clientinfo/recorder.js';
import type { DkgScheme } from '../crypto/dkg-scheme.js';
import { type OperatorKey, signWithOperatorKey } from '../crypto/operator-key.js';
import type { Logger } from '../log.js';
import { SessionRouter } from '../net/session-router.js';
import type { Provider } from '../net/types.js';
import { DkgFailedError, type DkgOutcome, type DkgTiming, runDkgRounds } from './dkg-protocol.js';
import type { GroupKeys } from './group-keys.js';
import { Inbox } from './inbox.js';
import { DKG_CODECS, resultSignatureCodec } from './messages.js';
import { ResultSignatures } from './result-signatures.js';

export interface DkgExecutorOptions<K> {
  readonly chain: Chain;
  readonly provider: Provider;
  readonly key: OperatorKey;
  /** Where the `performance_dkg_*` metrics go; a user whose DKGs are not counted leaves it out. */
  readonly metrics?: Recorder;
  readonly log: Logger;
  readonly timing: DkgTiming;
  /** Approvers after the submitter wait this many blocks per position. */
  readonly approvalDelayStepBlocks: number;
  /**
   * Persists the key shares the moment the protocol produced them, before the result is
   * signed: a node that stops after its rounds still has the shares of the seats the group
   * may register. They stay pending until the group is registered (see KeyCustody).
   */
  readonly saveGroup: (group: GroupKeys<K>) => Promise<void>;
  /** The registry whose DKGs to run (the wallet registry, the random beacon). */
  readonly registry: DkgRegistry;
  /** The curve part of the DKG (FROST on secp256k1, threshold BLS on BLS12-381). */
  readonly scheme: DkgScheme<K>;
  /** The broadcast channel of a seed's DKG. */
  readonly channelName: (seed: Uint8Array) => string;
}

interface Participation<K> {
  readonly seed: string;
  readonly controller: AbortController;
  outcome?: DkgOutcome<K>;
  /** The key a registration named while this node was still computing its outcome. */
  registeredKey?: string;
  finished: boolean;
  finish(outcome: 'success' | 'failure', reason: string): void;
}

/**
 * One submitted result, signatures and submitter included (the chain's result hash leaves
 * them out, so two submissions of one outcome, one with a bad signature, share that hash).
 */
function submissionId(result: DkgResult): string {
  const numbers = new Uint8Array(
    new Uint16Array([result.submitterMemberIndex, ...result.signingMembersIndices]).buffer,
  );
  return bytesToHex(sha256(concatBytes(dkgResultHash(result), numbers, ...result.signatures)));
}

/**
 * The node's part in the group DKGs of one registry, driven by chain events: joins the DKG of every seed whose
 * group holds its seats (one protocol run for all of them), signs and submits the result in
 * its turn, validates every submitted result and challenges or approves it, reports
 * timeouts. Every DKG metric moves here, once per event.
 */
export class DkgExecutor<K> {
  private readonly participations = new Map<string, Participation<K>>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly stopped = new AbortController();
  private readonly registry: DkgRegistry;
  private readonly scheme: DkgScheme<K>;
  private readonly channelName: (seed: Uint8Array) => string;
  private readonly metrics: Recorder;
  /** The submission now in its challenge period (one DKG runs at a time per registry). */
  private lastSubmission: string | undefined;
  /** Submissions the chain challenged: never submitted again by this node. */
  private readonly refused = new Set<string>();

  constructor(private readonly options: DkgExecutorOptions<K>) {
    this.registry = options.registry;
    this.scheme = options.scheme;
    this.channelName = options.channelName;
    this.metrics = options.metrics ?? noopRecorder;
  }

  start(): void {
    const registry = this.registry;
    this.unsubscribe.push(
      registry.onDkgStarted((event) => void this.join(event).catch((err) => this.fault('join', err))),
      registry.onDkgResultSubmitted(
        (event) => void this.validate(event).catch((err) => this.fault('validate', err)),
      ),
      registry.onDkgResultChallenged(() => {
        if (this.lastSubmission) this.refused.add(this.lastSubmission);
        this.lastSubmission = undefined;
      }),
      registry.onGroupRegistered((event) => this.registered(event)),
      registry.onDkgTimedOut((event) => this.ended(bytesToHex(event.seed), 'failure', 'DKG timed out')),
    );
  }

  stop(): void {
    this.stopped.abort(new Error('node stopping'));
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    for (const participation of this.participations.values())
      participation.controller.abort(new Error('node stopping'));
  }

  private fault(what: string, err: unknown): void {
    if (this.stopped.signal.aborted) return;
    this.options.log.error({ err: (err as Error).message }, `DKG ${what} failed`);
  }

  private async join(event: DkgStartedEvent): Promise<void> {
    const { chain, provider, key, log, timing } = this.options;
    const recorder = this.metrics;
    const seed = bytesToHex(event.seed);
    if (this.participations.has(seed)) return;
    const group = await this.registry.selectGroup(event.seed);
    const mySeats = group.flatMap((operator, i) => (operator === key.address ? [i + 1] : []));
    this.watchTimeout(event);
    if (mySeats.length === 0) return;

    const params = await this.registry.dkgParameters();
    const controller = new AbortController();
    const elapsed = stopwatch();
    const participation: Participation<K> = {
      seed,
      controller,
      finished: false,
      finish: (outcome, reason) => {
        if (participation.finished) return;
        participation.finished = true;
        controller.abort(new Error(reason));
        if (outcome === 'failure') recorder.inc('performance_dkg_failed_total');
        recorder.observe('performance_dkg_duration_seconds', elapsed(), { outcome });
        log.info({ seed, outcome, reason, seconds: elapsed() }, 'DKG ended');
        inbox.close();
        router.close();
        resultSignatures.close();
        void channel.close();
      },
    };
    this.participations.set(seed, participation);
    recorder.inc('performance_dkg_joined_total', mySeats.length);
    log.info({ seed, seats: mySeats }, 'joining DKG');

    const operators = new Set(group);
    const channel = provider.broadcastChannelFor(this.channelName(event.seed));
    channel.setFilter((sender) => operators.has(sender.operatorAddress));
    const router = new SessionRouter(channel, 'dkg', DKG_CODECS, { log });
    const inbox = new Inbox(router, seed);
    const resultSignatures = new ResultSignatures(channel, seed);

    try {
      const outcome = await runDkgRounds(
        {
          session: seed,
          group,
          me: key,
          threshold: params.honestThreshold,
          quorum: params.groupQuorum,
          channel,
          inbox,
          blocks: chain.blocks,
          startBlock: event.blockNumber,
          timing,
          signal: controller.signal,
        },
        this.scheme,
      );
      participation.outcome = outcome;
      log.info(
        { seed, timingsMs: outcome.timings, misbehaved: outcome.misbehavedSeats },
        'DKG key shares computed',
      );
      this.reportExclusions(seed, group, outcome);
      await this.options.saveGroup({
        seed: event.seed,
        groupPublicKey: outcome.groupPublicKey,
        group,
        qualifiedSeats: outcome.qualifiedSeats,
        keys: outcome.keys,
      });
      if (participation.registeredKey !== undefined) {
        // A slow node: the others registered a group before its outcome was ready.
        this.settle(participation, participation.registeredKey);
        return;
      }
      const result = await this.signResult(
        event,
        group,
        outcome,
        channel,
        resultSignatures,
        controller.signal,
      );
      await this.submitInTurn(event, result, controller.signal);
    } catch (err) {
      if (participation.finished) return; // ended by a chain event meanwhile
      const reason = err instanceof DkgFailedError || err instanceof ChainError ? err.message : String(err);
      participation.finish('failure', reason);
    }
  }

  /** One warn line and a metric per operator whose seats this node excluded. */
  private reportExclusions(seed: string, group: readonly Address[], outcome: DkgOutcome<K>): void {
    for (const [operator, reason] of outcome.exclusions) {
      const seats = group.flatMap((member, i) => (member === operator ? [i + 1] : []));
      this.metrics.inc('performance_dkg_members_excluded_total', { reason }, seats.length);
      this.options.log.warn({ seed, operator, seats, reason }, 'excluded a DKG member');
    }
  }

  /**
   * Signs the result hash and collects the other qualified operators' signatures; only
   * signatures that verify under their operator's key go into the result.
   */
  private async signResult(
    event: DkgStartedEvent,
    group: readonly Address[],
    outcome: DkgOutcome<K>,
    channel: ReturnType<Provider['broadcastChannelFor']>,
    resultSignatures: ResultSignatures,
    signal: AbortSignal,
  ): Promise<DkgResult> {
    const { key, timing, chain, log } = this.options;
    const recorder = this.metrics;
    const hash = dkgResultHash({
      seed: event.seed,
      groupPublicKey: outcome.groupPublicKey,
      misbehavedMembersIndices: outcome.misbehavedSeats,
    });
    const session = bytesToHex(event.seed);
    await channel.send(
      resultSignatureCodec,
      { session, resultHash: bytesToHex(hash), signature: bytesToHex(signWithOperatorKey(key, hash)) },
      { retransmit: { until: signal } },
    );
    const current = await chain.blocks.currentBlock();
    const { valid, rejected } = await resultSignatures.collect(
      outcome.qualifiedOperators,
      hash,
      current + timing.resultSigningBlocks,
      chain.blocks,
      signal,
    );
    for (const { operator, reason } of rejected) {
      recorder.inc('performance_dkg_result_signatures_rejected_total');
      log.warn({ session, operator, reason }, 'left a member’s DKG result signature out');
    }
    const bySeat: [number, Uint8Array][] = [];
    for (const seat of outcome.qualifiedSeats) {
      const signature = valid.get(group[seat - 1]!);
      if (signature) bySeat.push([seat, signature]);
    }
    return {
      seed: event.seed,
      submitterMemberIndex: outcome.keys.keys().next().value!,
      groupPublicKey: outcome.groupPublicKey,
      misbehavedMembersIndices: outcome.misbehavedSeats,
      signingMembersIndices: bySeat.map(([seat]) => seat),
      signatures: bySeat.map(([, signature]) => signature),
    };
  }

  /**
   * Waits for this node's submission slot (its first seat), then submits unless a result is
   * already under challenge; after a successful challenge of another submission it submits
   * again. A result the chain would refuse, or one that was challenged, is never (re)submitted.
   */
  private async submitInTurn(event: DkgStartedEvent, result: DkgResult, signal: AbortSignal): Promise<void> {
    const { chain, log } = this.options;
    const registry = this.registry;
    const params = await registry.dkgParameters();
    const slot =
      event.blockNumber +
      params.resultSubmissionStartOffsetBlocks +
      (result.submitterMemberIndex - 1) * params.resultSubmissionStepBlocks;
    await chain.blocks.waitForBlock(slot, signal);
    const id = submissionId(result);
    for (;;) {
      if (this.refused.has(id)) {
        log.warn(
          { seed: bytesToHex(event.seed) },
          'this node’s DKG result was challenged; not submitting it again',
        );
        return;
      }
      const state = await registry.dkgState();
      if (state === 'idle') return;
      if (state === 'awaiting_result') {
        const verdict = await registry.isDkgResultValid(result);
        if (!verdict.valid) {
          this.refused.add(id);
          log.warn(
            { seed: bytesToHex(event.seed), reason: verdict.reason },
            'not submitting a DKG result the chain would refuse',
          );
          return;
        }
        try {
          await registry.submitDkgResult(result);
          log.info(
            { seed: bytesToHex(event.seed), seat: result.submitterMemberIndex },
            'submitted the DKG result',
          );
        } catch (err) {
          if (!(err instanceof ChainError)) throw err;
          log.info({ reason: err.message }, 'DKG result not submitted');
        }
      }
      // Someone's result is in its challenge period: wait for it to be settled.
      const challenged = await new Promise<boolean>((resolve, reject) => {
        const stopChallenged = registry.onDkgResultChallenged(() => done(true));
        const stopApproved = registry.onDkgResultApproved(() => done(false));
        const aborted = () => {
          stopChallenged();
          stopApproved();
          reject(signal.reason);
        };
        const done = (value: boolean) => {
          stopChallenged();
          stopApproved();
          signal.removeEventListener('abort', aborted);
          resolve(value);
        };
        signal.addEventListener('abort', aborted, { once: true });
      });
      if (!challenged) return;
    }
  }

  /** Every node validates every submitted result; invalid → challenge, valid → approve in turn. */
  private async validate(event: DkgResultSubmittedEvent): Promise<void> {
    const { chain, key, log, approvalDelayStepBlocks } = this.options;
    const recorder = this.metrics;
    const registry = this.registry;
    recorder.inc('performance_dkg_validation_total');
    this.lastSubmission = submissionId(event.result);
    const verdict = await registry.isDkgResultValid(event.result);
    if (!verdict.valid) {
      log.warn({ reason: verdict.reason }, 'submitted DKG result is invalid; challenging it');
      try {
        await registry.challengeDkgResult(event.result);
        recorder.inc('performance_dkg_challenges_submitted_total');
      } catch (err) {
        if (!(err instanceof ChainError)) throw err;
        log.info({ reason: err.message }, 'challenge not accepted');
      }
      return;
    }
    const group = await registry.selectGroup(event.result.seed);
    const misbehaved = new Set(event.result.misbehavedMembersIndices);
    const mySeats = group.flatMap((operator, i) =>
      operator === key.address && !misbehaved.has(i + 1) ? [i + 1] : [],
    );
    if (mySeats.length === 0) return;
    const params = await registry.dkgParameters();
    const submitter = group[event.result.submitterMemberIndex - 1] === key.address;
    const qualified = group.map((_, i) => i + 1).filter((seat) => !misbehaved.has(seat));
    const position = qualified.indexOf(mySeats[0]!);
    const challengeEnd = event.blockNumber + params.resultChallengePeriodBlocks + 1;
    const turn = submitter
      ? challengeEnd
      : challengeEnd + params.submitterPrecedencePeriodBlocks + position * approvalDelayStepBlocks;
    const signal = AbortSignal.any([this.stopped.signal, this.resultSettled(event)]);
    await chain.blocks.waitForBlock(turn, signal).catch(() => undefined);
    if (signal.aborted || (await registry.dkgState()) !== 'challenge') return;
    try {
      await registry.approveDkgResult(event.result);
      recorder.inc('performance_dkg_approvals_submitted_total');
      log.info({ seed: bytesToHex(event.result.seed) }, 'approved the DKG result');
    } catch (err) {
      if (!(err instanceof ChainError)) throw err;
      log.info({ reason: err.message }, 'approval not accepted');
    }
  }

  /** Aborts when the submitted result is challenged or approved by anyone. */
  private resultSettled(event: DkgResultSubmittedEvent): AbortSignal {
    const controller = new AbortController();
    const registry = this.registry;
    const hash = bytesToHex(event.resultHash);
    const settle = (other: { resultHash: Uint8Array }) => {
      if (bytesToHex(other.resultHash) !== hash) return;
      controller.abort();
      stopChallenged();
      stopApproved();
    };
    const stopChallenged = registry.onDkgResultChallenged(settle);
    const stopApproved = registry.onDkgResultApproved(settle);
    return controller.signal;
  }

  private registered(event: { readonly groupPublicKey: Uint8Array }): void {
    const key = bytesToHex(event.groupPublicKey);
    for (const participation of this.participations.values()) {
      if (participation.finished) continue;
      // Still computing: the outcome decides once it is ready (or the run fails by itself).
      if (!participation.outcome) participation.registeredKey = key;
      else this.settle(participation, key);
    }
  }

  /** Ends a participation once a group is registered: success when it holds this node's key. */
  private settle(participation: Participation<K>, registeredKey: string): void {
    if (bytesToHex(participation.outcome!.groupPublicKey) === registeredKey)
      participation.finish('success', 'group registered');
    else participation.finish('failure', 'a group without this node’s key was registered');
  }

  private ended(seed: string, outcome: 'success' | 'failure', reason: string): void {
    this.participations.get(seed)?.finish(outcome, reason);
  }

  /** Reports the DKG timeout once the submission window is over without an approval. */
  private watchTimeout(event: DkgStartedEvent): void {
    const { chain, log } = this.options;
    const registry = this.registry;
    void registry.dkgParameters().then((params) => {
      const timeoutBlock = event.blockNumber + params.resultSubmissionTimeoutBlocks + 1;
      const stop = chain.blocks.watchBlocks((height) => {
        if (height < timeoutBlock) return;
        stop();
        void registry
          .dkgState()
          .then(async (state) => {
            if (state === 'idle') return;
            await registry.notifyDkgTimeout();
            log.warn({ seed: bytesToHex(event.seed) }, 'reported the DKG timeout');
          })
          .catch(() => undefined); // someone else reported it first
      });
      this.stopped.signal.addEventListener('abort', stop, { once: true });
    });
  }
}
