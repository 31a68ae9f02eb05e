import type { BlockCounter } from '../chain/types.js';

/**
 * Resolves once `complete()` holds (checked whenever a message wakes the waiters) or the
 * deadline block is reached, whichever comes first; rejects when `signal` aborts. A DKG phase
 * ends early once every expected message is in.
 */
export async function waitForMessages(
  complete: () => boolean,
  waiters: Set<() => void>,
  deadlineBlock: number,
  blocks: BlockCounter,
  signal: AbortSignal,
): Promise<void> {
  if (complete()) return;
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      waiters.delete(check);
      stopBlocks();
      signal.removeEventListener('abort', aborted);
    };
    const check = () => {
      if (!complete()) return;
      done();
      resolve();
    };
    const stopBlocks = blocks.watchBlocks((height) => {
      if (height < deadlineBlock) return;
      done();
      resolve();
    });
    const aborted = () => {
      done();
      reject(signal.reason);
    };
    signal.addEventListener('abort', aborted, { once: true });
    waiters.add(check);
  });
}
