import { parseExposition } from '../clientinfo/exposition-parser.js';
import type { Devnet } from './devnet.js';
import type { FormedGroup } from './groups.js';

/**
 * The devnet's deterministic scenario: it drives every metric family at least once, failure
 * paths included, and says what it did at each step.
 *
 * 1. groups: a wallet, then a beacon group (DKG, result approval; network traffic, pings).
 * 2. healthy: every node signs heartbeats (coordination → dispatcher → signing) and the chain
 *    accepts relay entries.
 * 3. stop: the nodes holding the most seats are stopped until both groups are below their
 *    thresholds (peer disconnections). The next heartbeat cannot reach its threshold and signs
 *    until its deadline, which outlasts a coordination window, so the window after it finds the
 *    wallet busy (a dispatcher rejection) and the signing ends in a timeout; the pending relay
 *    request cannot be answered and is reported as timed out.
 * 4. restart: the stopped nodes start again from their stored keys and reconnect (new peer
 *    connections and ping tests).
 */
export interface ScenarioOptions {
  /** Each step must be reached within this long. */
  readonly stepTimeoutMs: number;
  readonly say: (line: string) => void;
}

export interface ScenarioReport {
  readonly wallet: FormedGroup;
  readonly beaconGroup: FormedGroup;
  /** Names of the nodes stopped in step 3. */
  readonly stopped: string[];
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

export async function runScenario(devnet: Devnet, options: ScenarioOptions): Promise<ScenarioReport> {
  const { say } = options;
  const step = <T>(what: string, run: () => Promise<T>) => within(options.stepTimeoutMs, what, run);
  const until = (what: string, check: () => Promise<boolean>) => poll(options.stepTimeoutMs, what, check);

  say('scenario 1/4: requesting a wallet, then a beacon group');
  const wallet = devnet.nextGroup('wallet');
  const beaconGroup = devnet.nextGroup('beacon group');
  await devnet.requestGroups((err) => say(`scenario: a group request failed: ${err.message}`));
  const formed = await step('the wallet and the beacon group form', () => Promise.all([wallet, beaconGroup]));
  say(`scenario: wallet ${formed[0].id.slice(0, 16)}… and beacon group ${formed[1].id} formed`);

  say('scenario 2/4: waiting for heartbeats on every wallet member and accepted relay entries');
  const entries = countRelayEntries(devnet);
  // Seats are drawn by stake independently: a node may hold none of the wallet's.
  const walletMembers = devnet.nodes.filter((node) =>
    formed[0].members.some((member) => member.operator === node.address),
  );
  await until('every wallet member signs a heartbeat and two relay entries land', async () => {
    const heartbeats = await Promise.all(
      walletMembers.map((node) =>
        metricOf(node.metricsUrl, 'performance_wallet_action_success_total', { action: 'heartbeat' }),
      ),
    );
    return heartbeats.every((count) => count >= 1) && entries.count >= 2;
  });
  entries.stop();
  say(`scenario: heartbeats signed on every wallet member; ${entries.count} relay entries accepted`);

  const stopped = nodesToStop(devnet, [formed[0], formed[1]]);
  say(`scenario 3/4: stopping ${stopped.map((n) => devnet.nodes[n]!.name).join(', ')} (the most seats)`);
  for (const index of stopped) await devnet.stopNode(index);
  const running = devnet.nodes.filter((node) => devnet.isNodeRunning(node.index));
  const sum = async (name: string) =>
    (await Promise.all(running.map((node) => metricOf(node.metricsUrl, name)))).reduce((a, b) => a + b, 0);
  await until('a signing timeout, a busy-wallet rejection and a relay entry timeout report', async () => {
    const [timeouts, rejected, reported] = await Promise.all([
      sum('performance_signing_timeouts_total'),
      sum('performance_wallet_dispatcher_rejected_total'),
      sum('performance_relay_entry_timeout_reported_total'),
    ]);
    return timeouts >= 1 && rejected >= 1 && reported >= 1;
  });
  say(`scenario 4/4: restarting ${stopped.map((n) => devnet.nodes[n]!.name).join(', ')}`);
  for (const index of stopped) await devnet.startNode(index);
  if (!(await devnet.waitForMesh(options.stepTimeoutMs)))
    throw new ScenarioError('scenario: the restarted nodes did not reconnect to every other node');
  say('scenario complete: every metric family moved, failure paths included');
  return { wallet: formed[0], beaconGroup: formed[1], stopped: stopped.map((n) => devnet.nodes[n]!.name) };
}

/**
 * Node indexes to stop, most seats first, until every group has fewer seats on running nodes
 * than its threshold; at least one node keeps running to report and be scraped.
 */
function nodesToStop(devnet: Devnet, groups: FormedGroup[]): number[] {
  const thresholds = [devnet.shape.wallet.honestThreshold, devnet.shape.beacon.honestThreshold];
  const seatsOf = (group: FormedGroup, index: number) =>
    group.members.filter((m) => m.operator === devnet.nodes[index]!.address).length;
  const online = (group: FormedGroup, stopped: number[]) =>
    group.members.length - stopped.reduce((sum, index) => sum + seatsOf(group, index), 0);
  const byWeight = devnet.nodes
    .map((node) => node.index)
    .sort((a, b) => groups.reduce((s, g) => s + seatsOf(g, b) - seatsOf(g, a), 0));
  const stopped: number[] = [];
  for (const index of byWeight) {
    if (groups.every((group, i) => online(group, stopped) < thresholds[i]!)) break;
    stopped.push(index);
  }
  if (stopped.length >= devnet.nodes.length || !groups.every((g, i) => online(g, stopped) < thresholds[i]!)) {
    throw new ScenarioError('no node can keep running with both groups below their thresholds');
  }
  return stopped;
}

function countRelayEntries(devnet: Devnet): { readonly count: number; stop(): void } {
  let count = 0;
  const stop = devnet.observer.randomBeacon.onRelayEntrySubmitted(() => {
    count++;
  });
  return {
    get count() {
      return count;
    },
    stop,
  };
}

async function metricOf(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  try {
    const body = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();
    let sum = 0;
    for (const family of parseExposition(body).values()) {
      for (const sample of family.samples) {
        if (sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v))
          sum += sample.value;
      }
    }
    return sum;
  } catch {
    return 0;
  }
}

async function poll(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new ScenarioError(`scenario: not within ${ms / 1000}s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function within<T>(ms: number, what: string, run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ScenarioError(`scenario: not within ${ms / 1000}s: ${what}`)), ms);
  });
  try {
    return await Promise.race([run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
