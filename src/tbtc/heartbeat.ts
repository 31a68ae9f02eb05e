import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';
import type { Recorder } from '../clientinfo/recorder.js';
import type { SigningExecutor } from './signing/signing-executor.js';

/** keep-core's heartbeat message: 8 × 0xff, then the first 8 bytes of sha256(wallet | block). */
export function heartbeatMessage(walletPublicKey: Uint8Array, block: number): Uint8Array {
  const height = new Uint8Array(8);
  new DataView(height.buffer).setBigUint64(0, BigInt(block));
  return concatBytes(
    new Uint8Array(8).fill(0xff),
    sha256(concatBytes(walletPublicKey, height)).subarray(0, 8),
  );
}

export class InvalidProposalError extends Error {
  override name = 'InvalidProposalError';
}

/** Consecutive heartbeats with too few active members, per wallet (in memory, as in keep-core). */
export class HeartbeatFailureCounter {
  private readonly counts = new Map<string, number>();

  increment(walletId: string): number {
    const next = (this.counts.get(walletId) ?? 0) + 1;
    this.counts.set(walletId, next);
    return next;
  }

  reset(walletId: string): void {
    this.counts.delete(walletId);
  }
}

/**
 * The heartbeat action: checks that the proposed message is the heartbeat of this wallet at
 * the proposal's block, signs its double SHA-256 with the wallet, and counts the heartbeat as
 * failed when fewer than `minimumActiveMembers` seats took part.
 */
export async function runHeartbeat(options: {
  walletId: string;
  walletPublicKey: Uint8Array;
  proposal: { message: Uint8Array; proposalBlock: number; startBlock: number };
  signing: SigningExecutor;
  failures: HeartbeatFailureCounter;
  minimumActiveMembers: number;
  recorder: Recorder;
}): Promise<{ signature: Uint8Array; activeSeats: number[]; consecutiveFailures: number }> {
  const expected = heartbeatMessage(options.walletPublicKey, options.proposal.proposalBlock);
  if (bytesToHex(expected) !== bytesToHex(options.proposal.message)) {
    throw new InvalidProposalError('the proposed heartbeat message is not this wallet’s heartbeat');
  }
  const digest = sha256(sha256(options.proposal.message));
  const { signature, activeSeats } = await options.signing.signWithActivity(
    digest,
    options.proposal.startBlock,
  );
  if (activeSeats.length >= options.minimumActiveMembers) {
    options.failures.reset(options.walletId);
    return { signature, activeSeats, consecutiveFailures: 0 };
  }
  options.recorder.inc('performance_wallet_heartbeat_failures_total');
  return { signature, activeSeats, consecutiveFailures: options.failures.increment(options.walletId) };
}
