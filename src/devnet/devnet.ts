import { pino } from 'pino';
import { type ChainClient, connectChain } from '../chain/rpc/chain-client.js';
import type { Unsubscribe } from '../chain/types.js';
import { generateOperatorKey } from '../crypto/operator-key.js';
import { DEVNET_GROUPS, type FormedGroup } from './groups.js';
import { type Exit, type KeepClientProcess, spawnKeepClient } from './keep-client-process.js';
import { DevnetLayout, type NodeSetup } from './layout.js';
import type { DevnetShape } from './shape.js';

export interface UnexpectedExit {
  readonly name: string;
  readonly exit: Exit;
  readonly logFile: string;
}

/** How long a child gets to stop after SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;
const START_TIMEOUT_MS = 60_000;
/** Start attempts when a picked port was taken by another process in the meantime. */
const START_ATTEMPTS = 3;

/**
 * The devnet orchestrator: a `keep-client chain` process and N `keep-client start` processes
 * laid out in one directory, each child's output in its log file. The CLI drives it, and so
 * can a test: start, wait for the mesh, request groups, stop or restart one node, stop.
 */
export class Devnet {
  private chainProcess: KeepClientProcess | undefined;
  private readonly nodeProcesses: (KeepClientProcess | undefined)[];
  private readonly stoppedOnPurpose = new WeakSet<KeepClientProcess>();
  private readonly exitListeners = new Set<(exit: UnexpectedExit) => void>();
  private observerClient: ChainClient | undefined;

  private constructor(
    readonly layout: DevnetLayout,
    readonly shape: DevnetShape,
    private readonly password: string,
  ) {
    this.nodeProcesses = layout.nodes.map(() => undefined);
  }

  /** Writes keys and configurations into DIR; starts nothing. */
  static async prepare(options: { dir: string; shape: DevnetShape; password: string }): Promise<Devnet> {
    const layout = await DevnetLayout.write(options.dir, options.shape, options.password);
    return new Devnet(layout, options.shape, options.password);
  }

  get nodes(): readonly NodeSetup[] {
    return this.layout.nodes;
  }

  /** A chain client of the devnet itself (not an operator): it requests groups and watches events. */
  get observer(): ChainClient {
    if (!this.observerClient) throw new Error('the devnet is not started');
    return this.observerClient;
  }

  /** Starts the chain, then every node at once, then connects the observer. */
  async start(): Promise<void> {
    await this.startChain();
    const started = await Promise.allSettled(this.nodes.map((node) => this.startNode(node.index)));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    this.observerClient = await connectChain({
      url: this.layout.chain.url,
      key: generateOperatorKey(),
      log: pino({ level: 'silent' }),
    });
  }

  async startChain(): Promise<void> {
    // Nodes that already run know the chain's URL: its port may change only before they start.
    const canMove = !this.nodeProcesses.some((proc) => proc?.running());
    this.chainProcess = await this.retryingPortConflicts(canMove ? 'chain' : undefined, () => {
      const { chain } = this.layout;
      return this.spawn('chain', ['chain', '--config', chain.configFile], {
        readyMessage: 'chain server started',
        logFile: chain.logFile,
      });
    });
  }

  async startNode(index: number): Promise<void> {
    // A node whose ports move is still found: it dials the others, whose addresses it knows.
    this.nodeProcesses[index] = await this.retryingPortConflicts(index, () => {
      const node = this.nodes[index]!;
      return this.spawn(node.name, ['start', '--config', node.configFile], {
        readyMessage: 'node started',
        logFile: node.logFile,
        env: { KEEP_OPERATOR_PASSWORD: this.password },
      });
    });
  }

