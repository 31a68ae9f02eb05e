import type { Key } from '@noble/curves/abstract/frost.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Address, BlockCounter } from '../chain/types.js';
import type { DealerPackage, DkgScheme, ReceivedShare, Seat } from '../crypto/dkg-scheme.js';
import { FROST_DKG_SCHEME } from '../crypto/frost-dkg.js';
import type { OperatorKey } from '../crypto/operator-key.js';
import {
  type EphemeralKey,
  generateEphemeralKey,
  open,
  pairKey,
  publicKeyOf,
  seal,
  validPrivateKey,
} from '../crypto/pairwise-box.js';
import type { BroadcastChannel } from '../net/types.js';
import { announcedKeys } from './announcement.js';
import type { ExclusionReason } from './exclusions.js';
import type { Inbox } from './inbox.js';
import { announcementCodec, complaintsCodec, round1Codec, round2Codec } from './messages.js';

/** Off-chain phase lengths in blocks; a phase ends early once every expected message is in. */
export interface DkgTiming {
  readonly announcementBlocks: number;
  readonly round1Blocks: number;
  readonly round2Blocks: number;
  readonly complaintBlocks: number;
  readonly resultSigningBlocks: number;
}

export interface DkgProtocolContext {
  readonly session: string;
  /** Operator of every seat; seat i is group[i - 1]. */
  readonly group: readonly Address[];
  readonly me: OperatorKey;
  readonly threshold: number;
  readonly quorum: number;
  readonly channel: BroadcastChannel;
  readonly inbox: Inbox;
  readonly blocks: BlockCounter;
  readonly startBlock: number;
  readonly timing: DkgTiming;
  /** Aborted when the DKG is over for this node (result accepted elsewhere, timeout, stop). */
  readonly signal: AbortSignal;
  /** Fault injection for tests: rewrites the shares sealed for an operator. */
  readonly tamperShares?: (recipient: Address, shares: Uint8Array) => Uint8Array;
}

export interface DkgOutcome<K = Key> {
  /** The scheme's group key (wallet: 33-byte compressed, its x coordinate is the BIP-340 key). */
  readonly groupPublicKey: Uint8Array;
  readonly qualifiedSeats: Seat[];
  readonly misbehavedSeats: Seat[];
  /** The operators whose seats are qualified. */
  readonly qualifiedOperators: Set<Address>;
  /** Operators that sent two different messages of one type (their seats are misbehaved). */
  readonly equivocators: readonly Address[];
  /** Why each operator outside the qualified set lost its seats (the first fault seen). */
  readonly exclusions: ReadonlyMap<Address, ExclusionReason>;
  readonly keys: Map<Seat, K>;
  /** Milliseconds spent in each step, for the operator's log. */
  readonly timings: Record<string, number>;
}

/**
 * Blocks waited after the complaint phase before equivocators are named. Gossip delivers in
 * well under a block; the wait covers copies relayed while the last complaint arrived (and, in
 * one process running many members, event-loop turns, since a block ticks at most once a turn).
 */
export const EQUIVOCATION_GRACE_BLOCKS = 3;

export class DkgFailedError extends Error {
  override name = 'DkgFailedError';
}

/** Seats of each operator, ascending. */
function seatsByOperator(group: readonly Address[]): Map<Address, Seat[]> {
  const seats = new Map<Address, Seat[]>();
  group.forEach((operator, i) => {
    seats.set(operator, [...(seats.get(operator) ?? []), i + 1]);
  });
  return seats;
}

/**
 * One node's run of the wallet DKG, for all of its seats at once: announcement with
 * per-pair ephemeral keys, round 1 (commitments and proofs), round 2 (shares sealed per
 * operator pair), complaints, then the key packages. Operators that stay silent or misbehave
 * lose all their seats; the run fails when fewer than `quorum` seats remain.
 */
export function runDkgProtocol(ctx: DkgProtocolContext): Promise<DkgOutcome> {
  return runDkgRounds(ctx, FROST_DKG_SCHEME);
}

/**
 * The phase machinery of `runDkgProtocol` for any scheme: the wallet DKG runs it with FROST on
 * secp256k1, the beacon DKG with threshold BLS on BLS12-381.
 */
