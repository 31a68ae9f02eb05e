import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { BlockCounter } from '../chain/types.js';
import { verifyOperatorSignature } from '../crypto/operator-key.js';
import { receive } from '../net/typed-messages.js';
import type { BroadcastChannel, Subscription } from '../net/types.js';
import { resultSignatureCodec } from './messages.js';
import { waitForMessages } from './wait-for-messages.js';

/** One member's signature over the DKG result hash, with the key it must verify under. */
interface Received {
  /** The sender's operator key: the key its envelope was verified under (its address derives from it). */
  readonly publicKey: Uint8Array;
  readonly resultHash: string;
  readonly signature: string;
}

/** What the members sent: signatures that verify, and the members left out with why. */
export interface CollectedSignatures {
  /** Operator address → 64-byte signature over the result hash, verified. */
  readonly valid: ReadonlyMap<string, Uint8Array>;
  /** Members whose message arrived but does not sign this result under their operator key. */
  readonly rejected: readonly { readonly operator: string; readonly reason: string }[];
}

/**
 * Collects the members' result signatures on a DKG channel from the moment the DKG starts
 * (faster members sign before slower ones finish their rounds) and checks each against the
 * operator key of its sender, as the chain will: one bad signature makes a whole submitted
 * result invalid, so a member whose signature does not verify is left out of the result.
 * The first message per sender counts; a sender's later messages cannot replace it.
 */
export class ResultSignatures {
  private readonly received = new Map<string, Received>();
  private readonly waiters = new Set<() => void>();
  private readonly subscription: Subscription;

  constructor(channel: BroadcastChannel, session: string) {
    this.subscription = receive(
      channel,
      { resultSignature: resultSignatureCodec },
      ({ payload, sender: { operatorAddress: sender, publicKey } }) => {
        if (payload.session !== session || this.received.has(sender)) return;
        this.received.set(sender, {
          publicKey,
          resultHash: payload.resultHash,
          signature: payload.signature,
        });
        for (const wake of [...this.waiters]) wake();
      },
      { name: 'dkg-result' },
    );
  }

  /**
   * Waits until every expected operator's message arrived or the deadline block passed, then
   * verifies each over `hash`.
   */
  async collect(
    operators: ReadonlySet<string>,
    hash: Uint8Array,
    deadlineBlock: number,
    blocks: BlockCounter,
    signal: AbortSignal,
  ): Promise<CollectedSignatures> {
    const complete = () => [...operators].every((operator) => this.received.has(operator));
    await waitForMessages(complete, this.waiters, deadlineBlock, blocks, signal);
    return this.verified(operators, hash);
  }

  private verified(operators: ReadonlySet<string>, hash: Uint8Array): CollectedSignatures {
    const valid = new Map<string, Uint8Array>();
    const rejected: { operator: string; reason: string }[] = [];
    const expected = bytesToHex(hash);
    for (const operator of operators) {
      const message = this.received.get(operator);
      if (!message) continue;
      if (message.resultHash !== expected) {
        rejected.push({ operator, reason: 'signed another result' });
        continue;
      }
      const signature = hexToBytes(message.signature);
      if (signature.length !== 64 || !verifyOperatorSignature(message.publicKey, hash, signature)) {
        rejected.push({ operator, reason: 'signature does not verify under the operator key' });
        continue;
      }
      valid.set(operator, signature);
    }
    return { valid, rejected };
  }

  close(): void {
    this.subscription.cancel();
  }
}
