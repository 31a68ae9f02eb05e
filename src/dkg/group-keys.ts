import type { Address } from '../chain/types.js';

/** A group this node holds seats of, as the DKG produced it: a tBTC wallet or a beacon group. */
export interface GroupKeys<K> {
  readonly seed: Uint8Array;
  readonly groupPublicKey: Uint8Array;
  /** Operator of every seat of the DKG group (seat i at index i-1). */
  readonly group: readonly Address[];
  readonly qualifiedSeats: readonly number[];
  readonly keys: ReadonlyMap<number, K>;
}
