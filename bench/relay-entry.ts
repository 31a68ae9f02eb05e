/**
 * Random beacon relay entries: a 64-seat, threshold-33 BLS12-381 group (DKG quorum 58) on node
 * processes over libp2p and a chain server: request → accepted-entry latency over
 * BENCH_ENTRIES entries, and, in the same run, signature-share verification one-by-one
 * against batched for the same group shape.
 * Run: npm run bench:relay   (BENCH_NODES=2 BENCH_ENTRIES=25 BENCH_BLOCK_MS=100 are the defaults)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { pino } from 'pino';
import {
  combineShares,
  entryMessage,
  GENESIS_ENTRY,
  invalidShares,
  type ShareToCheck,
  signShare,
  verifyEntry,
  verifyShare,
  verifySharesBatch,
} from '../src/crypto/threshold-bls.js';
import { connectChain } from '../src/chain/rpc/chain-client.js';
import type { BeaconGroupRegisteredEvent, RelayEntrySubmittedEvent } from '../src/chain/types.js';
import { randomScalar, scalarToBytes } from '../src/crypto/bls-dkg.js';
import { generateOperatorKey } from '../src/crypto/operator-key.js';
import { freePort } from '../src/devnet/free-port.js';
import { type KeepClientProcess, spawnKeepClient } from '../src/devnet/keep-client-process.js';
import { peerIdOfOperatorKey } from '../src/net/libp2p/identity.js';
import { writeOperatorKeyFile } from '../src/storage/operator-key-file.js';
import { percentile } from './child.js';

const NODES = Number(process.env.BENCH_NODES ?? 2); // one node process per core of this machine
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 25);
const BLOCK_MS = Number(process.env.BENCH_BLOCK_MS ?? 100);
const SIZE = 64;
const THRESHOLD = 33;
const BEACON = [
  ...[
    '--beacon.groupSize',
    String(SIZE),
    '--beacon.groupQuorum',
    '58',
    '--beacon.groupThreshold',
    String(THRESHOLD),
  ],
  ...['--beacon.dkgPhaseBlocks', '600', '--beacon.resultChallengePeriodBlocks', '5'],
  ...['--beacon.resultSubmissionTimeoutBlocks', '6000', '--beacon.relayEntryTimeoutBlocks', '600'],
];

const ms = (value: number) => value.toFixed(0);

async function relayOnNodeProcesses(): Promise<{ dkgMs: number; latencies: number[]; seats: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'keep-bench-relay-'));
  const children: KeepClientProcess[] = [];
  try {
    const chainPort = await freePort();
    const url = `tcp://127.0.0.1:${chainPort}`;
    children.push(
      await spawnKeepClient(
        ['chain', '--chain.port', String(chainPort), '--chain.blockTime', `${BLOCK_MS}ms`, ...BEACON],
        { readyMessage: 'chain server started' },
      ),
    );
    const setups: { keyFile: string; port: number; multiaddr: string; address: string }[] = [];
    for (let i = 0; i < NODES; i++) {
      const key = generateOperatorKey();
      const keyFile = join(dir, `key-${i}.json`);
      await writeOperatorKeyFile(keyFile, key, 'bench');
      const port = await freePort();
      setups.push({
        keyFile,
        port,
        address: key.address,
        multiaddr: `/ip4/127.0.0.1/tcp/${port}/p2p/${peerIdOfOperatorKey(key.publicKey)}`,
      });
    }
    const nodes = await Promise.all(
      setups.map((setup, i) =>
        spawnKeepClient(
          [
            'start',
            ...[
              '--chain.url',
              url,
              '--storage.dir',
              join(dir, `node-${i}`),
              '--operator.keyFile',
              setup.keyFile,
            ],
            ...[
              '--network.address',
              '127.0.0.1',
              '--network.port',
              String(setup.port),
              '--clientInfo.port',
              '0',
            ],
            ...[
              '--network.peers',
              setups
                .filter((_, j) => j !== i)
                .map((s) => s.multiaddr)
                .join(','),
              ...BEACON,
            ],
          ],
          { readyMessage: 'node started', readyTimeoutMs: 60_000, env: { KEEP_OPERATOR_PASSWORD: 'bench' } },
        ),
      ),
    );
    children.push(...nodes);
    const observer = await connectChain({ url, key: generateOperatorKey(), log: pino({ level: 'silent' }) });
    const beacon = observer.randomBeacon;
    await new Promise((r) => setTimeout(r, 3000)); // connections and gossipsub meshes settle

    const dkgStart = performance.now();
    const registered = new Promise<BeaconGroupRegisteredEvent>((resolve) => {
      const stop = beacon.onGroupRegistered((event) => {
        stop();
        resolve(event);
      });
    });
    await beacon.requestNewGroup();
    const group = await registered;
    const dkgMs = performance.now() - dkgStart;
    if (group.members.length < 58) throw new Error(`only ${group.members.length} seats registered`);
    const seats = setups.map((s) => group.members.filter((m) => m.operator === s.address).length);
    await new Promise((r) => setTimeout(r, 1000)); // the key shares are stored and relay channels open

    const latencies: number[] = [];
    let previous = GENESIS_ENTRY;
    for (let i = 0; i < ENTRIES; i++) {
      const submitted = new Promise<RelayEntrySubmittedEvent>((resolve) => {
        const stop = beacon.onRelayEntrySubmitted((event) => {
          stop();
          resolve(event);
        });
      });
      const start = performance.now();
      await beacon.requestRelayEntry();
      const entry = await submitted;
      latencies.push(performance.now() - start);
      if (!verifyEntry(entry.entry, previous, group.groupPublicKey))
        throw new Error(`entry ${i} does not verify`);
      previous = entry.entry;
    }
    await observer.close();
    return { dkgMs, latencies, seats };
  } finally {
    for (const child of children) child.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A dealer-made 64-seat threshold-33 key set and every seat's share over one entry. */
