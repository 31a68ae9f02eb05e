import { OperatorKeyError } from './operator-key-file.js';

/** Set to 1 to let a throw-away test or devnet node seal its keys under an empty password. */
export const ALLOW_EMPTY_PASSWORD_ENV = 'KEEP_ALLOW_EMPTY_PASSWORD';

/**
 * The password that seals the operator key and key shares, from KEEP_OPERATOR_PASSWORD. An
 * empty one is refused, for new and existing files alike, unless the opt-in is set.
 */
export function operatorPassword(env: NodeJS.ProcessEnv): { password: string; empty: boolean } {
  const password = env.KEEP_OPERATOR_PASSWORD ?? '';
  if (password === '' && env[ALLOW_EMPTY_PASSWORD_ENV] !== '1') {
    throw new OperatorKeyError(
      `KEEP_OPERATOR_PASSWORD is empty or unset: set it (or ${ALLOW_EMPTY_PASSWORD_ENV}=1 for a throw-away test node)`,
    );
  }
  return { password, empty: password === '' };
}
