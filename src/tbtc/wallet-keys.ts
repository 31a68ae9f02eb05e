import type { Key } from '@noble/curves/abstract/frost.js';
import type { GroupKeys } from '../dkg/group-keys.js';

/** A wallet this node holds seats of: a DKG group with FROST key shares. */
export type WalletKeys = GroupKeys<Key>;