function shareSet(): { shares: ShareToCheck[]; groupPublicKey: Uint8Array } {
  const Fr = bls12_381.fields.Fr;
  const G2 = bls12_381.G2.Point;
  const coefficients = Array.from({ length: THRESHOLD }, () => randomScalar());
  const f = (x: bigint) => coefficients.reduceRight((acc, c) => Fr.add(Fr.mul(acc, x), c), 0n);
  const message = entryMessage(GENESIS_ENTRY);
  const shares = Array.from({ length: SIZE }, (_, i) => {
    const secret = f(BigInt(i + 1));
    return {
      seat: i + 1,
      share: signShare(scalarToBytes(secret), message),
      publicKeyShare: G2.BASE.multiply(secret).toBytes(true),
    };
  });
  return { shares, groupPublicKey: G2.BASE.multiply(coefficients[0]!).toBytes(true) };
}

function timed<T>(run: () => T, repeat = 3): { ms: number; value: T } {
  let value = run(); // warm-up, and the value
  const start = performance.now();
  for (let i = 0; i < repeat; i++) value = run();
  return { ms: (performance.now() - start) / repeat, value };
}

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}`);

const run = await relayOnNodeProcesses();
const sortedLatencies = [...run.latencies].sort((a, b) => a - b);
console.log(
  `\n| ${SIZE} seats / threshold ${THRESHOLD} on ${NODES} node processes (seats ${run.seats.join(' + ')}), ${BLOCK_MS} ms blocks | value |`,
);
console.log('|---|---|');
console.log(`| beacon DKG: request → group registered | ${(run.dkgMs / 1000).toFixed(1)} s |`);
console.log(`| relay entries measured | ${run.latencies.length} |`);
console.log(`| request → accepted entry, p50 | ${ms(percentile(sortedLatencies, 0.5))} ms |`);
console.log(`| request → accepted entry, p95 | ${ms(percentile(sortedLatencies, 0.95))} ms |`);
console.log(
  `| request → accepted entry, min / max | ${ms(Math.min(...run.latencies))} / ${ms(Math.max(...run.latencies))} ms |`,
);

const { shares, groupPublicKey } = shareSet();
const message = entryMessage(GENESIS_ENTRY);
const need = shares.slice(0, THRESHOLD);
const oneByOne = (set: ShareToCheck[]) => set.every((share) => verifyShare(share, message));
const corrupted = [...shares];
corrupted[40] = { ...corrupted[40]!, share: shares[41]!.share };
const rows: [string, { ms: number; value: unknown }][] = [
  [`one-by-one, ${THRESHOLD} shares`, timed(() => oneByOne(need), 1)],
  [`batched, ${THRESHOLD} shares`, timed(() => verifySharesBatch(need, message))],
  [`one-by-one, ${SIZE} shares`, timed(() => oneByOne(shares), 1)],
  [`batched, ${SIZE} shares`, timed(() => verifySharesBatch(shares, message))],
  [
    `one-by-one with 1 bad share among ${SIZE}`,
    timed(() => corrupted.filter((s) => !verifyShare(s, message)).length, 1),
  ],
  [
    `batched with 1 bad share among ${SIZE} (batch fails, halves re-checked down to the bad one)`,
    timed(() => invalidShares(corrupted, message).length, 1),
  ],
  [`combine ${THRESHOLD} shares (Lagrange in G1)`, timed(() => combineShares(need).length)],
];
const entry = combineShares(need);
if (!verifyEntry(entry, GENESIS_ENTRY, groupPublicKey)) throw new Error('combined shares do not verify');
console.log(
  `\n| share verification, ${SIZE}-seat threshold-${THRESHOLD} group (this process) | ms | result |`,
);
console.log('|---|---|---|');
for (const [label, { ms: value, value: result }] of rows)
  console.log(`| ${label} | ${value.toFixed(1)} | ${String(result)} |`);
