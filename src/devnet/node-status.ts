import { type Family, parseExposition, sampleValue } from '../clientinfo/exposition-parser.js';

/** What the progress display shows of one node, read from its /metrics and /diagnostics. */
export interface NodeStatus {
  readonly peers: number;
  readonly block: number | undefined;
  /** Seats this node took in DKGs, and the DKGs it finished. */
  readonly dkgSeats: number;
  readonly dkgOk: number;
  readonly dkgFailed: number;
  readonly wallets: number;
  readonly signaturesOk: number;
  readonly signaturesFailed: number;
  readonly heartbeatsOk: number;
  readonly heartbeatsFailed: number;
  /** Relay entries this node helped produce that the chain accepted, and its failed attempts. */
  readonly relayOk: number;
  readonly relayFailed: number;
  /** Sum of every `*_failed_total` counter. */
  readonly failures: number;
}

interface Diagnostics {
  connected_peers?: unknown[];
  wallets?: unknown[];
  eth_chain_info?: { latest_block_number?: number };
}

/** Reads a node's status; undefined when it does not answer in time. */
export async function readNodeStatus(
  metricsUrl: string,
  diagnosticsUrl: string,
  timeoutMs = 5000,
): Promise<NodeStatus | undefined> {
  try {
    const [metrics, diagnostics] = await Promise.all([
      fetch(metricsUrl, { signal: AbortSignal.timeout(timeoutMs) }).then((r) => r.text()),
      fetch(diagnosticsUrl, { signal: AbortSignal.timeout(timeoutMs) }).then(
        (r) => r.json() as Promise<Diagnostics>,
      ),
    ]);
    return statusOf(parseExposition(metrics), diagnostics);
  } catch {
    return undefined;
  }
}

export function statusOf(families: Map<string, Family>, diagnostics: Diagnostics): NodeStatus {
  const value = (name: string, labels: Record<string, string> = {}) =>
    sampleValue(families, name, labels) ?? 0;
  let failures = 0;
  for (const family of families.values())
    for (const sample of family.samples) if (sample.name.endsWith('_failed_total')) failures += sample.value;
  return {
    peers: diagnostics.connected_peers?.length ?? 0,
    block: diagnostics.eth_chain_info?.latest_block_number,
    dkgSeats: value('performance_dkg_joined_total'),
    dkgOk: value('performance_dkg_duration_seconds_count', { outcome: 'success' }),
    dkgFailed: value('performance_dkg_duration_seconds_count', { outcome: 'failure' }),
    wallets: diagnostics.wallets?.length ?? 0,
    signaturesOk: value('performance_signing_success_total'),
    signaturesFailed: value('performance_signing_failed_total'),
    heartbeatsOk: value('performance_wallet_action_success_total', { action: 'heartbeat' }),
    heartbeatsFailed: value('performance_wallet_action_failed_total', { action: 'heartbeat' }),
    relayOk: value('performance_relay_entry_success_total'),
    relayFailed: value('performance_relay_entry_failed_total'),
    failures,
  };
}
