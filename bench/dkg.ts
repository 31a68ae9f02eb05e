/**
 * Wallet DKG: 100 seats, threshold 51 (quorum 90), on node processes over libp2p and a chain
 * server (a devnet in production shape), against noble's reference DKG rounds called directly
 * for every member (n=30, t=16).
 * Run: npm run bench:dkg   (BENCH_NODES=2 BENCH_RUNS=3 BENCH_BLOCK_MS=100 are the defaults)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { schnorr_FROST } from '@noble/curves/secp256k1.js';
import type { DkgResultSubmittedEvent, WalletRegisteredEvent } from '../src/chain/types.js';
import {
  dealersWithInvalidShares,
  dealRound1,
  finalizeKeys,
  invalidDealers,
  type ReceivedShare,
  sharesFor,
} from '../src/crypto/frost-dkg.js';
import { Devnet } from '../src/devnet/devnet.js';
import { PRODUCTION_SHAPE, tbtcSettings } from '../src/devnet/shape.js';

const NODES = Number(process.env.BENCH_NODES ?? 2); // one node process per core of this machine
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BLOCK_MS = Number(process.env.BENCH_BLOCK_MS ?? 100);
// The devnet's production shape, without coordination windows (no heartbeat between the runs).
const SHAPE = {
  ...PRODUCTION_SHAPE,
  nodes: NODES,
  blockTimeMs: BLOCK_MS,
  pace: { ...PRODUCTION_SHAPE.pace, coordinationEveryMs: 24 * 3_600_000 },
};
const CHALLENGE_BLOCKS = tbtcSettings(SHAPE).ResultChallengePeriodBlocks;

const seconds = (ms: number) => (ms / 1000).toFixed(2);

/** noble's DKG rounds called directly for every member: the reference path. */
function referenceDkg(n: number, t: number): number {
  const start = performance.now();
  const ids = Array.from({ length: n }, (_, i) => schnorr_FROST.Identifier.fromNumber(i + 1));
  const round1 = ids.map((id) => schnorr_FROST.DKG.round1(id, { min: t, max: n }));
  const round2 = round1.map((own) =>
    schnorr_FROST.DKG.round2(
      own.secret,
      round1.filter((other) => other !== own).map((other) => other.public),
    ),
  );
  round1.forEach((own, i) => {
    const received = round2.filter((_, j) => j !== i).map((packages) => packages[ids[i]!]!);
    schnorr_FROST.DKG.round3(
      own.secret,
      round1.filter((other) => other !== own).map((other) => other.public),
      received,
    );
  });
  return performance.now() - start;
}

/** Our path with every seat in this one process (a single node holding all seats). */
function oursInProcess(n: number, t: number): number {
  const start = performance.now();
  const seats = Array.from({ length: n }, (_, i) => i + 1);
  const { secrets, packages } = dealRound1(seats, t, n);
  invalidDealers(packages, t);
  const shares: ReceivedShare[] = [];
  for (const [dealer, secret] of secrets) {
    for (const [recipient, share] of sharesFor(secret, seats)) shares.push({ dealer, recipient, share });
  }
  dealersWithInvalidShares(shares, packages);
  finalizeKeys({ threshold: t, qualified: seats, packages, shares, localSeats: seats });
  return performance.now() - start;
}

async function multiProcess(): Promise<{ protocol: number[]; chainWait: number[]; total: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'keep-bench-dkg-'));
  const devnet = await Devnet.prepare({ dir, shape: SHAPE, password: 'bench' });
  try {
    await devnet.start();
    if (!(await devnet.waitForMesh(30_000))) throw new Error('the nodes did not connect');
    await new Promise((r) => setTimeout(r, 3000)); // gossipsub meshes settle
    const registry = devnet.observer.walletRegistry;
    const results = { protocol: [] as number[], chainWait: [] as number[], total: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      let started = 0;
      let submitted = 0;
      const done = new Promise<WalletRegisteredEvent>((resolve) => {
        const stops = [
          registry.onDkgStarted(() => {
            started = performance.now();
          }),
          registry.onDkgResultSubmitted((_event: DkgResultSubmittedEvent) => {
            submitted ||= performance.now();
          }),
          registry.onWalletRegistered((event) => {
            for (const stop of stops) stop();
            resolve(event);
          }),
        ];
      });
      await registry.requestNewWallet();
      const wallet = await done;
      const registered = performance.now();
      if (wallet.members.length < 90) throw new Error(`only ${wallet.members.length} seats registered`);
      results.protocol.push(submitted - started);
      results.chainWait.push(registered - submitted);
      results.total.push(registered - started);
    }
    return results;
  } finally {
    await devnet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}`);
const reference = referenceDkg(30, 16);
const ours30 = oursInProcess(30, 16);
const ours100 = oursInProcess(100, 51);
console.log('\n| DKG computation in one process (every seat local) | wall (s) |');
console.log('|---|---|');
console.log(`| noble reference rounds, n=30 t=16 (baseline) | ${seconds(reference)} |`);
console.log(`| ours, n=30 t=16 | ${seconds(ours30)} (${(reference / ours30).toFixed(1)}× faster) |`);
console.log(`| ours, n=100 t=51 | ${seconds(ours100)} |`);

const run = await multiProcess();
console.log(
  `\n| 100 seats / threshold 51 / quorum 90 on ${NODES} node processes, ${BLOCK_MS} ms blocks, ${RUNS} runs | median (s) | min (s) | max (s) |`,
);
console.log('|---|---|---|---|');
for (const [label, values] of [
  ['DkgStarted → result submitted (the DKG itself)', run.protocol],
  [`result submitted → wallet registered (challenge period: ${CHALLENGE_BLOCKS} blocks)`, run.chainWait],
  ['DkgStarted → wallet registered', run.total],
] as const) {
  console.log(
    `| ${label} | ${seconds(median(values))} | ${seconds(Math.min(...values))} | ${seconds(Math.max(...values))} |`,
  );
}
