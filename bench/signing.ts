/**
 * 51-of-100 FROST signing latency on node processes: a chain server in this process, two
 * forked nodes over libp2p on loopback (node A holds 51 seats, node B 49), ≥ 20 messages with
 * everyone online, then ≥ 20 with B stopped (49 seats offline). Latency = request sent → every
 * online node returned the signature, which is verified here. The baseline in the same run is
 * the per-session compute with noble's signShare/verifyShare per seat (the approach before
 * composing the public work once per session).
 * Run: npm run bench:signing  (BENCH_MESSAGES, BENCH_BLOCK_MS, BENCH_TURN_BLOCKS to vary)
 */
import '../src/net/libp2p/polyfill.js';
import { fileURLToPath } from 'node:url';
import type { Key } from '@noble/curves/abstract/frost.js';
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { pino } from 'pino';
import { LocalChain } from '../src/chain/local/local-chain.js';
import { startChainServer } from '../src/chain/rpc/chain-server.js';
import { identifierOf, xOnly } from '../src/crypto/frost-dkg.js';
import { FrostSigningSession } from '../src/crypto/frost-signing.js';
import { generateOperatorKey } from '../src/crypto/operator-key.js';
import { peerIdOfOperatorKey } from '../src/net/libp2p/identity.js';
import type { WalletKeys } from '../src/tbtc/wallet-keys.js';
import { Child, freePort, percentile } from './child.js';
import type { Request, SignReply } from './signing-node.js';

