import type { Key } from '@noble/curves/abstract/frost.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { walletIdOf } from '../crypto/wallet-id.js';
import type { GroupKeys } from '../dkg/group-keys.js';

type WalletKeys = GroupKeys<Key>;

import { KeyShareFiles, type TempFileRecovery } from './key-share-files.js';

/** The sealed content of a wallet file: everything this node holds of one wallet. */
interface WalletFileContent {
  seed: string;
  groupPublicKey: string;
  group: string[];
  qualifiedSeats: number[];
  public: { min: number; max: number; commitments: string[]; verifyingShares: Record<string, string> };
  seats: { seat: number; identifier: string; signingShare: string }[];
}

/**
 * Wallet key shares on disk: `<dir>/wallet-<x-only key>.json` for registered wallets and
 * `<dir>/pending-wallet-<x-only key>.json` for shares a DKG produced whose wallet is not
 * registered yet, sealed under the operator password and written atomically.
 */
export class WalletStore {
  private readonly files: KeyShareFiles<WalletFileContent>;

  constructor(dir: string, password: string) {
    this.files = new KeyShareFiles(dir, password, 'wallet', 'walletId', '[0-9a-f]{64}');
  }

  /** Writes the shares of a registered wallet. */
  save(wallet: WalletKeys): Promise<string> {
    return this.files.save(walletIdOf(wallet.groupPublicKey), contentOf(wallet));
  }

  /** Writes the shares the moment the DKG produced them, before its result is signed. */
  savePending(wallet: WalletKeys): Promise<string> {
    return this.files.savePending(walletIdOf(wallet.groupPublicKey), contentOf(wallet));
  }

  /** The wallet was registered: its pending shares become active. */
  activate(groupPublicKey: Uint8Array): string | undefined {
    return this.files.activate(walletIdOf(groupPublicKey));
  }

  /** The DKG registered another wallet or timed out: its pending shares are removed. */
  discard(groupPublicKey: Uint8Array): void {
    this.files.discard(walletIdOf(groupPublicKey));
  }

  recoverTempFiles(): Promise<TempFileRecovery> {
    return this.files.recoverTempFiles();
  }

  async loadAll(): Promise<WalletKeys[]> {
    return this.files.loadAll(walletOf);
  }

  async loadPending(): Promise<WalletKeys[]> {
    return this.files.loadPending(walletOf);
  }
}

function contentOf(wallet: WalletKeys): WalletFileContent {
  const first = [...wallet.keys.values()][0];
  if (!first) throw new Error('a wallet without key shares');
  return {
    seed: bytesToHex(wallet.seed),
    groupPublicKey: bytesToHex(wallet.groupPublicKey),
    group: [...wallet.group],
    qualifiedSeats: [...wallet.qualifiedSeats],
    public: {
      min: first.public.signers.min,
      max: first.public.signers.max,
      commitments: first.public.commitments.map(bytesToHex),
      verifyingShares: Object.fromEntries(
        Object.entries(first.public.verifyingShares).map(([id, point]) => [id, bytesToHex(point)]),
      ),
    },
    seats: [...wallet.keys].map(([seat, key]) => ({
      seat,
      identifier: key.secret.identifier,
      signingShare: bytesToHex(key.secret.signingShare),
    })),
  };
}

function walletOf(content: WalletFileContent): WalletKeys {
  const pub = {
    signers: { min: content.public.min, max: content.public.max },
    commitments: content.public.commitments.map(hexToBytes),
    verifyingShares: Object.fromEntries(
      Object.entries(content.public.verifyingShares).map(([id, point]) => [id, hexToBytes(point)]),
    ),
  } as Key['public'];
  return {
    seed: hexToBytes(content.seed),
    groupPublicKey: hexToBytes(content.groupPublicKey),
    group: content.group,
    qualifiedSeats: content.qualifiedSeats,
    keys: new Map(
      content.seats.map((s) => [
        s.seat,
        {
          public: pub,
          secret: { identifier: s.identifier, signingShare: hexToBytes(s.signingShare) } as Key['secret'],
        },
      ]),
    ),
  };
}