  /** Stops one node on purpose (not reported as unexpected). */
  async stopNode(index: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit | undefined> {
    const proc = this.nodeProcesses[index];
    return proc ? this.stopProcess(proc, signal) : undefined;
  }

  async stopChain(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit | undefined> {
    return this.chainProcess ? this.stopProcess(this.chainProcess, signal) : undefined;
  }

  isNodeRunning(index: number): boolean {
    return this.nodeProcesses[index]?.running() ?? false;
  }

  /** Pids of the children that are running. */
  pids(): { name: string; pid: number }[] {
    const all = [
      { name: 'chain', proc: this.chainProcess },
      ...this.nodes.map((node, i) => ({ name: node.name, proc: this.nodeProcesses[i] })),
    ];
    return all.flatMap(({ name, proc }) => (proc?.running() ? [{ name, pid: proc.pid }] : []));
  }

  /** Resolves once every running node is connected to every other running node. */
  async waitForMesh(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const running = this.nodes.filter((node) => this.isNodeRunning(node.index));
      const counts = await Promise.all(running.map((node) => connectedPeers(node.diagnosticsUrl)));
      if (counts.every((count) => count >= running.length - 1)) return true;
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * Asks the chain for the first devnet group (the wallet) and, as each group forms, for the
   * next (the beacon group): the local chain runs one DKG at a time. Resolves after the first
   * request; a later request that fails goes to `onLaterFailure`.
   */
  async requestGroups(onLaterFailure: (error: Error) => void = () => {}): Promise<void> {
    const [first, ...rest] = DEVNET_GROUPS;
    if (!first) return;
    let formed = this.nextGroup(first.kind);
    await first.request(this.observer);
    for (const next of rest) {
      const after = formed;
      formed = this.nextGroup(next.kind);
      void after.then(() => next.request(this.observer)).catch(onLaterFailure);
    }
  }

  /** Calls the listener for every group the chain forms. */
  watchGroups(listener: (group: FormedGroup) => void): Unsubscribe {
    const stops = DEVNET_GROUPS.map((group) => group.onFormed(this.observer, listener));
    return () => {
      for (const stop of stops) stop();
    };
  }

  /** The next group of this kind the chain forms. */
  nextGroup(kind: string): Promise<FormedGroup> {
    return new Promise((resolve) => {
      const stop = this.watchGroups((group) => {
        if (group.kind !== kind) return;
        stop();
        resolve(group);
      });
    });
  }

  /** Reports a child that exits without having been asked to. */
  onUnexpectedExit(listener: (exit: UnexpectedExit) => void): Unsubscribe {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Stops every node, then the chain; a child still running after the grace period is killed. */
  async stop(): Promise<void> {
    await this.observerClient?.close().catch(() => {});
    this.observerClient = undefined;
    await Promise.all(this.nodeProcesses.map((proc) => proc && this.stopProcess(proc, 'SIGTERM')));
    await this.stopChain();
  }

  /** Last resort when the devnet process itself is going away: SIGKILL to every child, synchronously. */
  killAll(): void {
    for (const proc of [this.chainProcess, ...this.nodeProcesses]) {
      if (proc?.running()) {
        this.stoppedOnPurpose.add(proc);
        proc.child.kill('SIGKILL');
      }
    }
  }

  private async spawn(
    name: string,
    argv: string[],
    options: { readyMessage: string; logFile: string; env?: Record<string, string> },
  ): Promise<KeepClientProcess> {
    const proc = await spawnKeepClient(argv, {
      ...options,
      readyTimeoutMs: START_TIMEOUT_MS,
      detached: true,
    }).catch((err: Error) => {
      throw new Error(`${name} failed to start (log: ${options.logFile}): ${err.message}`);
    });
    void proc.exited.then((exit) => {
      if (this.stoppedOnPurpose.has(proc)) return;
      for (const listener of this.exitListeners) listener({ name, exit, logFile: options.logFile });
    });
    return proc;
  }

  private async retryingPortConflicts(
    target: 'chain' | number | undefined,
    start: () => Promise<KeepClientProcess>,
  ): Promise<KeepClientProcess> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await start();
      } catch (err) {
        const conflict = /\bEADDRINUSE\b/.test((err as Error).message);
        if (!conflict || target === undefined || attempt === START_ATTEMPTS) throw err;
        await this.layout.repickPorts(target);
      }
    }
  }

  private async stopProcess(proc: KeepClientProcess, signal: NodeJS.Signals): Promise<Exit> {
    this.stoppedOnPurpose.add(proc);
    const killer = setTimeout(() => proc.child.kill('SIGKILL'), STOP_GRACE_MS);
    const exit = await proc.stop(signal);
    clearTimeout(killer);
    return exit;
  }
}

/** Connected peers from a node's /diagnostics; 0 while it does not answer. */
async function connectedPeers(diagnosticsUrl: string): Promise<number> {
  try {
    const response = await fetch(diagnosticsUrl, { signal: AbortSignal.timeout(2000) });
    const body = (await response.json()) as { connected_peers?: unknown[] };
    return body.connected_peers?.length ?? 0;
  } catch {
    return 0;
  }
}
