import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bin/keep-client.js, from the compiled helper at dist/test/helpers/. */
export const KEEP_CLIENT = fileURLToPath(new URL('../../../bin/keep-client.js', import.meta.url));

export function tempDir(prefix = 'keep-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A loopback TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
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

export interface NodeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Parsed JSON log lines seen so far. */
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends the signal and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
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

function startKeepClient(
  argv: string[],
  readyMessage: string,
  options: { readyTimeoutMs?: number; env?: Record<string, string> } = {},
): Promise<NodeProcess> {
  const child = spawn(process.execPath, [KEEP_CLIENT, ...argv], {
    stdio: 'pipe',
    env: { ...process.env, ...options.env },
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`keep-client ${argv[0]} did not start in time; stderr: ${stderr}`));
    }, options.readyTimeoutMs ?? 20_000);
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === readyMessage) {
            clearTimeout(timer);
            resolve({
              child,
              pid: child.pid!,
              logs,
              exited,
              stop: (signal = 'SIGTERM') => {
                if (child.exitCode === null && child.signalCode === null) child.kill(signal);
                return exited;
              },
            });
          }
        } catch {
          // not a log line
        }
      }
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`keep-client ${argv[0]} exited with ${code} before it started; stderr: ${stderr}`));
    });
  });
}
