import type { FrostPublic, Key, NonceCommitments } from '@noble/curves/abstract/frost.js';
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import type { Address, BlockCounter } from '../../chain/types.js';
import { type Recorder, stopwatch } from '../../clientinfo/recorder.js';
import { identifierOf, type Seat, xOnly } from '../../crypto/frost-dkg.js';
import { FrostSigningSession, validCommitment } from '../../crypto/frost-signing.js';
import type { Logger } from '../../log.js';
import type { BroadcastChannel, Message, MessageCodec, Sender } from '../../net/types.js';
import type { WalletKeys } from '../dkg/dkg-executor.js';
import { SessionRouter } from '../../net/session-router.js';
import type { SigningLiveness } from './signing-liveness.js';
import { abortCodec, doneCodec, readyCodec, SIGNING_CODECS, sessionCodec, shareCodec } from './messages.js';
import { fromWire, SigningEvidence, sessionDigest, type WireCommitment } from './signing-evidence.js';

export class SigningBusyError extends Error {
  override name = 'SigningBusyError';
}
export class SigningTimeoutError extends Error {
  override name = 'SigningTimeoutError';
}
export class SigningFailedError extends Error {
  override name = 'SigningFailedError';
}

export interface SigningExecutorOptions {
  readonly wallet: WalletKeys;
  /** The wallet's channel; the executor registers its message types on it. */
  readonly channel: BroadcastChannel;
  readonly blocks: BlockCounter;
  readonly recorder: Recorder;
  readonly log: Logger;
  /** The whole operation must end within this many blocks of its start block. */
  readonly timeoutBlocks: number;
  /** Each coordinator gets this many blocks before the next one takes over. */
  readonly coordinatorTurnBlocks: number;
  /** Where sessions this node coordinated are recorded (the rolling liveness gauges). */
  readonly liveness?: SigningLiveness;
  /** Fault injection for tests: rewrites this node's signature shares. */
  readonly tamperShare?: (seat: Seat, share: Uint8Array) => Uint8Array;
}

interface CoordinatorSession {
  readonly commitments: NonceCommitments[];
  readonly digest: string;
  readonly frost: FrostSigningSession;
  readonly shares: Map<Seat, Uint8Array>;
  /** A share failed verification: the session cannot complete. */
  failed: boolean;
}

/** What the node coordinating one epoch keeps (ROAST: fresh commitments, known-bad signers). */
interface Coordination {
  readonly epoch: number;
  readonly ready: Map<Seat, NonceCommitments>;
  readonly sessions: Map<number, CoordinatorSession>;
  nextSid: number;
}

const toWire = (c: NonceCommitments, seat: Seat): WireCommitment => ({
  seat,
  hiding: bytesToHex(c.hiding),
  binding: bytesToHex(c.binding),
});

/**
 * Threshold signing for one wallet, robust in the way of ROAST: a coordinator collects fresh
 * nonce commitments, starts a session with the first `threshold` responsive signers, verifies
 * every share, never includes a signer again after a bad share, and starts new sessions as
 * signers respond with fresh commitments. Coordinators take turns (an order derived from the
 * message), so an offline coordinator only costs one turn. One operation at a time.
 *
 * No coordinator is trusted beyond its turn: its abort ends only its own epoch unless this
 * member's own copies of the shares it names prove them bad, and the activity this member
 * reports (which feeds inactivity claims) is what it saw itself, never a coordinator's report.
 */
export class SigningExecutor {
  private busy = false;
  private readonly router: SessionRouter;
  private readonly pub: FrostPublic;
  private readonly threshold: number;
  private readonly localSeats: Seat[];

  constructor(private readonly options: SigningExecutorOptions) {
    const first = [...options.wallet.keys.values()][0];
    if (!first) throw new Error('a signing executor needs at least one local seat');
    this.pub = first.public;
    this.threshold = first.public.signers.min;
    this.localSeats = [...options.wallet.keys.keys()].sort((a, b) => a - b);
    for (const codec of SIGNING_CODECS) options.channel.registerCodec(codec as MessageCodec<unknown>);
    this.router = new SessionRouter(
      options.channel,
      'signing',
      SIGNING_CODECS.map((codec) => codec.type),
      options.log,
    );
  }

