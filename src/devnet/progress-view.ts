import { formatDuration } from '../config/duration.js';
import type { NodeStatus } from './node-status.js';

export interface NodeRow {
  readonly name: string;
  /** running, starting, stopped, or how it exited. */
  readonly state: string;
  /** Unset while the node does not answer. */
  readonly status: NodeStatus | undefined;
}

export interface Overview {
  readonly elapsedMs: number;
  readonly block: number | undefined;
  /** Groups formed so far, e.g. "wallets 1". */
  readonly groups: string;
  /** What the chain is doing about groups, e.g. "DKG running for 4s". */
  readonly activity: string;
}

const COLUMNS = [
  ['node', (r: NodeRow) => r.name],
  ['state', (r: NodeRow) => r.state],
  ['peers', (r: NodeRow) => r.status?.peers],
  ['block', (r: NodeRow) => r.status?.block],
  ['dkg ok/fail', (r: NodeRow) => r.status && `${r.status.dkgOk}/${r.status.dkgFailed}`],
  ['seats', (r: NodeRow) => r.status?.dkgSeats],
  ['wallets', (r: NodeRow) => r.status?.wallets],
  ['signatures ok/fail', (r: NodeRow) => r.status && `${r.status.signaturesOk}/${r.status.signaturesFailed}`],
  ['heartbeats ok/fail', (r: NodeRow) => r.status && `${r.status.heartbeatsOk}/${r.status.heartbeatsFailed}`],
  ['relay ok/fail', (r: NodeRow) => r.status && `${r.status.relayOk}/${r.status.relayFailed}`],
  ['failures', (r: NodeRow) => r.status?.failures],
] as const;

const seconds = (ms: number) => formatDuration(Math.floor(ms / 1000) * 1000);

export function overviewLine(overview: Overview): string {
  const block = overview.block === undefined ? '-' : String(overview.block);
  return `devnet up ${seconds(overview.elapsedMs)} · block ${block} · ${overview.groups} · ${overview.activity}`;
}

/** The live table: an overview line, a header and one aligned row per node. */
export function renderTable(overview: Overview, rows: readonly NodeRow[]): string[] {
  const cells = rows.map((row) => COLUMNS.map(([, cell]) => String(cell(row) ?? '-')));
  const widths = COLUMNS.map(([title], i) => Math.max(title.length, ...cells.map((r) => r[i]!.length)));
  // Text columns left-aligned, numbers right-aligned.
  const line = (values: string[]) =>
    values.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [overviewLine(overview), line(COLUMNS.map(([title]) => title)), ...cells.map(line)].map((l) =>
    l.trimEnd(),
  );
}

/** The same information as key=value log lines, for a stdout that is not a terminal. */
export function renderPlain(overview: Overview, rows: readonly NodeRow[]): string[] {
  return [
    overviewLine(overview),
    ...rows.map((row) => {
      const s = row.status;
      if (!s) return `${row.name} ${row.state}`;
      return (
        `${row.name} ${row.state} peers=${s.peers} block=${s.block ?? '-'} dkg=${s.dkgOk}/${s.dkgFailed} ` +
        `seats=${s.dkgSeats} wallets=${s.wallets} signatures=${s.signaturesOk}/${s.signaturesFailed} ` +
        `heartbeats=${s.heartbeatsOk}/${s.heartbeatsFailed} relay=${s.relayOk}/${s.relayFailed} failures=${s.failures}`
      );
    }),
  ];
}
