import { bytesToNumberBE } from '@noble/curves/utils.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  type Address,
  type Chain,
  ChainError,
  type RelayEntryRequestedEvent,
  type RelayEntrySubmittedEvent,
  type RelayEntryTimedOutEvent,
} from '../chain/types.js';
import { type Recorder, stopwatch } from '../clientinfo/recorder.js';
import type { BlsKeyShare } from '../crypto/bls-dkg.js';
import type { OperatorKey } from '../crypto/operator-key.js';
import type { Logger } from '../log.js';
import { SessionRouter } from '../net/session-router.js';
import type { BroadcastChannel, Provider } from '../net/types.js';
import type { GroupKeys } from '../dkg/group-keys.js';
import { RELAY_CODECS, type SignatureSharePayload, signatureShareCodec } from './messages.js';
import { SettledRequests } from './settled-requests.js';
import {
  combineShares,
  entryMessage,
  type G1Point,
  invalidShares,
  type ShareToCheck,
  signShare,
} from '../crypto/threshold-bls.js';

/** A beacon group this node holds seats of, as the beacon DKG produced it. */
export type BeaconGroupKeys = GroupKeys<BlsKeyShare>;

export interface RelayExecutorOptions {
  readonly chain: Chain;
  readonly provider: Provider;
  readonly key: OperatorKey;
  readonly recorder: Recorder;
  readonly log: Logger;
  /** Fault injection for tests: rewrites this node's signature share of a seat before it is sent. */
  readonly tamperShare?: (seat: number, share: Uint8Array) => Uint8Array;
}

/** The broadcast channel of a beacon group (members only). */
export const relayChannelName = (groupPublicKey: Uint8Array) =>
  `beacon-${bytesToHex(groupPublicKey).slice(0, 40)}`;

/**
 * Requests whose shares are kept while this node has not seen them yet: the group's router
 * keeps this many messages per sender, and this many per member in all.
 */
const BUFFERED_SESSIONS = 8;

interface LocalGroup {
  readonly keys: BeaconGroupKeys;
  readonly threshold: number;
  readonly channel: BroadcastChannel;
  /** Hands each request's shares to its attempt; keeps those that come before the request. */
  readonly router: SessionRouter<typeof RELAY_CODECS>;
}

/** One request this node's group works on. */
class Attempt {
  readonly controller = new AbortController();
  readonly elapsed = stopwatch();
  readonly message: G1Point;
  readonly valid = new Map<number, Uint8Array>();
  private readonly pending: (ShareToCheck & { sender: Address })[] = [];
  private readonly heard = new Set<Address>();
  entry: Uint8Array | undefined;
  private ready: () => void = () => {};
  readonly combined = new Promise<void>((resolve) => {
    this.ready = resolve;
  });
  finished = false;
  /** Stops the group's router handing this request's shares over. */
  unrouted: () => void = () => {};

  constructor(
    readonly request: RelayEntryRequestedEvent,
    readonly group: LocalGroup,
    private readonly onInvalid: (sender: Address, seats: number[]) => void,
  ) {
    this.message = entryMessage(request.previousEntry);
  }

  /** Own shares: valid by construction. */
  addOwn(seat: number, share: Uint8Array): void {
    this.valid.set(seat, share);
    this.tryCombine();
  }

  /**
   * A sender's first message only, and of it one share per seat the sender holds in the
   * group: whatever else it lists, a sender costs at most one check per seat of its own.
   */
  receive(sender: Address, payload: SignatureSharePayload): void {
    if (this.entry || this.heard.has(sender)) return;
    this.heard.add(sender);
    const { group: operators, keys } = this.group.keys;
    const publicKeyShares = keys.values().next().value!.publicKeyShares;
    const taken = new Set<number>();
    for (const { seat, share } of payload.shares) {
      const publicKeyShare = publicKeyShares.get(seat);
      if (operators[seat - 1] !== sender || !publicKeyShare || this.valid.has(seat) || taken.has(seat))
        continue;
      taken.add(seat);
      this.pending.push({ seat, share: hexToBytes(share), publicKeyShare, sender });
    }
    this.tryCombine();
  }

  /**
   * Verifies only as many received shares as are still missing, in one batch (one-by-one only
   * after a batch fails, to name the bad ones), and combines once `threshold` are valid.
   */
  private tryCombine(): void {
    const { threshold } = this.group;
    while (!this.entry && this.valid.size < threshold && this.pending.length > 0) {
      const batch = this.pending.splice(0, threshold - this.valid.size);
      const bad = new Set(invalidShares(batch, this.message));
      const badBySender = new Map<Address, number[]>();
      for (const share of batch) {
        if (bad.has(share))
          badBySender.set(share.sender, [...(badBySender.get(share.sender) ?? []), share.seat]);
        else this.valid.set(share.seat, share.share);
      }
      for (const [sender, seats] of badBySender) this.onInvalid(sender, seats);
    }
    if (!this.entry && this.valid.size >= threshold) {
      const chosen = [...this.valid].slice(0, threshold).map(([seat, share]) => ({ seat, share }));
      this.entry = combineShares(chosen);
      this.ready();
    }
  }
}

