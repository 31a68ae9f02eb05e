import type { Key } from '@noble/curves/abstract/frost.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { FROST_DKG_SCHEME } from '../crypto/frost-dkg.js';
import { DkgExecutor, type DkgExecutorOptions } from '../dkg/dkg-executor.js';

/** The broadcast channel of a wallet DKG. */
export const walletDkgChannelName = (seed: Uint8Array) => `tbtc-dkg-${bytesToHex(seed)}`;

/**
 * The wallet registry's DKGs: the group DKG with FROST on secp256k1 on `tbtc-dkg-<seed>`
 * channels, counted in the `performance_dkg_*` metrics.
 */
export function walletDkgExecutor(
  options: Omit<DkgExecutorOptions<Key>, 'registry' | 'scheme' | 'channelName'>,
): DkgExecutor<Key> {
  return new DkgExecutor<Key>({
    ...options,
    registry: options.chain.walletRegistry,
    scheme: FROST_DKG_SCHEME,
    channelName: walletDkgChannelName,
  });
}