const SEATS = 100;
const THRESHOLD = 51;
const SEATS_OF_A = 51;
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20);
const BLOCK_MS = Number(process.env.BENCH_BLOCK_MS ?? 250);
const TURN_BLOCKS = Number(process.env.BENCH_TURN_BLOCKS ?? 4);
const TIMEOUT_BLOCKS = 300;
const NODE_SCRIPT = fileURLToPath(new URL('./signing-node.js', import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 0.5).toFixed(0)} ms, p95 ${percentile(sorted, 0.95).toFixed(0)} ms`;
};

/** The compute of one 51-signer session, noble per call vs composed once, in this process. */
function computeBaseline(keys: Map<number, Key>, rounds: number) {
  const seats = [...keys.keys()].slice(0, THRESHOLD);
  const pub = keys.get(seats[0]!)!.public;
  const noble: number[] = [];
  const ours: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const message = randomBytes(32);
    for (const mode of ['noble', 'ours'] as const) {
      const nonces = seats.map((seat) => schnorr_FROST.commit(keys.get(seat)!.secret));
      const commitments = nonces.map((n) => n.commitments);
      const began = performance.now();
      const shares = new Map<string, Uint8Array>();
      if (mode === 'noble') {
        seats.forEach((seat, i) => {
          const secret = keys.get(seat)!.secret;
          shares.set(
            secret.identifier,
            schnorr_FROST.signShare(secret, pub, nonces[i]!.nonces, commitments, message),
          );
        });
        for (const [id, share] of shares) schnorr_FROST.verifyShare(pub, commitments, message, id, share);
        schnorr_FROST.aggregate(pub, commitments, message, Object.fromEntries(shares));
        noble.push(performance.now() - began);
      } else {
        const signer = new FrostSigningSession(pub, commitments, message);
        seats.forEach((seat, i) => {
          const secret = keys.get(seat)!.secret;
          shares.set(secret.identifier, signer.signShare(secret, nonces[i]!.nonces));
        });
        const result = new FrostSigningSession(pub, commitments, message).aggregate(shares);
        if (!('signature' in result)) throw new Error('composed session produced a bad signature');
        ours.push(performance.now() - began);
      }
    }
  }
  return { noble, ours };
}

async function signAll(nodes: Child<Request>[], chain: LocalChain, groupKey: Uint8Array) {
  const latencies: number[] = [];
  let failures = 0;
  for (let i = 0; i < MESSAGES; i++) {
    const message = randomBytes(32);
    const startBlock = await chain.blocks.currentBlock();
    const began = performance.now();
    const replies = await Promise.all(
      nodes.map((node) =>
        node.call<SignReply>({ cmd: 'sign', message, startBlock }, (TIMEOUT_BLOCKS + 10) * BLOCK_MS + 30_000),
      ),
    );
    const elapsed = performance.now() - began;
    const valid = replies.every((r) => r.ok && r.signature && schnorr.verify(r.signature, message, groupKey));
    if (process.env.BENCH_VERBOSE)
      console.error(
        `message ${i}: ${elapsed.toFixed(0)} ms; nodes ${replies.map((r) => r.ms.toFixed(0)).join(', ')}`,
      );
    if (valid) latencies.push(elapsed);
    else {
      failures++;
      console.error(`message ${i}: ${replies.map((r) => r.error ?? 'bad signature').join('; ')}`);
    }
    // The executor keeps retransmitting the finished operation for a moment; let it settle.
    await sleep(4 * BLOCK_MS);
  }
  return { latencies, failures };
}

async function main() {
  const deal = schnorr_FROST.trustedDealer(
    { min: THRESHOLD, max: SEATS },
    Array.from({ length: SEATS }, (_, i) => identifierOf(i + 1)),
  );
  const keys = new Map<number, Key>(
    Array.from({ length: SEATS }, (_, i) => [
      i + 1,
      { public: deal.public, secret: deal.secretShares[identifierOf(i + 1)]! },
    ]),
  );
  const baseline = computeBaseline(keys, 5);

  const operators = [generateOperatorKey(), generateOperatorKey()];
  // Seats interleaved so that coordinator turns alternate between the nodes.
  const ownerOf = (seat: number) => (seat <= 2 * (SEATS - SEATS_OF_A) ? (seat % 2 === 1 ? 0 : 1) : 0);
  const group = Array.from({ length: SEATS }, (_, i) => operators[ownerOf(i + 1)]!.address);
  const groupPublicKey = deal.public.commitments[0]!;
  const walletOf = (node: number): WalletKeys => ({
    seed: new Uint8Array(32),
    groupPublicKey,
    group,
    qualifiedSeats: Array.from({ length: SEATS }, (_, i) => i + 1),
    keys: new Map([...keys].filter(([seat]) => ownerOf(seat) === node)),
  });

  const log = pino({ level: 'warn' });
  const chain = new LocalChain({
    blockIntervalMs: BLOCK_MS,
    dkg: {
      groupSize: SEATS,
      groupQuorum: 90,
      honestThreshold: THRESHOLD,
      resultSubmissionTimeoutBlocks: 1,
      resultSubmissionStartOffsetBlocks: 0,
      resultSubmissionStepBlocks: 1,
      resultChallengePeriodBlocks: 1,
      submitterPrecedencePeriodBlocks: 1,
    },
  });
  for (const operator of operators) chain.registerOperator(operator.publicKey, 1n);
  const server = await startChainServer({ chain, host: '127.0.0.1', port: 0, log });
  const ports = [await freePort(), await freePort()];
  const addresses = await Promise.all(
    operators.map(
      async (key, i) => `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${peerIdOfOperatorKey(key.publicKey)}`,
    ),
  );
  const nodes = operators.map(() => Child.fork<Request>(NODE_SCRIPT));
  try {
    await Promise.all(
      nodes.map((node, i) =>
        node.call({
          cmd: 'start',
          privateKey: operators[i]!.privateKey,
          port: ports[i]!,
          peers: addresses.filter((_, j) => j !== i),
          chainUrl: server.url,
          wallet: walletOf(i),
          timeoutBlocks: TIMEOUT_BLOCKS,
          turnBlocks: TURN_BLOCKS,
        }),
      ),
    );
    while ((await nodes[0]!.call<number>({ cmd: 'peers' })) < 1) await sleep(100);
    await sleep(2_000); // gossipsub meshes form on heartbeats
    const groupKey = xOnly(groupPublicKey);
    const online = await signAll(nodes, chain, groupKey);
    await nodes[1]!.stop();
    const offline = await signAll([nodes[0]!], chain, groupKey);

    console.log(
      `51-of-100 FROST signing, 2 node processes (A: 51 seats, B: 49), block ${BLOCK_MS} ms, coordinator turn ${TURN_BLOCKS} blocks`,
    );
    console.log(`compute of one session (51 shares + checks), in-process, 5 rounds:`);
    console.log(`  noble signShare/verifyShare per seat  ${summary(baseline.noble)}`);
    console.log(`  composed once per session (ours)      ${summary(baseline.ours)}`);
    console.log(
      `all 100 seats online: ${online.latencies.length}/${MESSAGES} signed, ${summary(online.latencies)}`,
    );
    console.log(
      `49 seats offline:     ${offline.latencies.length}/${MESSAGES} signed, ${summary(offline.latencies)}`,
    );
    if (online.failures + offline.failures > 0) process.exitCode = 1;
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
    await server.close();
    chain.close();
  }
}

await main();
