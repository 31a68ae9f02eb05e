import { after } from 'node:test';
import type { Key } from '@noble/curves/abstract/frost.js';
import { BlockEngine } from '../../src/chain/local/block-engine.js';
import {
  dealRound1,
  finalizeKeys,
  type ReceivedShare,
  sharesFor,
  xOnly,
} from '../../src/crypto/frost-dkg.js';
import { generateOperatorKey, type OperatorKey } from '../../src/crypto/operator-key.js';
import { ManualTicker } from '../../src/net/retransmission.js';
import type { WalletKeys } from '../../src/tbtc/wallet-keys.js';

/**
 * A wallet made by running the DKG computation in memory, its seats laid out as operator
 * letters ("AAABBC": seats 1–3 are A's, 4–5 B's, 6 C's).
 */
export function inMemoryWallet(layout: string, threshold: number) {
  const seats = [...layout].map((_, i) => i + 1);
  const { secrets, packages } = dealRound1(seats, threshold, seats.length);
  const shares: ReceivedShare[] = [];
  for (const [dealer, secret] of secrets) {
    for (const [recipient, share] of sharesFor(secret, seats)) shares.push({ dealer, recipient, share });
  }
  const keys = finalizeKeys({ threshold, qualified: seats, packages, shares, localSeats: seats });
  const groupPublicKey = keys.get(1)!.public.commitments[0]!;
  const letters = [...new Set(layout)];
  const operators = new Map<string, OperatorKey>(letters.map((l) => [l, generateOperatorKey()]));
  const group = [...layout].map((l) => operators.get(l)!.address);
  /** The wallet as the node of this operator letter holds it. */
  const walletOf = (letter: string): WalletKeys => ({
    seed: new Uint8Array(32),
    groupPublicKey,
    group,
    qualifiedSeats: seats,
    keys: new Map<number, Key>([...keys].filter(([seat]) => layout[seat - 1] === letter)),
  });
  return { letters, operators, walletOf, groupKey: xOnly(groupPublicKey), groupPublicKey };
}

/** Blocks every `intervalMs`, retransmissions ticking per block; stopped after the test file. */
export function blockClock(intervalMs = 20) {
  const blocks = new BlockEngine(intervalMs);
  const ticker = new ManualTicker();
  const stopTicks = blocks.watchBlocks(() => ticker.tick());
  const keepAlive = setInterval(() => {}, 1000); // the block timer alone does not hold the process
  after(() => {
    stopTicks();
    clearInterval(keepAlive);
    blocks.close();
  });
  return { blocks, ticker };
}
