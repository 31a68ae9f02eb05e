import { join } from 'node:path';
import type { BeaconGroupKeys } from '../beacon/relay-executor.js';
import type { Logger } from '../log.js';
import { BeaconStore } from '../storage/beacon-store.js';
import { prepareKeyDir } from '../storage/key-dir.js';
import type { TempFileRecovery } from '../storage/key-share-files.js';
import { WalletStore } from '../storage/wallet-store.js';
import type { WalletKeys } from '../tbtc/wallet-keys.js';

export interface Keystores {
  readonly tbtc: { readonly store: WalletStore; readonly wallets: WalletKeys[] };
  readonly beacon: { readonly store: BeaconStore; readonly groups: BeaconGroupKeys[] };
}

/**
 * Opens the wallet and beacon keystores under `<storage>/keystore`, settles the temporary files
 * a crashed write left and loads the key shares. The node does this before it joins the network,
 * so that a key-share file it cannot read stops start-up first.
 */
export async function openKeystores(storageDir: string, password: string, log: Logger): Promise<Keystores> {
  const dir = join(storageDir, 'keystore');
  prepareKeyDir(dir, { tighten: true });
  const walletStore = new WalletStore(join(dir, 'tbtc'), password);
  logTempFileRecovery(log, await walletStore.recoverTempFiles());
  const wallets = await walletStore.loadAll();
  const beaconStore = new BeaconStore(join(dir, 'beacon'), password);
  logTempFileRecovery(log, await beaconStore.recoverTempFiles());
  const groups = await beaconStore.loadAll();
  return { tbtc: { store: walletStore, wallets }, beacon: { store: beaconStore, groups } };
}

/** One line per temporary key-share file a crashed write left: recovered, removed or kept. */
function logTempFileRecovery(log: Logger, recovery: TempFileRecovery): void {
  for (const path of recovery.recovered)
    log.warn({ path }, 'recovered a complete key-share file that a crash left in a temporary file');
  for (const path of recovery.removed)
    log.warn({ path }, 'removed a partial key-share file that a crash left in a temporary file');
  for (const path of recovery.unreadable)
    log.error({ path }, 'a temporary key-share file does not open with this password; left in place');
}
