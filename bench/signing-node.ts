/**
 * One node of the signing benchmark, forked by bench/signing.ts: our libp2p provider, a chain
 * client for blocks, and a SigningExecutor over the seats it was given; it signs on request.
 */
import '../src/net/libp2p/polyfill.js';
import { pino } from 'pino';
import { connectChain } from '../src/chain/rpc/chain-client.js';
import { noopRecorder } from '../src/clientinfo/recorder.js';
import { operatorKeyFromPrivate } from '../src/crypto/operator-key.js';
import { Libp2pProvider } from '../src/net/libp2p/provider.js';
import { IntervalTicker } from '../src/net/retransmission.js';
import { SigningExecutor } from '../src/tbtc/signing/signing-executor.js';
import type { WalletKeys } from '../src/tbtc/wallet-keys.js';
import { serveRequests } from './child.js';

export type Request =
  | {
      cmd: 'start';
      privateKey: Uint8Array;
      port: number;
      peers: string[];
      chainUrl: string;
      wallet: WalletKeys;
      timeoutBlocks: number;
      turnBlocks: number;
    }
  | { cmd: 'peers' }
  | { cmd: 'sign'; message: Uint8Array; startBlock: number }
  | { cmd: 'stop' };

export interface SignReply {
  ok: boolean;
  ms: number;
  signature?: Uint8Array;
  error?: string;
}

const LIFETIME_MS = 900_000;
const log = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
let node: { provider: Libp2pProvider; signing: SigningExecutor; close(): Promise<void> } | undefined;

async function start(request: Extract<Request, { cmd: 'start' }>) {
  const key = operatorKeyFromPrivate(request.privateKey);
  const chain = await connectChain({ url: request.chainUrl, key, log });
  const provider = await Libp2pProvider.create({
    key,
    listenAddress: '127.0.0.1',
    port: request.port,
    peers: request.peers,
    allowedOperators: undefined,
    pingTimeoutMs: 5_000,
    redialIntervalMs: 250,
    recorder: noopRecorder,
    ticker: new IntervalTicker(500),
    log,
  });
  const signing = new SigningExecutor({
    wallet: request.wallet,
    channel: provider.broadcastChannelFor('tbtc-bench'),
    blocks: chain.blocks,
    recorder: noopRecorder,
    log,
    timeoutBlocks: request.timeoutBlocks,
    coordinatorTurnBlocks: request.turnBlocks,
  });
  node = {
    provider,
    signing,
    async close() {
      await provider.close();
      await chain.close();
    },
  };
}

async function handle(request: Request): Promise<unknown> {
  switch (request.cmd) {
    case 'start':
      await start(request);
      return null;
    case 'peers':
      return node?.provider.connectedPeers().length ?? 0;
    case 'sign': {
      if (!node) throw new Error('not started');
      const began = performance.now();
      try {
        const signature = await node.signing.sign(request.message, request.startBlock);
        return { ok: true, ms: performance.now() - began, signature } satisfies SignReply;
      } catch (err) {
        return {
          ok: false,
          ms: performance.now() - began,
          error: (err as Error).message,
        } satisfies SignReply;
      }
    }
    case 'stop':
      await node?.close();
      return null;
  }
}

serveRequests(handle, LIFETIME_MS);
