import { spawnSync } from 'node:child_process';

/**
 * Whether an external tool (promtool, prometheus) is on the PATH. Tests that need one are
 * skipped on a developer machine without it, but fail in CI (CI=true), where .ci/run installs it.
 */
export function toolSkipReason(tool: string): string | false {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  if (found) return false;
  if (process.env.CI)
    throw new Error(`${tool} is not installed; .ci/run must install it (apt-get install prometheus)`);
  return `${tool} is not installed (apt-get install prometheus)`;
}
