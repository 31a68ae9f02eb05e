import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './wait.js';
import { KEEP_CLIENT } from './process.js';

export interface DevnetState {
  chain: { url: string; pid: number; log: string };
  nodes: { name: string; operator: string; metrics: string; diagnostics: string; log: string; pid: number }[];
  prometheus: { url: string; pid: number } | null;
}

/** `keep-client devnet ARGS` as a child process, its stdout collected line by line. */
export function startDevnet(args: string[], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, [KEEP_CLIENT, 'devnet', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    output: () => stdout,
    /** The first stdout line matching the pattern. */
    line: (pattern: RegExp, timeoutMs: number) =>
      eventually(
        () => stdout.split('\n').find((l) => pattern.test(l)),
        (found) => found !== undefined || child.exitCode !== null,
        timeoutMs,
        `a line matching ${pattern}`,
      ).then(
        (found) => {
          if (found === undefined) throw new Error(`devnet exited; stdout:\n${stdout}\nstderr:\n${stderr}`);
          return found;
        },
        (err: Error) => {
          throw new Error(`${err.message}\nstdout so far:\n${stdout}\nstderr:\n${stderr}`);
        },
      ),
    /** SIGINT, then SIGKILL after `graceMs`; resolves when the devnet exited. */
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export const readState = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'devnet.json'), 'utf8')) as DevnetState;

/** Pids of running processes whose command line contains the text. */
export function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

export async function prometheusQuery(url: string, expr: string) {
  const body = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
    data: { result: { metric: Record<string, string> }[] };
  };
  return body.data.result;
}
