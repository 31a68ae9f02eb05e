import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** bin/keep-client.js, from the compiled module at dist/src/devnet/. */
export const KEEP_CLIENT = fileURLToPath(new URL('../../../bin/keep-client.js', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface KeepClientProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  /** Whether the process has not exited yet. */
  running(): boolean;
  /** Sends the signal (if still running) and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

export interface SpawnOptions {
  /** The `msg` of the JSON log line that means the process is ready. */
  readonly readyMessage: string;
  readonly readyTimeoutMs?: number;
  readonly env?: Record<string, string>;
  /** Appends the child's stdout and stderr to this file. */
  readonly logFile?: string;
  /** Called with every parsed JSON log line of stdout. */
  readonly onLogLine?: (entry: Record<string, unknown>) => void;
  /** Own process group: a terminal's Ctrl-C reaches only the parent, which stops the child itself. */
  readonly detached?: boolean;
}

/** Starts `keep-client ARGV` and resolves once it logged the ready message. */
export function spawnKeepClient(argv: string[], options: SpawnOptions): Promise<KeepClientProcess> {
  const child = spawn(process.execPath, [KEEP_CLIENT, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The child stops by itself if this process is killed outright (it runs in its own group).
    env: { ...process.env, ...options.env, KEEP_PARENT_PID: String(process.pid) },
    detached: options.detached ?? false,
  });
  const log: WriteStream | undefined = options.logFile
    ? createWriteStream(options.logFile, { flags: 'a' })
    : undefined;
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  // Output can still arrive after 'exit'; 'close' comes once stdout and stderr are drained.
  child.on('close', () => log?.end());
  const running = () => child.exitCode === null && child.signalCode === null;
  const handle: KeepClientProcess = {
    child,
    pid: child.pid!,
    exited,
    running,
    stop: (signal = 'SIGTERM') => {
      if (running()) child.kill(signal);
      return exited;
    },
  };
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    log?.write(chunk);
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`keep-client ${argv[0]} did not start in time; stderr: ${stderr}`));
    }, options.readyTimeoutMs ?? 20_000);
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      log?.write(chunk);
      if (ready && !options.onLogLine) return;
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue; // not a log line
        }
        options.onLogLine?.(entry);
        if (!ready && entry.msg === options.readyMessage) {
          ready = true;
          clearTimeout(timer);
          resolve(handle);
        }
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      if (!ready)
        reject(
          new Error(
            `keep-client ${argv[0]} exited with ${code ?? signal} before it started; stderr: ${stderr.trim()}`,
          ),
        );
    });
  });
}
