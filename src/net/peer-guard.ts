import type { Recorder } from '../clientinfo/recorder.js';
import type { Verdict } from './channel.js';
import { type Clock, monotonicClock, type Rate, TokenBucket } from './token-bucket.js';
import type { DropReason, PEER_BLOCK_REASONS } from './types.js';

export type BlockReason = (typeof PEER_BLOCK_REASONS)[number];

/**
 * Budgets of the guard. Honest traffic, for scale: an operator publishes one message per DKG
 * round or signing step for all its seats together, plus retransmissions (at most one per
 * block and message, fewer with backoff): a few messages per second, tens in a burst when
 * many wallets sign in one coordination window. A relaying peer forwards the first copy of
 * other operators' messages too, so its budget is larger than an operator's.
 */
export interface PeerGuardLimits {
  /** Messages a connected peer may hand us (own or relayed), checked before any signature work. */
  readonly peerMessages: Rate;
  /**
   * New messages one operator may sign, counted after their signature is checked, wherever
   * they came from. Retransmitted copies of verified bytes cost no signature work and are not counted.
   */
  readonly senderMessages: Rate;
  /** Invalid messages (bad signature, malformed, oversized) a peer may relay before it is blocked. */
  readonly invalidMessages: Rate;
  /** Own messages over `senderMessages` an operator may publish before its peer is blocked. */
  readonly ownExcess: Rate;
  /** How long a blocked peer stays disconnected and refused. */
  readonly blockMs: number;
  /** Peers and operators whose budgets are remembered; the oldest are forgotten past this. */
  readonly maxTracked: number;
}

/** The defaults, chosen and explained in docs/operations.md ("Misbehaving members"). */
export const DEFAULT_PEER_GUARD_LIMITS: PeerGuardLimits = {
  peerMessages: { burst: 1_000, perSecond: 200 },
  senderMessages: { burst: 200, perSecond: 20 },
  invalidMessages: { burst: 20, perSecond: 1 / 30 },
  ownExcess: { burst: 100, perSecond: 5 },
  blockMs: 10 * 60_000,
  maxTracked: 4_096,
};

/** Reasons no honest relay produces: honest nodes only forward messages they accepted. */
const INVALID: ReadonlySet<DropReason> = new Set<DropReason>(['malformed', 'oversized', 'bad_signature']);

/** What the transport does with the message: deliver and forward, drop silently, or drop as invalid. */
export type GuardVerdict = 'accept' | 'ignore' | 'reject';

interface PeerBudget {
  readonly messages: TokenBucket;
  readonly invalid: TokenBucket;
  readonly ownExcess: TokenBucket;
}

/**
 * Per-peer budgets in front of message validation, so that one member cannot spend this
 * node's CPU: a peer over its message budget has its messages dropped before any signature
 * work; a peer that keeps relaying invalid messages, or an operator that keeps publishing
 * over its budget, is blocked (disconnected and refused) for a while. Counts every drop and
 * block; never throws.
 */
export class PeerGuard {
  private readonly peers = new Map<string, PeerBudget>();
  private readonly senders = new Map<string, TokenBucket>();
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly limits: PeerGuardLimits,
    private readonly deps: {
      readonly recorder: Recorder;
      /** Called once per block, e.g. to hang up on the peer. */
      readonly onBlock: (peer: string, reason: BlockReason) => void;
      readonly clock?: Clock;
    },
  ) {}

  isBlocked(peer: string): boolean {
    const until = this.blockedUntil.get(peer);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.blockedUntil.delete(peer);
    return false;
  }

  /**
   * Decides on one message `peer` handed us. `peerOperator` is the operator behind the peer
   * id; `validate` is the channel's check (layout, type, membership, signature), run only
   * within the peer's budget.
   */
  check(peer: string, peerOperator: string | undefined, validate: () => Verdict): GuardVerdict {
    if (this.isBlocked(peer)) return this.drop('peer_blocked', 'reject');
    const budget = this.budgetOf(peer);
    if (!budget.messages.take()) return this.drop('over_peer_budget', 'ignore');
    const verdict = validate();
    if (!verdict.accept) {
      if (INVALID.has(verdict.reason) && !budget.invalid.take()) this.block(peer, 'invalid_messages');
      return 'reject';
    }
    const sender = verdict.sender.operatorAddress;
    if (!verdict.signatureChecked || this.senderBucket(sender).take()) return 'accept';
    // An operator's own flood blocks its peer; a relay of someone else's is only not forwarded.
    if (sender === peerOperator && !budget.ownExcess.take()) this.block(peer, 'message_rate');
    return this.drop('over_sender_budget', 'ignore');
  }

  private block(peer: string, reason: BlockReason): void {
    this.blockedUntil.set(peer, this.now() + this.limits.blockMs);
    this.peers.delete(peer);
    this.deps.recorder.inc('performance_peers_blocked_total', { reason });
    try {
      this.deps.onBlock(peer, reason);
    } catch {
      // the block stands even if the hang-up could not be started
    }
  }

  private drop(reason: DropReason, verdict: GuardVerdict): GuardVerdict {
    this.deps.recorder.inc('performance_message_dropped_total', { reason });
    return verdict;
  }

  private budgetOf(peer: string): PeerBudget {
    let budget = this.peers.get(peer);
    if (!budget) {
      const clock = this.deps.clock ?? monotonicClock;
      budget = {
        messages: new TokenBucket(this.limits.peerMessages, clock),
        invalid: new TokenBucket(this.limits.invalidMessages, clock),
        ownExcess: new TokenBucket(this.limits.ownExcess, clock),
      };
      remember(this.peers, peer, budget, this.limits.maxTracked);
    }
    return budget;
  }

  private senderBucket(sender: string): TokenBucket {
    let bucket = this.senders.get(sender);
    if (!bucket) {
      bucket = new TokenBucket(this.limits.senderMessages, this.deps.clock ?? monotonicClock);
      remember(this.senders, sender, bucket, this.limits.maxTracked);
    }
    return bucket;
  }

  private now(): number {
    return (this.deps.clock ?? monotonicClock)();
  }
}

/** Adds an entry, forgetting the oldest one past `capacity` (a Map iterates in insertion order). */
function remember<V>(map: Map<string, V>, key: string, value: V, capacity: number): void {
  map.set(key, value);
  if (map.size > capacity) map.delete(map.keys().next().value as string);
}
