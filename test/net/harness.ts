import '../../src/net/libp2p/polyfill.js';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { gossipsub, StrictNoSign } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { sha256 } from '@noble/hashes/sha2.js';
import { createLibp2p } from 'libp2p';
import { pino } from 'pino';
import { generateOperatorKey, type OperatorKey } from '../../src/crypto/operator-key.js';
import { peerIdOfOperatorKey } from '../../src/net/libp2p/identity.js';
import { Libp2pProvider } from '../../src/net/libp2p/provider.js';
import { DEFAULT_PEER_GUARD_LIMITS } from '../../src/net/peer-guard.js';
import { LocalNetwork } from '../../src/net/local/local-network.js';
import { ManualTicker } from '../../src/net/retransmission.js';
import type { Provider } from '../../src/net/types.js';
import { scrapedRecorder } from '../helpers/metrics.js';
import { eventually } from '../helpers/wait.js';
import { freePort } from '../helpers/process.js';

export interface Member {
  readonly key: OperatorKey;
  readonly provider: Provider;
  readonly metrics: ReturnType<typeof scrapedRecorder>;
}

/** n members on one network, one manual retransmission ticker, and a way to inject raw bytes. */
export interface TestNetwork {
  readonly members: Member[];
  readonly ticker: ManualTicker;
  /** Waits until every member can reach every other on the channel. */
  ready(channel: string): Promise<void>;
  /** Puts arbitrary bytes on a channel as an arbitrary peer could. */
  injectRaw(channel: string, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export type NetworkFactory = (size: number) => Promise<TestNetwork>;

export const localNetwork: NetworkFactory = async (size) => {
  const network = new LocalNetwork();
  const ticker = new ManualTicker();
  const members = Array.from({ length: size }, () => {
    const key = generateOperatorKey();
    const metrics = scrapedRecorder();
    return { key, metrics, provider: network.join(key, { recorder: metrics.recorder, ticker }) };
  });
  return {
    members,
    ticker,
    ready: async () => {},
    injectRaw: async (channel, bytes) => network.broadcastRaw(channel, bytes),
    close: async () => {
      await Promise.all(members.map((m) => m.provider.close()));
    },
  };
};

const quiet = pino({ level: 'silent' });

export const libp2pNetwork: NetworkFactory = async (size) => {
  const ticker = new ManualTicker();
  const keys = Array.from({ length: size }, () => generateOperatorKey());
  const ports = await Promise.all(keys.map(() => freePort()));
  const addresses = keys.map(
    (key, i) => `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${peerIdOfOperatorKey(key.publicKey)}`,
  );
  const members = await Promise.all(
    keys.map(async (key, i) => {
      const metrics = scrapedRecorder();
      const provider = await Libp2pProvider.create({
        key,
        listenAddress: '127.0.0.1',
        port: ports[i]!,
        peers: addresses.filter((_, j) => j !== i),
        allowedOperators: undefined,
        pingTimeoutMs: 10_000,
        // These tests burst hundreds of messages from one member on purpose (queue limits);
        // the guard's own budgets are tested in peer-guard.test.ts and hostile-flood.test.ts.
        peerGuard: {
          ...DEFAULT_PEER_GUARD_LIMITS,
          peerMessages: { burst: 100_000, perSecond: 100_000 },
          senderMessages: { burst: 100_000, perSecond: 100_000 },
        },
        recorder: metrics.recorder,
        ticker,
        log: quiet,
      });
      return { key, metrics, provider };
    }),
  );
  // An attacker: a plain gossipsub node that can publish any bytes on any topic.
  const attacker = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: StrictNoSign,
        allowPublishToZeroTopicPeers: true,
        msgIdFn: (message) => sha256(message.data),
      }),
    },
  });
  await Promise.all(addresses.map((address) => attacker.dial(multiaddr(address))));
  const providers = members.map((m) => m.provider as Libp2pProvider);
  await eventually(
    () => providers.map((p) => p.connectedPeers().length),
    (counts) => counts.every((count) => count >= size),
    15_000,
    'a full mesh',
  );
  return {
    members,
    ticker,
    async ready(channel) {
      attacker.services.pubsub.subscribe(channel);
      await eventually(
        () => [
          ...providers.map((p) => p.channelPeers(channel)),
          attacker.services.pubsub.getSubscribers(channel).length,
        ],
        (counts) => counts.every((count) => count >= size - 1),
        15_000,
        `subscriptions to ${channel}`,
      );
      // gossipsub forms its mesh on the next heartbeat (1 s)
      await new Promise((r) => setTimeout(r, 1200));
    },
    injectRaw: async (channel, bytes) => {
      await attacker.services.pubsub.publish(channel, bytes);
    },
    close: async () => {
      await attacker.stop();
      await Promise.all(members.map((m) => m.provider.close()));
    },
  };
};
