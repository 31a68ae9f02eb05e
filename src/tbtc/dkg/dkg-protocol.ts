import type { Key } from '@noble/curves/abstract/frost.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Address, BlockCounter } from '../../chain/types.js';
import type { DealerPackage, DkgScheme, ReceivedShare, Seat } from '../../crypto/dkg-scheme.js';
import { FROST_DKG_SCHEME } from '../../crypto/frost-dkg.js';
import type { OperatorKey } from '../../crypto/operator-key.js';
import {
  type EphemeralKey,
  generateEphemeralKey,
  open,
  pairKey,
  publicKeyOf,
  seal,
} from '../../crypto/pairwise-box.js';
import type { BroadcastChannel } from '../../net/types.js';
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
  readonly keys: Map<Seat, K>;
  /** Milliseconds spent in each step, for the operator's log. */
  readonly timings: Record<string, number>;
}

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
  const theirKeys = new Map<Address, Uint8Array>();
  const ready = new Set<Address>();
  for (const [operator, announcement] of announcements) {
    const own = seatsOf.get(operator) ?? [];
    const keyForMe = announcement.ephemeralKeys[me.address];
    if (operator === me.address) {
      ready.add(operator);
    } else if (JSON.stringify(announcement.seats) === JSON.stringify(own) && keyForMe) {
      theirKeys.set(operator, hexToBytes(keyForMe));
      ready.add(operator);
    }
  }
  requireQuorum(ready, 'announcement');
  const readySeats = [...ready].flatMap((op) => seatsOf.get(op)!).sort((a, b) => a - b);

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
  const packages: DealerPackage[] = [];
  for (const [operator, message] of round1) {
    const seats = message.packages.map((p) => p.seat);
    if (JSON.stringify(seats) !== JSON.stringify(seatsOf.get(operator))) continue;
    qualified.add(operator);
    for (const p of message.packages) {
      packages.push({
        seat: p.seat,
        commitment: p.commitment.map(hexToBytes),
        proofOfKnowledge: hexToBytes(p.proofOfKnowledge),
      });
    }
  }
  for (const seat of scheme.invalidDealers(packages, threshold, utf8ToBytes(session))) {
    qualified.delete(ctx.group[seat - 1]!);
  }
  step('proofs');
  requireQuorum(qualified, 'round 1');
  const recipients = [...qualified].flatMap((op) => seatsOf.get(op)!).sort((a, b) => a - b);

  // Round 2: every share of my seats, sealed per recipient operator.
  const myShares = new Map<Seat, Map<Seat, Uint8Array>>();
  for (const seat of mySeats) myShares.set(seat, dealt.sharesFor(seat, recipients));
  const boxes: Record<string, { nonce: string; ciphertext: string }> = {};
  for (const operator of qualified) {
    if (operator === me.address) continue;
    const shares = concatBytes(
      ...mySeats.flatMap((dealer) =>
        seatsOf.get(operator)!.map((recipient) => myShares.get(dealer)!.get(recipient)!),
      ),
    );
    const plaintext = ctx.tamperShares ? ctx.tamperShares(operator, shares) : shares;
    const box = seal(
      pairKey(ephemeral.get(operator)!.privateKey, theirKeys.get(operator)!),
      context(me.address, operator),
      plaintext,
    );
    boxes[operator] = { nonce: bytesToHex(box.nonce), ciphertext: bytesToHex(box.ciphertext) };
  }
  await channel.send(round2Codec, { session, boxes }, { retransmit });
  deadline += timing.round2Blocks;
  step('shares');
  const round2 = await inbox.collect(round2Codec, qualified, deadline, blocks, signal);
  step('round2Wait');
  for (const operator of [...qualified]) if (!round2.has(operator)) qualified.delete(operator);

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

  const received: ReceivedShare[] = [];
  for (const dealer of mySeats) {
    for (const recipient of mySeats)
      received.push({ dealer, recipient, share: myShares.get(dealer)!.get(recipient)! });
  }
  const accused = new Set<Address>();
  for (const operator of qualified) {
    if (operator === me.address) continue;
    const shares = unseal(
      operator,
      me.address,
      pairKey(ephemeral.get(operator)!.privateKey, theirKeys.get(operator)!),
    );
    if (shares) received.push(...shares);
    else accused.add(operator);
  }
  for (const seat of scheme.dealersWithInvalidShares(received, packages)) accused.add(ctx.group[seat - 1]!);
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
  step('complaintsWait');
  const announced = (from: Address, to: Address) => {
    const key = announcements.get(from)?.ephemeralKeys[to];
    return key ? hexToBytes(key) : undefined;
  };
  const excluded = new Set<Address>();
  for (const [accuser, message] of complaints) {
    for (const { accused: target, revealedKey } of message.complaints) {
      if (!qualified.has(target as Address)) continue;
      excluded.add(judge(accuser, target as Address, hexToBytes(revealedKey)) ? target : accuser);
    }
  }
  function judge(accuser: Address, target: Address, revealed: Uint8Array): boolean {
    // true: the accused misbehaved; false: the complaint is false and the accuser is out.
    const accuserKey = announced(accuser, target);
    const targetKey = announced(target, accuser);
    if (!accuserKey || !targetKey) return true;
    try {
      if (!secp256k1.utils.isValidSecretKey(revealed)) return false;
      if (bytesToHex(publicKeyOf(revealed)) !== bytesToHex(accuserKey)) return false;
    } catch {
      return false;
    }
    const shares = unseal(target, accuser, pairKey(revealed, targetKey));
    if (!shares) return true;
    return scheme.dealersWithInvalidShares(shares, packages).length > 0;
  }
  for (const operator of excluded) qualified.delete(operator);
  if (!qualified.has(me.address)) throw new DkgFailedError('this operator was excluded from the group');
  requireQuorum(qualified, 'complaints');

  const qualifiedSeats = [...qualified].flatMap((op) => seatsOf.get(op)!).sort((a, b) => a - b);
  const { groupPublicKey, keys } = scheme.finalize({
    threshold,
    qualified: qualifiedSeats,
    packages,
    shares: received,
    localSeats: mySeats,
  });
  const misbehavedSeats = ctx.group.map((_, i) => i + 1).filter((seat) => !qualifiedSeats.includes(seat));
  step('finalize');
  return { groupPublicKey, qualifiedSeats, misbehavedSeats, qualifiedOperators: qualified, keys, timings };
}
