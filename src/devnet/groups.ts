import type { Address, Chain, Unsubscribe } from '../chain/types.js';

/** A group the chain formed for the devnet. */
export interface FormedGroup {
  readonly kind: string;
  readonly id: string;
  readonly members: readonly { readonly index: number; readonly operator: Address }[];
  readonly blockNumber: number;
}

/** A kind of group the devnet asks the chain for once its nodes are connected. */
export interface GroupKind {
  readonly kind: string;
  request(chain: Chain): Promise<void>;
  onFormed(chain: Chain, listener: (group: FormedGroup) => void): Unsubscribe;
}

export const WALLET_GROUP: GroupKind = {
  kind: 'wallet',
  request: (chain) => chain.walletRegistry.requestNewWallet(),
  onFormed: (chain, listener) =>
    chain.walletRegistry.onWalletRegistered((event) =>
      listener({
        kind: 'wallet',
        id: event.walletId,
        members: event.members,
        blockNumber: event.blockNumber,
      }),
    ),
};

export const BEACON_GROUP: GroupKind = {
  kind: 'beacon group',
  request: (chain) => chain.randomBeacon.requestNewGroup(),
  onFormed: (chain, listener) =>
    chain.randomBeacon.onGroupRegistered((event) =>
      listener({
        kind: 'beacon group',
        id: String(event.groupId),
        members: event.members,
        blockNumber: event.blockNumber,
      }),
    ),
};

/**
 * Every group a devnet requests, in order. The local chain runs one DKG at a time, so each is
 * requested once the one before it formed.
 */
export const DEVNET_GROUPS: readonly GroupKind[] = [WALLET_GROUP, BEACON_GROUP];
