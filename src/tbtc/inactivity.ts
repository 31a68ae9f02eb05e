import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { inactivityClaimHash } from '../chain/inactivity-claim.js';
import { type BlockCounter, ChainError, type InactivityClaim, type WalletRegistry } from '../chain/types.js';
import type { Seat } from '../crypto/frost-dkg.js';
import { type OperatorKey, signWithOperatorKey, verifyOperatorSignature } from '../crypto/operator-key.js';
import type { Logger } from '../log.js';
import { hexString, jsonCodec } from '../net/json-codec.js';
import { type PayloadOf, receive } from '../net/typed-messages.js';
import type { BroadcastChannel, Message } from '../net/types.js';
import type { WalletKeys } from './wallet-keys.js';

/** One operator's signature over a claim; it stands for every qualified seat it holds. */
export const claimSignatureCodec = jsonCodec(
  'tbtc-inactivity/signature',
  z.object({ claimHash: hexString.length(64), signature: hexString.length(128) }).strict(),
);

type ClaimSignaturePayload = PayloadOf<typeof claimSignatureCodec>;

export class InactivityClaimError extends Error {
  override name = 'InactivityClaimError';
}

export interface InactivityClaimOptions {
  readonly wallet: WalletKeys;
  readonly walletId: string;
  readonly key: OperatorKey;
  readonly registry: WalletRegistry;
  readonly blocks: BlockCounter;
  /** The wallet's channel; the claim registers its message type on it. */
  readonly channel: BroadcastChannel;
  readonly log: Logger;
  /** Blocks between submission turns of consecutive signers. */
  readonly submissionStepBlocks: number;
}

/**
 * keep-core's inactivity claim: members sign the claim (wallet, nonce, inactive seats) with
 * their operator keys, gather signatures of at least `honestThreshold` seats, and submit in
 * turns (signing seats in order, `submissionStepBlocks` apart) until a claim for the nonce
 * lands. Members that disagree on the inactive seats sign different hashes and never mix.
 */
export class InactivityClaimExecutor {
  constructor(private readonly options: InactivityClaimOptions) {
    options.channel.registerCodec(claimSignatureCodec);
  }

  /** Resolves with the accepted claim's nonce and whether this node submitted it. */
  async claim(request: {
    inactiveSeats: readonly Seat[];
    heartbeatFailed: boolean;
    deadlineBlock: number;
  }): Promise<{ nonce: number; submittedByMe: boolean }> {
    const { wallet, walletId, key, registry, blocks, channel, log } = this.options;
    // Subscribed before the nonce is read: a claim landing in between is not missed.
    const landed = new Map<number, string>();
    let onLanded: () => void = () => {};
    const unsubscribe = registry.onInactivityClaimed((event) => {
      if (event.walletId !== walletId) return;
      landed.set(event.nonce, event.notifier);
      onLanded();
    });
    let threshold: number;
    let nonce: number;
    try {
      threshold = (await registry.dkgParameters()).honestThreshold;
      nonce = await registry.inactivityClaimNonce(walletId);
    } catch (err) {
      unsubscribe();
      throw err;
    }
    const inactiveMembersIndices = [...new Set(request.inactiveSeats)].sort((a, b) => a - b);
    const unsigned = { walletId, nonce, inactiveMembersIndices, heartbeatFailed: request.heartbeatFailed };
    const hash = inactivityClaimHash(unsigned);
    const claimHash = bytesToHex(hash);
    const qualified = new Set(wallet.qualifiedSeats);
    const seatsOf = (operator: string) =>
      wallet.group.flatMap((member, i) => (member === operator && qualified.has(i + 1) ? [i + 1] : []));
    const signatures = new Map<Seat, Uint8Array>();

    const stop = new AbortController();
    const done = new Promise<{ nonce: number; submittedByMe: boolean }>((resolve, reject) => {
      let ended = false;
      const finish = (result?: { nonce: number; submittedByMe: boolean }, error?: Error) => {
        if (ended) return;
        ended = true;
        stop.abort();
        subscription.cancel();
        unsubscribe();
        stopBlocks();
        if (error) reject(error);
        else resolve(result!);
      };
      onLanded = () => {
        if (landed.has(nonce)) finish({ nonce, submittedByMe: landed.get(nonce) === key.address });
      };
      const stopBlocks = blocks.watchBlocks((height) => {
        if (height >= request.deadlineBlock) {
          finish(
            undefined,
            new InactivityClaimError(`no inactivity claim landed by block ${request.deadlineBlock}`),
          );
          return;
        }
        // A claim for this nonce whose event this node missed still moved the nonce on.
        void registry
          .inactivityClaimNonce(walletId)
          .then((current) => {
            if (current > nonce) finish({ nonce, submittedByMe: false });
          })
          .catch(() => undefined);
      });
      let submitting = false;
      const onMessage = (m: Message<ClaimSignaturePayload>) => {
        if (m.payload.claimHash !== claimHash) return;
        const signature = hexToBytes(m.payload.signature);
        if (!verifyOperatorSignature(m.sender.publicKey, hash, signature)) {
          log.warn({ operator: m.sender.operatorAddress }, 'inactivity claim signature does not verify');
          return;
        }
        for (const seat of seatsOf(m.sender.operatorAddress)) signatures.set(seat, signature);
        if (submitting || signatures.size < threshold) return;
        submitting = true;
        void this.submitInTurn(unsigned, signatures, stop.signal).catch((err) => {
          if (!stop.signal.aborted)
            log.warn({ err: (err as Error).message }, 'inactivity claim submission failed');
        });
      };
      const subscription = receive(channel, { signature: claimSignatureCodec }, onMessage, {
        name: `inactivity-${claimHash.slice(0, 8)}`,
      });
      onLanded();
    });
    channel
      .send(
        claimSignatureCodec,
        { claimHash, signature: bytesToHex(signWithOperatorKey(key, hash)) },
        { retransmit: { until: stop.signal, strategy: 'backoff' } },
      )
      .catch((err) => log.warn({ err: (err as Error).message }, 'send failed'));
    return done;
  }

  /** The k-th signing seat of ours (in seat order) waits k · step blocks, then submits. */
  private async submitInTurn(
    unsigned: Omit<InactivityClaim, 'signingMembersIndices' | 'signatures'>,
    signatures: ReadonlyMap<Seat, Uint8Array>,
    signal: AbortSignal,
  ): Promise<void> {
    const { wallet, key, registry, blocks, submissionStepBlocks, log } = this.options;
    const signing = [...signatures.keys()].sort((a, b) => a - b);
    const position = signing.findIndex((seat) => wallet.group[seat - 1] === key.address);
    if (position < 0) return;
    const start = await blocks.currentBlock();
    await blocks.waitForBlock(start + position * submissionStepBlocks, signal);
    if (signal.aborted) return;
    const claim: InactivityClaim = {
      ...unsigned,
      signingMembersIndices: signing,
      signatures: signing.map((seat) => signatures.get(seat)!),
    };
    try {
      await registry.submitInactivityClaim(claim);
      log.info(
        { nonce: claim.nonce, inactive: claim.inactiveMembersIndices, signers: signing.length },
        'inactivity claim submitted',
      );
    } catch (err) {
      // Another member's claim for this nonce landed first: the event ends the claim.
      if (!(err instanceof ChainError)) throw err;
      log.debug({ err: err.message }, 'inactivity claim not accepted');
    }
  }
}
