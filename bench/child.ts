/** Bench helpers shared by the multi-process benchmarks: forked nodes driven over IPC. */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';

type Reply = { id: number; result?: unknown; error?: string };

/** A forked node and a request/reply protocol over its IPC channel. */
export class Child<Request extends { cmd: string }> {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (err: Error) => void }
  >();
  private readonly exited: Promise<unknown>;

  constructor(private readonly process: ChildProcess) {
    this.exited = once(process, 'exit');
    process.on('message', (reply: Reply) => {
      const call = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.error === undefined) call?.resolve(reply.result);
      else call?.reject(new Error(reply.error));
    });
    process.on('exit', (code) => {
      for (const call of this.pending.values()) call.reject(new Error(`node exited with ${code}`));
      this.pending.clear();
    });
  }

  static fork<Request extends { cmd: string }>(script: string): Child<Request> {
    return new Child(fork(script, [], { serialization: 'advanced', stdio: ['ignore', 2, 2, 'ipc'] }));
  }

  call<T>(request: Request, timeoutMs = 20_000): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${request.cmd} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      this.process.send({ id, request });
    });
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.connected)
      await this.call({ cmd: 'stop' } as Request, 5_000).catch(() => {});
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 3_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * The child side: answers each request with the handler's result or its error, exits after
 * answering `stop`, when the parent goes away, or after `lifetimeMs` (a child whose
 * coordinator vanished must not linger).
 */
export function serveRequests<Request extends { cmd: string }>(
  handle: (request: Request) => Promise<unknown>,
  lifetimeMs: number,
): void {
  process.on('message', (message: { id: number; request: Request }) => {
    handle(message.request).then(
      (result) => {
        const stopping = message.request.cmd === 'stop';
        process.send?.({ id: message.id, result }, undefined, {}, () => stopping && process.exit(0));
      },
      (err: Error) => process.send?.({ id: message.id, error: err.stack ?? err.message }),
    );
  });
  // libp2p keeps ref'd timers for about a second after stop; nothing is left to wait for.
  process.on('disconnect', () => process.exit(0));
  setTimeout(() => process.exit(2), lifetimeMs).unref();
}

export { freePort } from '../src/devnet/free-port.js';

export function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}