/**
 * The node's part in relay entries, driven by chain events. For a request to a group it holds
 * seats of: sign the previous entry with each seat's key share, broadcast, verify the others'
 * shares (batched), combine `threshold` of them and submit in turn (position from the entry,
 * one `relayEntrySubmissionStepBlocks` per position) unless someone's entry lands first.
 * Every node, member or not, reports a request that timed out. An attempt ends (and its
 * shares stop being retransmitted) when its entry lands, when it hits an error, or at the
 * request's timeout block, whichever comes first. The relay-entry metrics move here.
 */
export class RelayExecutor {
  private readonly groups = new Map<string, LocalGroup>();
  private readonly attempts = new Map<number, Attempt>();
  /** Requests settled (entry accepted, timed out or abandoned), so late watchers do nothing; bounded. */
  private readonly settled = new SettledRequests();
  /** Requests whose timeout this node watches (a request can be seen twice: at start and as an event). */
  private readonly watched = new Set<number>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly stopped = new AbortController();
  /** Shares this node rejected as invalid (for operators' logs and tests). */
  rejectedShares = 0;

  /** Attempts still running (each retransmits its shares until it ends). */
  get runningAttempts(): number {
    return this.attempts.size;
  }

  /** Settled requests remembered one by one (bounded). */
  get settledCount(): number {
    return this.settled.size;
  }
  /** Fault injection for tests; see RelayExecutorOptions. */
  tamperShare: ((seat: number, share: Uint8Array) => Uint8Array) | undefined;

  constructor(private readonly options: RelayExecutorOptions) {
    this.tamperShare = options.tamperShare;
  }

  start(): void {
    const beacon = this.options.chain.randomBeacon;
    this.unsubscribe.push(
      beacon.onRelayEntryRequested((event) => this.requested(event)),
      beacon.onRelayEntrySubmitted((event) => this.submitted(event)),
      beacon.onRelayEntryTimedOut((event) => this.timedOut(event)),
    );
    // A request made while this node was down: sign it (if a member) and watch its timeout.
    void beacon.currentRelayRequest().then(
      (request) => {
        if (request && !this.stopped.signal.aborted) this.requested(request);
      },
      (err: Error) => this.options.log.warn({ err: err.message }, 'could not read the pending relay request'),
    );
  }

  stop(): void {
    this.stopped.abort(new Error('node stopping'));
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    for (const attempt of this.attempts.values()) attempt.controller.abort(new Error('node stopping'));
    for (const group of this.groups.values()) {
      group.router.close();
      void group.channel.close();
    }
    this.groups.clear();
  }

  /** A group this node holds seats of; its channel opens now so early shares are kept. */
  addGroup(keys: BeaconGroupKeys): void {
    const id = bytesToHex(keys.groupPublicKey);
    if (this.groups.has(id) || keys.keys.size === 0) return;
    const members = new Set(keys.qualifiedSeats.map((seat) => keys.group[seat - 1]!));
    const channel = this.options.provider.broadcastChannelFor(relayChannelName(keys.groupPublicKey));
    channel.setFilter((sender) => members.has(sender.operatorAddress));
    const router = new SessionRouter(channel, 'relay', RELAY_CODECS, {
      log: this.options.log,
      capacity: BUFFERED_SESSIONS * members.size,
      perSender: BUFFERED_SESSIONS,
    });
    const threshold = keys.keys.values().next().value!.threshold;
    this.groups.set(id, { keys, threshold, channel, router });
  }

  private requested(event: RelayEntryRequestedEvent): void {
    this.watchTimeout(event);
    const group = this.groups.get(bytesToHex(event.groupPublicKey));
    if (!group || this.attempts.has(event.requestId) || this.settled.has(event.requestId)) return;
    void this.generate(event, group).catch((err) => {
      if (this.stopped.signal.aborted) return;
      this.options.log.error(
        { requestId: event.requestId, err: (err as Error).message },
        'relay entry generation failed; the attempt is abandoned',
      );
      this.finish(event.requestId, 'failure', `generation failed: ${(err as Error).message}`);
    });
  }

