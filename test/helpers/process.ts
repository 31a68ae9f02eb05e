import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KEEP_CLIENT,
  type KeepClientProcess,
  spawnKeepClient,
} from '../../src/devnet/keep-client-process.js';

export { freePort } from '../../src/devnet/free-port.js';
export { KEEP_CLIENT };

export function tempDir(prefix = 'keep-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs keep-client to completion (for commands expected to exit by themselves). */
export function runCli(
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [KEEP_CLIENT, ...args], { cwd: options.cwd, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface NodeProcess extends KeepClientProcess {
  /** Parsed JSON log lines seen so far. */
  readonly logs: Record<string, unknown>[];
}

/** Starts `keep-client start ARGS` (libp2p on a free loopback port) and resolves once it logged "node started". */
export function startNodeProcess(
  args: string[],
  options: { readyTimeoutMs?: number; env?: Record<string, string> } = {},
): Promise<NodeProcess> {
  // Tests never take the default libp2p port; explicit flags later in args win.
  const defaults = ['--network.port', '0', '--network.address', '127.0.0.1'];
  return startKeepClient(['start', ...defaults, ...args], 'node started', options);
}

/** Starts `keep-client chain ARGS` and resolves once it logged "chain server started". */
export function startChainProcess(args: string[]): Promise<NodeProcess> {
  return startKeepClient(['chain', ...args], 'chain server started');
}

async function startKeepClient(
  argv: string[],
  readyMessage: string,
  options: { readyTimeoutMs?: number; env?: Record<string, string> } = {},
): Promise<NodeProcess> {
  const logs: Record<string, unknown>[] = [];
  const started = await spawnKeepClient(argv, {
    readyMessage,
    readyTimeoutMs: options.readyTimeoutMs,
    env: options.env,
    onLogLine: (entry) => logs.push(entry),
  });
  return { ...started, logs };
}
