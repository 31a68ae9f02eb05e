import { walletIdOf } from '../../crypto/wallet-id.js';
import { inactivityClaimHash } from '../inactivity-claim.js';
import {
  type Address,
  ChainError,
  type DkgParameters,
  type InactivityClaim,
  type InactivityClaimedEvent,
  type WalletRegisteredEvent,
} from '../types.js';
import { AsyncEmitter } from './async-emitter.js';
import type { BlockEngine } from './block-engine.js';
import { ascendingSeats, SECP256K1_GROUP_KEY, seatSignatureProblem } from './dkg-result-checks.js';
import { DkgRegistryContract, type DkgRegistryState, type RegisteredGroup } from './dkg-registry-contract.js';
import type { SortitionPool } from './sortition-pool.js';

/** What a restart needs of the wallet registry: its DKG registry and the wallets' claim nonces. */
export interface WalletRegistryState extends DkgRegistryState {
  readonly claimNonces: readonly (readonly [string, number])[];
}

/**
 * The wallet registry: a DKG registry with secp256k1 group keys whose groups are wallets
 * (named by their x-only key), and the wallets' inactivity claims.
 */
export class WalletRegistryContract {
  readonly dkg: DkgRegistryContract;
  readonly events: {
    readonly walletRegistered: AsyncEmitter<WalletRegisteredEvent>;
    readonly inactivityClaimed: AsyncEmitter<InactivityClaimedEvent>;
  };
  private readonly claimNonces = new Map<string, number>();

  constructor(
    private readonly blocks: BlockEngine,
    private readonly pool: SortitionPool,
    params: DkgParameters,
    random: (() => Uint8Array) | undefined,
    onListenerError: (error: unknown) => void,
  ) {
    this.dkg = new DkgRegistryContract(blocks, pool, params, SECP256K1_GROUP_KEY, random, onListenerError);
    this.events = {
      walletRegistered: new AsyncEmitter(onListenerError),
      inactivityClaimed: new AsyncEmitter(onListenerError),
    };
    this.dkg.events.groupRegistered.on((group) => this.events.walletRegistered.emit(walletOf(group)));
  }

  registeredWallets(): WalletRegisteredEvent[] {
    return this.dkg.registeredGroups().map(walletOf);
  }

  inactivityClaimNonce(walletId: string): number {
    this.wallet(walletId);
    return this.claimNonces.get(walletId) ?? 0;
  }

  /** Accepts a claim signed for the current nonce by at least `honestThreshold` member seats. */
  claimInactivity(sender: Address, claim: InactivityClaim): void {
    const wallet = this.wallet(claim.walletId);
    const nonce = this.claimNonces.get(claim.walletId) ?? 0;
    if (claim.nonce !== nonce)
      throw new ChainError(`claim nonce ${claim.nonce} is not the current nonce ${nonce}`);
    const operatorOf = new Map(wallet.members.map((m) => [m.index, m.operator]));
    if (![...operatorOf.values()].includes(sender))
      throw new ChainError(`${sender} is not a member of the wallet`);
    const { groupSize: size, honestThreshold } = this.dkg.params;
    const inactive = claim.inactiveMembersIndices;
    if (
      inactive.length === 0 ||
      !ascendingSeats(inactive, size) ||
      inactive.some((s) => !operatorOf.has(s))
    ) {
      throw new ChainError('inactive member indices must be ascending, unique, non-empty wallet seats');
    }
    const signing = claim.signingMembersIndices;
    if (!ascendingSeats(signing, size) || signing.some((s) => !operatorOf.has(s))) {
      throw new ChainError('signing member indices must be ascending, unique wallet seats');
    }
    if (signing.length < honestThreshold) {
      throw new ChainError(`${signing.length} signatures; at least ${honestThreshold} required`);
    }
    const problem = seatSignatureProblem(inactivityClaimHash(claim), signing, claim.signatures, (seat) => {
      const operator = operatorOf.get(seat);
      return operator === undefined ? undefined : this.pool.publicKeyOf(operator);
    });
    if (problem) throw new ChainError(`invalid inactivity claim: ${problem}`);
    this.claimNonces.set(claim.walletId, nonce + 1);
    this.events.inactivityClaimed.emit({
      walletId: claim.walletId,
      nonce,
      inactiveMembersIndices: [...inactive],
      heartbeatFailed: claim.heartbeatFailed,
      notifier: sender,
      blockNumber: this.blocks.height,
    });
  }

  close(): void {
    this.dkg.close();
    for (const emitter of Object.values(this.events)) emitter.clear();
  }

  snapshot(): WalletRegistryState {
    return { ...this.dkg.snapshot(), claimNonces: [...this.claimNonces] };
  }

  /** Continues from a saved state; the pool's lock is restored with the pool. */
  restore(state: WalletRegistryState): void {
    this.dkg.restore(state);
    this.claimNonces.clear();
    for (const [walletId, nonce] of state.claimNonces) this.claimNonces.set(walletId, nonce);
  }

  private wallet(walletId: string): WalletRegisteredEvent {
    const wallet = this.registeredWallets().find((w) => w.walletId === walletId);
    if (!wallet) throw new ChainError(`no wallet ${walletId} is registered`);
    return wallet;
  }
}

function walletOf(group: RegisteredGroup): WalletRegisteredEvent {
  return { walletId: walletIdOf(group.groupPublicKey), ...group };
}