  private async generate(request: RelayEntryRequestedEvent, group: LocalGroup): Promise<void> {
    const { chain, recorder, log } = this.options;
    const tamperShare = this.tamperShare;
    const beacon = chain.randomBeacon;
    const attempt = new Attempt(request, group, (sender, seats) => {
      this.rejectedShares += seats.length;
      log.warn(
        { requestId: request.requestId, sender, seats },
        'ignoring invalid relay entry signature shares',
      );
    });
    this.attempts.set(request.requestId, attempt);
    recorder.inc('performance_relay_entry_generation_total');
    const signal = attempt.controller.signal; // aborted when the attempt ends or the node stops
    const session = relaySession(request);
    const shares: { seat: number; share: string }[] = [];
    for (const [seat, key] of group.keys.keys) {
      const share = signShare(key.secretShare, attempt.message);
      attempt.addOwn(seat, share);
      shares.push({ seat, share: bytesToHex(tamperShare ? tamperShare(seat, share) : share) });
    }
    attempt.unrouted = group.router.handle(session, (message) => {
      if (!message.local) attempt.receive(message.sender.operatorAddress, message.payload);
    });
    await group.channel.send(signatureShareCodec, { session, shares }, { retransmit: { until: signal } });

    await Promise.race([attempt.combined, aborted(signal)]);
    if (signal.aborted || !attempt.entry) return;
    const entry = attempt.entry;
    const params = await beacon.beaconParameters();
    const position = this.submissionPosition(group.keys, entry);
    const readyBlock = await chain.blocks.currentBlock();
    const turn = readyBlock + position * params.relayEntrySubmissionStepBlocks;
    log.debug({ requestId: request.requestId, position, turn }, 'relay entry combined');
    await chain.blocks.waitForBlock(turn, signal).catch(() => undefined);
    if (signal.aborted) return;
    try {
      await beacon.submitRelayEntry(request.requestId, entry);
      log.info(
        { requestId: request.requestId, entry: bytesToHex(entry).slice(0, 16) },
        'submitted the relay entry',
      );
      // Accepted: nobody needs our shares any more, whether or not the event reaches us.
      this.settled.add(request.requestId);
      this.finish(request.requestId, 'success', 'relay entry submitted');
    } catch (err) {
      if (!(err instanceof ChainError)) throw err;
      log.debug({ reason: err.message }, 'relay entry not submitted');
    }
  }

  /**
   * Submission order derived from the entry: the first position is seat (entry mod N) + 1 of
   * the N seats; this node's position is that of its earliest seat after it.
   */
  private submissionPosition(keys: BeaconGroupKeys, entry: Uint8Array): number {
    const size = keys.group.length;
    const first = Number(bytesToNumberBE(entry) % BigInt(size)) + 1;
    return Math.min(...[...keys.keys.keys()].map((seat) => (seat - first + size) % size));
  }

  private submitted(event: RelayEntrySubmittedEvent): void {
    this.settled.add(event.requestId);
    this.finish(event.requestId, 'success', 'relay entry accepted');
  }

  private timedOut(event: RelayEntryTimedOutEvent): void {
    this.settled.add(event.requestId);
    this.finish(event.requestId, 'failure', 'relay entry timed out');
  }

  private finish(requestId: number, outcome: 'success' | 'failure', reason: string): void {
    const attempt = this.attempts.get(requestId);
    if (!attempt || attempt.finished) return;
    attempt.finished = true;
    this.attempts.delete(requestId);
    attempt.unrouted();
    attempt.controller.abort(new Error(reason));
    const { recorder, log } = this.options;
    recorder.inc(
      outcome === 'success'
        ? 'performance_relay_entry_success_total'
        : 'performance_relay_entry_failed_total',
    );
    recorder.observe('performance_relay_entry_duration_seconds', attempt.elapsed(), { outcome });
    log.info({ requestId, outcome, reason, seconds: attempt.elapsed() }, 'relay entry attempt ended');
  }

  /** Every node: once the request is past its timeout without an entry, report it. */
  private watchTimeout(event: RelayEntryRequestedEvent): void {
    if (this.watched.has(event.requestId) || this.settled.has(event.requestId)) return;
    this.watched.add(event.requestId);
    const { chain, recorder, log } = this.options;
    const beacon = chain.randomBeacon;
    void beacon.beaconParameters().then(
      (params) => {
        if (this.stopped.signal.aborted) return; // a listener added now would never fire
        const timeoutBlock = event.blockNumber + params.relayEntryTimeoutBlocks + 1;
        const stopWatching = chain.blocks.watchBlocks((height) => {
          if (this.settled.has(event.requestId)) {
            stop();
            return;
          }
          if (height < timeoutBlock) return;
          stop();
          // The request is past its timeout: this node's attempt ends whatever the chain says next.
          this.finish(event.requestId, 'failure', 'relay entry deadline passed');
          void beacon.reportRelayEntryTimeout(event.requestId).then(
            () => {
              recorder.inc('performance_relay_entry_timeout_reported_total');
              log.warn(
                { requestId: event.requestId, groupId: event.groupId },
                'reported the relay entry timeout',
              );
            },
            (err: Error) => log.debug({ reason: err.message }, 'relay entry timeout report not accepted'),
          );
        });
        const stop = () => {
          stopWatching();
          this.watched.delete(event.requestId);
          this.stopped.signal.removeEventListener('abort', stop);
        };
        this.stopped.signal.addEventListener('abort', stop, { once: true });
      },
      () => undefined,
    );
  }
}

/** The session of a request's share messages. */
export function relaySession(request: Pick<RelayEntryRequestedEvent, 'requestId' | 'previousEntry'>): string {
  return `${request.requestId}-${bytesToHex(request.previousEntry).slice(0, 32)}`;
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
