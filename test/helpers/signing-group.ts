import assert from 'node:assert/strict';
import { pino } from 'pino';
import { LocalNetwork } from '../../src/net/local/local-network.js';
import {
  coordinatorOrder,
  SigningExecutor,
  signingSessionId,
} from '../../src/tbtc/signing/signing-executor.js';
import { type Behaviour, byzantineProvider } from './byzantine.js';
import { scrapedRecorder } from './metrics.js';
import { blockClock, inMemoryWallet } from './wallet.js';

/** A wallet whose seats are laid out as operator letters, with a signing executor per online node. */
export function signingGroup(
  layout: string,
  threshold: number,
  options: {
    offline?: string[];
    badShares?: string[];
    byzantine?: Record<string, Behaviour>;
    timeoutBlocks?: number;
  } = {},
) {
  const { letters, operators, walletOf, groupKey, groupPublicKey } = inMemoryWallet(layout, threshold);
  const group = walletOf(letters[0]!).group;
  const { blocks, ticker } = blockClock();
  const network = new LocalNetwork();
  const nodes = letters
    .filter((l) => !options.offline?.includes(l))
    .map((letter) => {
      const operator = operators.get(letter)!;
      const metrics = scrapedRecorder();
      const honest = network.join(operator, { recorder: metrics.recorder, ticker });
      const behaviour = options.byzantine?.[letter];
      const channel = (
        behaviour ? byzantineProvider(honest, network, behaviour) : honest
      ).broadcastChannelFor('tbtc-wallet');
      channel.setFilter((sender) => group.includes(sender.operatorAddress));
      const executor = new SigningExecutor({
        wallet: walletOf(letter),
        channel,
        blocks,
        recorder: metrics.recorder,
        log: pino({ level: 'silent' }),
        timeoutBlocks: options.timeoutBlocks ?? 60,
        coordinatorTurnBlocks: 8,
        tamperShare: options.badShares?.includes(letter)
          ? (_seat, share) => share.map((b) => b ^ 1)
          : undefined,
      });
      return { letter, metrics, executor };
    });
  const signAll = async (message: Uint8Array) => {
    const start = await blocks.currentBlock();
    return Promise.allSettled(nodes.map((node) => node.executor.sign(message, start)));
  };
  /**
   * Every node signs a message whose first coordinator (epoch 0) is the seat `coordinator`
   * (messages are tried in turn until one is), with the activity each node reports.
   */
  const signCoordinatedBy = async (coordinator: number) => {
    const start = await blocks.currentBlock();
    const seats = [...layout].map((_, i) => i + 1);
    let chosen: Uint8Array | undefined;
    for (let i = 0; i < 1000 && !chosen; i++) {
      const candidate = new TextEncoder().encode(`message ${i}`);
      if (coordinatorOrder(signingSessionId(groupPublicKey, candidate, start), seats)[0] === coordinator)
        chosen = candidate;
    }
    assert.ok(chosen, `a message whose first coordinator is seat ${coordinator}`);
    const results = await Promise.allSettled(
      nodes.map((node) => node.executor.signWithActivity(chosen, start)),
    );
    return { message: chosen, results };
  };
  return { nodes, signAll, signCoordinatedBy, groupKey, network, operators, group, ticker };
}
