import type { Key } from '@noble/curves/abstract/frost.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { walletIdOf } from '../crypto/wallet-id.js';
import type { GroupKeys } from '../dkg/group-keys.js';
import { SealedGroupStore } from './sealed-group-store.js';

type WalletKeys = GroupKeys<Key>;

/** The sealed content of a wallet file: everything this node holds of one wallet. */
interface WalletFileContent {
  seed: string;
  groupPublicKey: string;
  group: string[];
  qualifiedSeats: number[];
  public: { min: number; max: number; commitments: string[]; verifyingShares: Record<string, string> };
  seats: { seat: number; identifier: string; signingShare: string }[];
}

/** Wallet key shares on disk (see SealedGroupStore). */
export class WalletStore extends SealedGroupStore<WalletKeys, WalletFileContent> {
  constructor(dir: string, password: string) {
    super(dir, password, {
      kind: 'wallet',
      idKey: 'walletId',
      idPattern: '[0-9a-f]{64}',
      idOf: walletIdOf,
      contentOf,
      groupOf: walletOf,
    });
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