  /** Signs sequentially; message i starts at the block where message i−1 ended. */
  async signBatch(messages: Uint8Array[], startBlock: number): Promise<Uint8Array[]> {
    const signatures: Uint8Array[] = [];
    let start = startBlock;
    for (const message of messages) {
      signatures.push(await this.sign(message, start));
      start = await this.options.blocks.currentBlock();
    }
    return signatures;
  }

  async sign(message: Uint8Array, startBlock: number): Promise<Uint8Array> {
    return (await this.signWithActivity(message, startBlock)).signature;
  }

  /** `sign`, also telling which seats announced themselves ready (the activity report). */
  async signWithActivity(
    message: Uint8Array,
    startBlock: number,
  ): Promise<{ signature: Uint8Array; activeSeats: Seat[] }> {
    if (this.busy) throw new SigningBusyError('the wallet is already signing');
    this.busy = true;
    const { recorder } = this.options;
    recorder.inc('performance_signing_operations_total');
    const elapsed = stopwatch();
    try {
      const { signature, sessions, activeSeats } = await this.run(message, startBlock);
      recorder.inc('performance_signing_success_total');
      recorder.observe('performance_signing_duration_seconds', elapsed(), { outcome: 'success' });
      recorder.observe('performance_signing_attempts_per_operation', sessions);
      return { signature, activeSeats };
    } catch (err) {
      recorder.inc('performance_signing_failed_total');
      if (err instanceof SigningTimeoutError) recorder.inc('performance_signing_timeouts_total');
      recorder.observe('performance_signing_duration_seconds', elapsed(), { outcome: 'failure' });
      throw err;
    } finally {
      this.busy = false;
    }
  }

