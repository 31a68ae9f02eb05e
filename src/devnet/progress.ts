import type { Unsubscribe } from '../chain/types.js';
import type { ConsoleOutput } from './console-output.js';
import type { Devnet, UnexpectedExit } from './devnet.js';
import { DEVNET_GROUPS, type FormedGroup } from './groups.js';
import { readNodeStatus } from './node-status.js';
import { type NodeRow, type Overview, renderPlain, renderTable } from './progress-view.js';

const TTY_REFRESH_MS = 1000;
const PLAIN_STATUS_MS = 10_000;

/**
 * What a devnet shows while it runs: a line for every group the chain forms and every child
 * that dies, and the status of every node (from its /metrics and /diagnostics) every second on
 * a terminal, every ten seconds as plain lines otherwise.
 */
export class DevnetProgress {
  private readonly exits = new Map<string, string>();
  private readonly unsubscribe: Unsubscribe[] = [];
  private dkgStartedAt: number | undefined;
  private requestedAt: number | undefined;
  private readonly formed = new Map(DEVNET_GROUPS.map((group) => [group.kind, 0]));
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stopped = false;

  constructor(
    private readonly devnet: Devnet,
    private readonly out: ConsoleOutput,
    private readonly startedAt: number,
  ) {
    this.unsubscribe.push(devnet.onUnexpectedExit((exit) => this.childExited(exit)));
  }

  /** Follows the chain's group events; call before the devnet requests its groups. */
  watchChain(): void {
    const { observer } = this.devnet;
    this.unsubscribe.push(
      observer.walletRegistry.onDkgStarted(() => {
        this.dkgStartedAt = performance.now();
      }),
      this.devnet.watchGroups((group) => this.groupFormed(group)),
    );
    this.requestedAt = performance.now();
  }

  /** Starts the periodic status. */
  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.out.live ? TTY_REFRESH_MS : PLAIN_STATUS_MS);
  }

  /** What went wrong so far: children that died, kinds of group not formed. */
  problems(): string[] {
    return [
      ...[...this.exits].map(([name, how]) => `${name} ${how}`),
      ...[...this.formed].filter(([, count]) => count === 0).map(([kind]) => `no ${kind} formed`),
    ];
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const stop of this.unsubscribe) stop();
    this.out.release();
  }

  private childExited({ name, exit, logFile }: UnexpectedExit): void {
    const how = exit.code === null ? `signal ${exit.signal}` : `code ${exit.code}`;
    this.exits.set(name, `exited (${how})`);
    this.out.say(`${name} exited unexpectedly (${how}); its log: ${logFile}`);
  }

  private groupFormed(group: FormedGroup): void {
    this.dkgStartedAt = undefined;
    this.formed.set(group.kind, (this.formed.get(group.kind) ?? 0) + 1);
    const seats = this.devnet.nodes
      .map((node) => [node.name, group.members.filter((m) => m.operator === node.address).length] as const)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${name} ${n}`);
    const after = ((performance.now() - (this.requestedAt ?? this.startedAt)) / 1000).toFixed(1);
    this.out.say(
      `${group.kind} ${group.id.slice(0, 16)}… registered at block ${group.blockNumber}, ` +
        `${after}s after the request; seats: ${seats.join(', ')}`,
    );
  }

  private tick(): void {
    if (this.busy) return;
    this.busy = true;
    void this.render().finally(() => {
      this.busy = false;
    });
  }

  private async render(): Promise<void> {
    const { devnet } = this;
    const statuses = await Promise.all(
      devnet.nodes.map((node) =>
        devnet.isNodeRunning(node.index) ? readNodeStatus(node.metricsUrl, node.diagnosticsUrl) : undefined,
      ),
    );
    if (this.stopped) return;
    const rows: NodeRow[] = devnet.nodes.map((node, i) => ({
      name: node.name,
      state: this.exits.get(node.name) ?? (devnet.isNodeRunning(i) ? 'running' : 'stopped'),
      status: statuses[i],
    }));
    const blocks = statuses.flatMap((s) => (s?.block === undefined ? [] : [s.block]));
    const overview: Overview = {
      elapsedMs: performance.now() - this.startedAt,
      block: blocks.length ? Math.max(...blocks) : undefined,
      groups: [...this.formed].map(([kind, count]) => `${kind}s ${count}`).join(' · '),
      activity:
        this.dkgStartedAt === undefined
          ? 'no DKG running'
          : `DKG running for ${Math.round((performance.now() - this.dkgStartedAt) / 1000)}s`,
    };
    this.out.status(this.out.live ? renderTable(overview, rows) : renderPlain(overview, rows));
  }
}
