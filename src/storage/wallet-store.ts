import type { Key } from '@noble/curves/abstract/frost.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { xOnly } from '../crypto/frost-dkg.js';
import type { WalletKeys } from '../tbtc/dkg/dkg-executor.js';
import { SealedKeystore } from './sealed-keystore.js';

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
 * Wallet key shares on disk: `<dir>/wallet-<x-only key>.json`, sealed under the operator
 * password and written atomically, so a crash leaves no partial file.
 */
export class WalletStore {
  private readonly files: SealedKeystore<WalletFileContent>;

  constructor(dir: string, password: string) {
    this.files = new SealedKeystore(dir, password, 'wallet', 'walletId', '[0-9a-f]{64}');
  }

  async save(wallet: WalletKeys): Promise<string> {
    const walletId = bytesToHex(xOnly(wallet.groupPublicKey));
    const first = [...wallet.keys.values()][0];
    if (!first) throw new Error('a wallet without key shares');
    const content: WalletFileContent = {
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
    return this.files.save(walletId, content);
  }

  async loadAll(): Promise<WalletKeys[]> {
    return this.files.loadAll((content) => {
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
    });
  }
}
