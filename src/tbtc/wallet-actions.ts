/** Every wallet action type of the tBTC wallet dispatcher (keep-core's `WalletActionType`). */
export const WALLET_ACTIONS = [
  'heartbeat',
  'deposit_sweep',
  'redemption',
  'moving_funds',
  'moved_funds_sweep',
] as const;
export type WalletAction = (typeof WALLET_ACTIONS)[number];