  private run(
    message: Uint8Array,
    startBlock: number,
  ): Promise<{ signature: Uint8Array; sessions: number; activeSeats: Seat[] }> {
    const { wallet, channel, blocks, log, timeoutBlocks, coordinatorTurnBlocks } = this.options;
    const session = signingSessionId(wallet.groupPublicKey, message, startBlock);
    const ownerOf = (seat: Seat): Address | undefined => wallet.group[seat - 1];
    const qualified = [...wallet.qualifiedSeats];
    const order = coordinatorOrder(session, qualified);
    const coordinatorOf = (epoch: number) => order[epoch % order.length]!;
    const deadline = startBlock + timeoutBlocks;
    const stop = new AbortController();
    // The signature keeps being retransmitted until the deadline, so that a member that
    // started late still learns it (keep-core keeps its done messages alive the same way).
    const untilDeadline = new AbortController();
    void blocks
      .waitForBlock(deadline)
      .catch(() => undefined)
      .finally(() => untilDeadline.abort());
    const send = <T>(codec: MessageCodec<T>, payload: T, until = stop.signal) => {
      channel
        .send(codec, payload, { retransmit: { until, strategy: 'backoff' } })
        .catch((err) => log.warn({ err: (err as Error).message }, 'send failed'));
    };

    let epoch = -1;
    const pending = new Map<Seat, ReturnType<typeof schnorr_FROST.commit>>(); // local seat → unused nonce
    const malicious = new Set<Seat>();
    let coordination: Coordination | undefined;
    let finished = false;
    /** What this member saw itself: active seats, sessions and shares (evidence against bad signers). */
    const evidence = new SigningEvidence(this.pub, message, 4 * qualified.length);
    /** Epochs whose coordinator aborted: this member signs nothing more in them. */
    const abortedEpochs = new Set<number>();
    let abortSent = false;
    let fail: (error: Error) => void = () => {};

    const fresh = (seats: Seat[]): WireCommitment[] =>
      seats.map((seat) => {
        const nonce = schnorr_FROST.commit(this.key(seat).secret);
        pending.set(seat, nonce);
        return toWire(nonce.commitments, seat);
      });

    const enterEpoch = (next: number) => {
      epoch = next;
      pending.clear();
      const mine = this.localSeats.includes(coordinatorOf(epoch));
      coordination = mine ? { epoch, ready: new Map(), sessions: new Map(), nextSid: 1 } : undefined;
      send(readyCodec, { session, epoch, commitments: fresh(this.localSeats) });
    };

    const ownsSeat = (sender: Sender, seat: Seat) =>
      ownerOf(seat) === sender.operatorAddress && qualified.includes(seat);

    /** Fresh commitments a member offers for the coordinator's next sessions. */
    const offer = (c: Coordination, sender: Sender, commitments: readonly WireCommitment[]) => {
      for (const commitment of commitments) {
        if (!ownsSeat(sender, commitment.seat) || malicious.has(commitment.seat)) continue;
        const parsed = fromWire(commitment);
        if (validCommitment(parsed)) c.ready.set(commitment.seat, parsed);
      }
    };

    /**
     * Ends the operation once this member itself knows too few seats without a bad share remain;
     * as the epoch's coordinator it also tells the others which seats it found bad.
     */
    const enoughLeft = (): boolean => {
      const honestLeft = qualified.filter((seat) => !malicious.has(seat)).length;
      if (honestLeft >= this.threshold) return true;
      const reason = `only ${honestLeft} signers without a bad share remain`;
      if (coordination && !abortSent) {
        abortSent = true;
        const bad = [...malicious].sort((a, b) => a - b);
        send(abortCodec, { session, epoch: coordination.epoch, reason, bad }, untilDeadline.signal);
      }
      fail(new SigningFailedError(reason));
      return false;
    };

    const startSessions = () => {
      const c = coordination;
      if (!c || !enoughLeft()) return;
      while (c.ready.size >= this.threshold) {
        const signers = [...c.ready.keys()].sort((a, b) => a - b).slice(0, this.threshold);
        const commitments = signers.map((seat) => c.ready.get(seat)!);
        for (const seat of signers) c.ready.delete(seat);
        const sid = c.nextSid++;
        const frost = new FrostSigningSession(this.pub, commitments, message);
        const wire = commitments.map((commitment, i) => toWire(commitment, signers[i]!));
        c.sessions.set(sid, {
          commitments,
          digest: sessionDigest(wire),
          frost,
          shares: new Map(),
          failed: false,
        });
        send(sessionCodec, { session, epoch: c.epoch, sid, commitments: wire });
      }
    };

    return new Promise((resolve, reject) => {
      fail = (error) => finish(error);
      const finish = (
        error: Error | undefined,
        result?: { signature: Uint8Array; sessions: number; activeSeats: Seat[] },
      ) => {
        if (finished) return;
        finished = true;
        // Every session this node coordinated: the one that signed succeeded, the rest did not.
        for (const [sid, started] of coordination?.sessions ?? []) {
          this.options.liveness?.record(started.shares.size === this.threshold && sid === result?.sessions);
        }
        unrouted();
        stopBlocks();
        // Keep retransmitting our last messages for a few blocks so late members finish too.
        void blocks
          .waitForBlock(Math.min(deadline, epochStart(epoch + 1)))
          .catch(() => undefined)
          .finally(() => stop.abort());
        if (error) reject(error);
        else resolve(result!);
      };
      const epochStart = (e: number) => startBlock + e * coordinatorTurnBlocks;

      const onMessage = (m: Message) => {
        const payload = m.payload as { session?: string };
        if (payload.session !== session || finished) return;
        switch (m.type) {
          case readyCodec.type: {
            const ready = m.payload as { epoch: number; commitments: WireCommitment[] };
            if (ready.epoch <= epoch + 1) {
              for (const commitment of ready.commitments)
                if (ownsSeat(m.sender, commitment.seat) && validCommitment(fromWire(commitment)))
                  evidence.sawActive(commitment.seat);
            }
            const c = coordination;
            if (!c || ready.epoch !== c.epoch) return;
            offer(c, m.sender, ready.commitments);
            startSessions();
            return;
          }
          case sessionCodec.type: {
            const started = m.payload as { epoch: number; sid: number; commitments: WireCommitment[] };
            if (started.epoch !== epoch || ownerOf(coordinatorOf(epoch)) !== m.sender.operatorAddress) return;
            if (started.commitments.length !== this.threshold) return;
            evidence.sawSession(started.commitments);
            confirmClaims();
            if (abortedEpochs.has(started.epoch)) return; // its coordinator ended this epoch
            const mine = started.commitments.filter((commitment) => {
              const nonce = pending.get(commitment.seat);
              return (
                nonce !== undefined && sameCommitment(toWire(nonce.commitments, commitment.seat), commitment)
              );
            });
            if (mine.length === 0) return;
            // The coordinator built this session's public work when it started it.
            let frost = m.local ? coordination?.sessions.get(started.sid)?.frost : undefined;
            try {
              frost ??= new FrostSigningSession(this.pub, started.commitments.map(fromWire), message);
            } catch (err) {
              log.warn({ err: (err as Error).message }, 'malformed signing session dropped');
              return;
            }
            const shares: { seat: Seat; share: string }[] = [];
            const signed: Seat[] = [];
            for (const commitment of mine) {
              const nonce = pending.get(commitment.seat)!;
              pending.delete(commitment.seat); // a nonce is used once
              const computed = frost.signShare(this.key(commitment.seat).secret, nonce.nonces);
              const share = this.options.tamperShare
                ? this.options.tamperShare(commitment.seat, computed)
                : computed;
              shares.push({ seat: commitment.seat, share: bytesToHex(share) });
              signed.push(commitment.seat);
            }
            if (shares.length > 0)
              send(shareCodec, {
                session,
                epoch,
                sid: started.sid,
                digest: sessionDigest(started.commitments),
                shares,
                next: fresh(signed),
              });
            return;
          }
          case shareCodec.type: {
            const answer = m.payload as {
              epoch: number;
              sid: number;
              digest: string;
              shares: { seat: number; share: string }[];
              next: WireCommitment[];
            };
            for (const { seat, share } of answer.shares)
              if (ownsSeat(m.sender, seat)) evidence.sawShare(answer.digest, seat, hexToBytes(share));
            confirmClaims();
            if (finished) return;
            const c = coordination;
            const started = c?.sessions.get(answer.sid);
            if (!c || !started || answer.epoch !== c.epoch) return;
            if (started.failed || answer.digest !== started.digest) {
              offer(c, m.sender, answer.next);
              return;
            }
            for (const { seat, share } of answer.shares) {
              if (
                ownsSeat(m.sender, seat) &&
                started.commitments.some((x) => x.identifier === identifierOf(seat))
              ) {
                started.shares.set(seat, hexToBytes(share));
              }
            }
            const result =
              started.shares.size === this.threshold
                ? started.frost.aggregate(
                    new Map([...started.shares].map(([seat, share]) => [identifierOf(seat), share])),
                  )
                : undefined;
            if (result && 'signature' in result) {
              // Sessions used = the number of the session that completed (ROAST may run others).
              send(
                doneCodec,
                {
                  session,
                  epoch: c.epoch,
                  signature: bytesToHex(result.signature),
                  sessions: answer.sid,
                  active: evidence.activeSeats(),
                },
                untilDeadline.signal,
              );
              return;
            }
            if (result) {
              for (const seat of started.shares.keys()) {
                if (!result.bad.includes(identifierOf(seat))) continue;
                malicious.add(seat);
                c.ready.delete(seat);
                log.warn({ seat, operator: ownerOf(seat) }, 'bad signature share; the signer is excluded');
              }
              started.shares.clear();
              started.failed = true;
              if (!enoughLeft()) return;
            }
            offer(c, m.sender, answer.next);
            // While a session is still collecting shares, further sessions wait for the next
            // block: in the common case the running one completes first and no work is wasted.
            if (![...c.sessions.values()].some((x) => !x.failed)) startSessions();
            return;
          }
          case doneCodec.type: {
            const done = m.payload as {
              session: string;
              epoch: number;
              signature: string;
              sessions: number;
              active: number[];
            };
            const signature = hexToBytes(done.signature);
            if (!schnorr.verify(signature, message, xOnly(wallet.groupPublicKey))) return;
            if (!m.local) send(doneCodec, done, untilDeadline.signal);
            // The signature verifies, whoever sent it; the activity is this member's own view
            // (a coordinator's report could name honest seats inactive and get them claimed).
            const fromCoordinator = ownerOf(coordinatorOf(done.epoch)) === m.sender.operatorAddress;
            const activeSeats = evidence.activeSeats().filter((seat) => qualified.includes(seat));
            finish(undefined, {
              signature,
              sessions: fromCoordinator ? done.sessions : Math.min(done.sessions, qualified.length),
              activeSeats,
            });
            return;
          }
          case abortCodec.type: {
            const abort = m.payload as { epoch: number; reason: string; bad: number[] };
            if (abort.epoch > epoch || ownerOf(coordinatorOf(abort.epoch)) !== m.sender.operatorAddress)
              return;
            if (!abortedEpochs.has(abort.epoch)) {
              abortedEpochs.add(abort.epoch);
              log.info(
                { epoch: abort.epoch, reason: abort.reason, operator: m.sender.operatorAddress },
                'the signing coordinator ended its epoch',
              );
            }
            evidence.claim(abort.bad.filter((seat) => qualified.includes(seat)));
            confirmClaims();
            return;
          }
        }
      };

      /** Seats a coordinator named bad that this member's own copies of their shares now prove bad. */
      const confirmClaims = () => {
        for (const seat of evidence.confirm()) {
          malicious.add(seat);
          coordination?.ready.delete(seat);
          log.warn(
            { seat, operator: ownerOf(seat) },
            'bad signature share confirmed; the signer is excluded',
          );
        }
        enoughLeft();
      };

      let unrouted = () => {};
      const stopBlocks = blocks.watchBlocks((height) => {
        if (height >= deadline) {
          finish(new SigningTimeoutError(`signing deadline (block ${deadline}) passed without a signature`));
          return;
        }
        const current = Math.max(0, Math.floor((height - startBlock) / coordinatorTurnBlocks));
        if (current > epoch) enterEpoch(current);
        else startSessions();
      });
      // Messages of other members that started first wait in the router until this member is
      // in its epoch; then they are replayed.
      void blocks
        .currentBlock()
        .catch(() => startBlock)
        .then((height) => {
          if (finished) return;
          if (epoch < 0) enterEpoch(Math.max(0, Math.floor((height - startBlock) / coordinatorTurnBlocks)));
          unrouted = this.router.handle(session, onMessage);
        })
        .catch((err: Error) => finish(new SigningFailedError(`signing could not start: ${err.message}`)));
    });
  }

  /** Stops routing the wallet channel's signing messages to this executor. */
  close(): void {
    this.router.close();
  }

  private key(seat: Seat): Key {
    return this.options.wallet.keys.get(seat)!;
  }
}

/** The id of one signing operation: the wallet, the message and the block it started at. */
export function signingSessionId(
  groupPublicKey: Uint8Array,
  message: Uint8Array,
  startBlock: number,
): string {
  return bytesToHex(sha256(concatBytes(groupPublicKey, message, u64(startBlock))));
}

/** The seats in the order they coordinate the operation's epochs (epoch e: order[e mod n]). */
export function coordinatorOrder(session: string, qualified: readonly Seat[]): Seat[] {
  const keyOf = (seat: Seat) => bytesToHex(sha256(concatBytes(hexToBytes(session), u64(seat))));
  return [...qualified].sort((a, b) => {
    const ka = keyOf(a);
    const kb = keyOf(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

const sameCommitment = (a: WireCommitment, b: WireCommitment) =>
  a.seat === b.seat && a.hiding === b.hiding && a.binding === b.binding;

function u64(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value));
  return bytes;
}