export async function runDkgRounds<K>(ctx: DkgProtocolContext, scheme: DkgScheme<K>): Promise<DkgOutcome<K>> {
  const { session, me, channel, inbox, blocks, signal, timing, threshold } = ctx;
  const SHARE_BYTES = scheme.shareBytes;
  const seatsOf = seatsByOperator(ctx.group);
  const mySeats = seatsOf.get(me.address) ?? [];
  if (mySeats.length === 0) throw new DkgFailedError('this operator has no seat in the group');
  const everyone = new Set(seatsOf.keys());
  const others = [...everyone].filter((operator) => operator !== me.address);
  const seatCount = (operators: Iterable<Address>) =>
    [...operators].reduce((n, op) => n + (seatsOf.get(op)?.length ?? 0), 0);
  const requireQuorum = (operators: Set<Address>, phase: string) => {
    if (seatCount(operators) < ctx.quorum) {
      throw new DkgFailedError(`${phase}: ${seatCount(operators)} seats remain, quorum is ${ctx.quorum}`);
    }
  };
  const retransmit = { until: signal, strategy: 'backoff' as const };
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - mark);
    mark = now;
  };
  let deadline = ctx.startBlock;
  const exclusions = new Map<Address, ExclusionReason>();
  const blame = (operator: Address, reason: ExclusionReason) => {
    if (!exclusions.has(operator)) exclusions.set(operator, reason);
  };
  const context = (from: Address, to: Address) =>
    concatBytes(utf8ToBytes(session), hexToBytes(from.slice(2)), hexToBytes(to.slice(2)));

  // Announcement: who is here, with an ephemeral key for each pair.
  const ephemeral = new Map<Address, EphemeralKey>(
    others.map((operator) => [operator, generateEphemeralKey()]),
  );
  await channel.send(
    announcementCodec,
    {
      session,
      seats: mySeats,
      ephemeralKeys: Object.fromEntries([...ephemeral].map(([op, key]) => [op, bytesToHex(key.publicKey)])),
    },
    { retransmit },
  );
  deadline += timing.announcementBlocks;
  const announcements = await inbox.collect(announcementCodec, everyone, deadline, blocks, signal);
  step('announcement');
  /** Every ready operator's announced keys (recipient → key), each a valid point. */
  const announcedBy = new Map<Address, Map<Address, Uint8Array>>();
  const ready = new Set<Address>();
  for (const operator of everyone) if (!announcements.has(operator)) blame(operator, 'no_announcement');
  for (const [operator, announcement] of announcements) {
    const recipients = [...everyone].filter((other) => other !== operator);
    const keys = announcedKeys(announcement, seatsOf.get(operator) ?? [], recipients);
    if (!keys) {
      blame(operator as Address, 'invalid_announcement');
      continue;
    }
    announcedBy.set(operator, keys);
    ready.add(operator);
  }
  if (!ready.has(me.address)) throw new DkgFailedError('this operator’s own announcement is not in');
  requireQuorum(ready, 'announcement');
  const readySeats = [...ready].flatMap((op) => seatsOf.get(op)!).sort((a, b) => a - b);
  /** The pair key with a ready operator, from its validated announced key for me. */
  const myPairKey = (operator: Address): Uint8Array | undefined =>
    safePairKey(ephemeral.get(operator)!.privateKey, announcedBy.get(operator)?.get(me.address));

  // Round 1: commitments and proofs of knowledge, checked once for the whole node.
  const dealt = scheme.deal(mySeats, threshold, readySeats.length, utf8ToBytes(session));
  const myPackages = dealt.packages;
  step('deal');
  await channel.send(
    round1Codec,
    {
      session,
      packages: myPackages.map((p) => ({
        seat: p.seat,
        commitment: p.commitment.map(bytesToHex),
        proofOfKnowledge: bytesToHex(p.proofOfKnowledge),
      })),
    },
    { retransmit },
  );
  deadline += timing.round1Blocks;
  const round1 = await inbox.collect(round1Codec, ready, deadline, blocks, signal);
  step('round1Wait');
  const qualified = new Set<Address>();
  const offered: DealerPackage[] = [];
  for (const operator of ready) if (!round1.has(operator)) blame(operator, 'no_round1');
  for (const [operator, message] of round1) {
    const seats = message.packages.map((p) => p.seat);
    if (JSON.stringify(seats) !== JSON.stringify(seatsOf.get(operator))) {
      blame(operator as Address, 'invalid_round1');
      continue;
    }
    qualified.add(operator);
    for (const p of message.packages) {
      offered.push({
        seat: p.seat,
        commitment: p.commitment.map(hexToBytes),
        proofOfKnowledge: hexToBytes(p.proofOfKnowledge),
      });
    }
  }
  // Every point and scalar of round 1 is parsed here; a dealer whose package does not parse or
  // whose proof fails loses all its operator's seats, and only valid packages go further.
  for (const seat of guarded(
    () => scheme.invalidDealers(offered, threshold, utf8ToBytes(session)),
    () => offered.map((p) => p.seat),
  )) {
    qualified.delete(ctx.group[seat - 1]!);
    blame(ctx.group[seat - 1]!, 'invalid_round1');
  }
  const packages = offered.filter((p) => qualified.has(ctx.group[p.seat - 1]!));
  step('proofs');
  requireQuorum(qualified, 'round 1');
  if (!qualified.has(me.address)) throw new DkgFailedError('this operator’s own round 1 package is not in');
  const recipients = [...qualified].flatMap((op) => seatsOf.get(op)!).sort((a, b) => a - b);

  // Round 2: every share of my seats, sealed per recipient operator.
  const myShares = new Map<Seat, Map<Seat, Uint8Array>>();
  for (const seat of mySeats) myShares.set(seat, dealt.sharesFor(seat, recipients));
  const boxes: Record<string, { nonce: string; ciphertext: string }> = {};
  for (const operator of qualified) {
    if (operator === me.address) continue;
    const key = myPairKey(operator);
    if (!key) continue; // cannot happen for a validated key; the recipient would complain
    const shares = concatBytes(
      ...mySeats.flatMap((dealer) =>
        seatsOf.get(operator)!.map((recipient) => myShares.get(dealer)!.get(recipient)!),
      ),
    );
    const plaintext = ctx.tamperShares ? ctx.tamperShares(operator, shares) : shares;
    const box = seal(key, context(me.address, operator), plaintext);
    boxes[operator] = { nonce: bytesToHex(box.nonce), ciphertext: bytesToHex(box.ciphertext) };
  }
  await channel.send(round2Codec, { session, boxes }, { retransmit });
  deadline += timing.round2Blocks;
  step('shares');
  const round2 = await inbox.collect(round2Codec, qualified, deadline, blocks, signal);
  step('round2Wait');
  for (const operator of [...qualified]) {
    if (round2.has(operator)) continue;
    qualified.delete(operator);
    blame(operator, 'no_round2');
  }

  /** The shares operator `from` sealed for operator `to`, or undefined when the box is bad. */
  const unseal = (from: Address, to: Address, key: Uint8Array): ReceivedShare[] | undefined => {
    const box = round2.get(from)?.boxes[to];
    if (!box) return undefined;
    try {
      const plaintext = open(key, context(from, to), {
        nonce: hexToBytes(box.nonce),
        ciphertext: hexToBytes(box.ciphertext),
      });
      const dealers = seatsOf.get(from)!;
      const targets = seatsOf.get(to)!;
      if (plaintext.length !== dealers.length * targets.length * SHARE_BYTES) return undefined;
      return dealers.flatMap((dealer, d) =>
        targets.map((recipient, r) => {
          const offset = (d * targets.length + r) * SHARE_BYTES;
          return { dealer, recipient, share: plaintext.subarray(offset, offset + SHARE_BYTES) };
        }),
      );
    } catch {
      return undefined;
    }
  };
  /** Dealers (of `shares`) with a share that fails against its commitments; all on a fault. */
  const failingDealers = (shares: readonly ReceivedShare[]): Seat[] =>
    guarded(
      () => scheme.dealersWithInvalidShares(shares, packages),
      () => [...new Set(shares.map((s) => s.dealer))],
    );

  const received: ReceivedShare[] = [];
  for (const dealer of mySeats) {
    for (const recipient of mySeats)
      received.push({ dealer, recipient, share: myShares.get(dealer)!.get(recipient)! });
  }
  const accused = new Set<Address>();
  for (const operator of qualified) {
    if (operator === me.address) continue;
    const key = myPairKey(operator);
    const shares = key ? unseal(operator, me.address, key) : undefined;
    if (shares) received.push(...shares);
    else accused.add(operator);
  }
  for (const seat of failingDealers(received)) accused.add(ctx.group[seat - 1]!);
  accused.delete(me.address);
  step('shareChecks');

  // Complaints: reveal the pair key of each accused operator so everyone can judge.
  await channel.send(
    complaintsCodec,
    {
      session,
      complaints: [...accused].map((op) => ({
        accused: op,
        revealedKey: bytesToHex(ephemeral.get(op)!.privateKey),
      })),
    },
    { retransmit },
  );
  deadline += timing.complaintBlocks;
  const complaints = await inbox.collect(complaintsCodec, qualified, deadline, blocks, signal);
  // Gossip relays every valid message to every subscriber: a few more blocks let a conflicting
  // copy that is still in flight reach this node before it names the equivocators.
  await blocks.waitForBlock((await blocks.currentBlock()) + EQUIVOCATION_GRACE_BLOCKS, signal);
  step('complaintsWait');

  // Equivocators (two different messages of one type) lose all their seats; their complaints,
  // and complaints against them, are not judged (honest nodes may have seen either version).
  const equivocators = inbox.equivocators();
  for (const operator of equivocators) {
    qualified.delete(operator as Address);
    blame(operator as Address, 'equivocation');
  }
  if (!qualified.has(me.address)) throw new DkgFailedError('this operator was excluded from the group');
  const excluded = new Set<Address>();
  for (const [accuser, message] of complaints) {
    if (!qualified.has(accuser)) continue;
    const judged = new Set<Address>();
    for (const { accused: target, revealedKey } of message.complaints) {
      if (target === accuser || !qualified.has(target) || judged.has(target)) continue;
      judged.add(target);
      const upheld = judge(accuser, target, revealedKey);
      excluded.add(upheld ? target : accuser);
      blame(upheld ? target : accuser, upheld ? 'complaint_upheld' : 'false_complaint');
    }
  }
  /** true: the accused misbehaved; false: the complaint is false and the accuser is out. */
  function judge(accuser: Address, target: Address, revealedHex: string): boolean {
    // The accuser's own announced key for the pair, and the revealed private key behind it:
    // anything missing or not matching is the accuser's fault.
    const accuserKey = announcedBy.get(accuser)?.get(target);
    if (!accuserKey) return false;
    let revealed: Uint8Array;
    try {
      revealed = hexToBytes(revealedHex);
      if (!validPrivateKey(revealed)) return false;
      if (bytesToHex(publicKeyOf(revealed)) !== bytesToHex(accuserKey)) return false;
    } catch {
      return false;
    }
    // From here on only the target's bytes are in question.
    const key = safePairKey(revealed, announcedBy.get(target)?.get(accuser));
    if (!key) return true;
    const shares = unseal(target, accuser, key);
    if (!shares) return true;
    return failingDealers(shares).length > 0;
  }
  for (const operator of excluded) qualified.delete(operator);
  if (!qualified.has(me.address)) throw new DkgFailedError('this operator was excluded from the group');
  requireQuorum(qualified, 'complaints');

  const qualifiedSeats = [...qualified].flatMap((op) => seatsOf.get(op)!).sort((a, b) => a - b);
  const { groupPublicKey, keys } = guarded(
    () =>
      scheme.finalize({
        threshold,
        qualified: qualifiedSeats,
        packages,
        shares: received,
        localSeats: mySeats,
      }),
    (err) => {
      throw new DkgFailedError(`key material could not be computed: ${(err as Error).message}`);
    },
  );
  const misbehavedSeats = ctx.group.map((_, i) => i + 1).filter((seat) => !qualifiedSeats.includes(seat));
  step('finalize');
  return {
    groupPublicKey,
    qualifiedSeats,
    misbehavedSeats,
    qualifiedOperators: qualified,
    equivocators: [...equivocators].sort(),
    exclusions: new Map([...exclusions].filter(([operator]) => !qualified.has(operator))),
    keys,
    timings,
  };
}

/**
 * Runs a check over peers' bytes; should it throw after all (the parsing at the boundary
 * missed a case), `fallback` decides, so that a peer's bytes never end the run in an exception.
 */
function guarded<T>(check: () => T, fallback: (err: unknown) => T): T {
  try {
    return check();
  } catch (err) {
    return fallback(err);
  }
}

/** The pair key, or undefined when the announced key is missing or unusable. */
function safePairKey(privateKey: Uint8Array, theirs: Uint8Array | undefined): Uint8Array | undefined {
  if (!theirs) return undefined;
  try {
    return pairKey(privateKey, theirs);
  } catch {
    return undefined;
  }
}
