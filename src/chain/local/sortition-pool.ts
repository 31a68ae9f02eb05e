import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { operatorAddress } from '../../crypto/operator-key.js';
import { type Address, ChainError } from '../types.js';

interface PoolOperator {
  readonly address: Address;
  readonly publicKey: Uint8Array;
  readonly stake: bigint;
}

/** The largest stake one operator may register by default: 1000 times the default `[chain] Stake`. */
export const DEFAULT_MAX_STAKE = 1_000_000n;

export interface SortitionPoolState {
  readonly operators: readonly { readonly publicKey: Uint8Array; readonly stake: bigint }[];
  readonly locked: boolean;
}

/**
 * Registered operators weighted by stake, and the group selection over them. Locked while
 * a DKG runs (as on mainnet) so the group of the running DKG cannot change under it.
 */
export class SortitionPool {
  private readonly byAddress = new Map<Address, PoolOperator>();
  private locked = false;

  constructor(private readonly maxStake: bigint = DEFAULT_MAX_STAKE) {
    if (maxStake <= 0n) throw new RangeError(`maximum stake must be positive, got ${maxStake}`);
  }

  register(publicKey: Uint8Array, stake: bigint): Address {
    if (this.locked) throw new ChainError('operators cannot register while a DKG is in progress');
    if (stake <= 0n) throw new ChainError(`stake must be positive, got ${stake}`);
    if (stake > this.maxStake) {
      throw new ChainError(`stake ${stake} is above the maximum stake per operator, ${this.maxStake}`);
    }
    let address: Address;
    try {
      if (publicKey.length !== 33) throw new Error('not compressed');
      address = operatorAddress(publicKey);
    } catch {
      throw new ChainError('operator public key is not a 33-byte compressed secp256k1 point');
    }
    if (this.byAddress.has(address)) throw new ChainError(`operator ${address} is already registered`);
    this.byAddress.set(address, { address, publicKey: publicKey.slice(), stake });
    return address;
  }

  snapshot(): SortitionPoolState {
    return {
      operators: [...this.byAddress.values()].map(({ publicKey, stake }) => ({
        publicKey: publicKey.slice(),
        stake,
      })),
      locked: this.locked,
    };
  }

  /** Replaces the pool's content with a saved state (stakes above today's maximum stay as they were). */
  restore(state: SortitionPoolState): void {
    this.byAddress.clear();
    this.locked = false;
    for (const { publicKey, stake } of state.operators) {
      const address = operatorAddress(publicKey);
      this.byAddress.set(address, { address, publicKey: publicKey.slice(), stake });
    }
    this.locked = state.locked;
  }

  lock(): void {
    this.locked = true;
  }

  unlock(): void {
    this.locked = false;
  }

  /** Sorted by address, which is also the order of the selection's stake ranges. */
  operators(): { address: Address; stake: bigint }[] {
    return [...this.byAddress.values()]
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
      .map(({ address, stake }) => ({ address, stake }));
  }

  publicKeyOf(address: Address): Uint8Array | undefined {
    return this.byAddress.get(address)?.publicKey;
  }

  /**
   * `groupSize` seats drawn independently with probability proportional to stake, so an
   * operator may hold several seats: seat i goes to the operator whose cumulative stake
   * range contains sha256(seed | u32 i) mod total stake.
   */
  selectGroup(seed: Uint8Array, groupSize: number): Address[] {
    const operators = this.operators();
    const total = operators.reduce((sum, operator) => sum + operator.stake, 0n);
    if (total === 0n) throw new ChainError('no operators are registered');
    const input = new Uint8Array(seed.length + 4);
    input.set(seed);
    const view = new DataView(input.buffer);
    const seats: Address[] = [];
    for (let seat = 1; seat <= groupSize; seat++) {
      view.setUint32(seed.length, seat);
      let point = BigInt(`0x${bytesToHex(sha256(input))}`) % total;
      for (const operator of operators) {
        if (point < operator.stake) {
          seats.push(operator.address);
          break;
        }
        point -= operator.stake;
      }
    }
    return seats;
  }
}
