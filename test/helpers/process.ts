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

/**
 * Test nodes run with an empty KEEP_OPERATOR_PASSWORD unless a test sets one, which the node
 * refuses without this opt-in; a test overrides it (KEEP_ALLOW_EMPTY_PASSWORD: '') to see that.
 */
export const TEST_NODE_ENV: Record<string, string> = { KEEP_ALLOW_EMPTY_PASSWORD: '1' };

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stderr as the bytes written, for checks that no secret byte leaked. */
  stderrBytes: Buffer;
}

/** Runs keep-client to completion (for commands expected to exit by themselves). */
export function runCli(
  args: string[],
  options: {
    cwd?: string;
    timeoutMs?: number;
    env?: Record<string, string>;
    uid?: number;
    gid?: number;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [KEEP_CLIENT, ...args], {
      cwd: options.cwd,
      stdio: 'pipe',
      env: { ...process.env, ...TEST_NODE_ENV, ...options.env },
      uid: options.uid,
      gid: options.gid,
    });
    let stdout = '';
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderrBytes = Buffer.concat(stderr);
      resolve({ code, signal, stdout, stderr: stderrBytes.toString('utf8'), stderrBytes });
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
    env: { ...TEST_NODE_ENV, ...options.env },
    onLogLine: (entry) => logs.push(entry),
  });
  return { ...started, logs };
}
