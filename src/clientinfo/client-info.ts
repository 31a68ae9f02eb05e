import type { Config } from '../config/schema.js';
import { Diagnostics } from './diagnostics.js';
import { MetricsRegistries } from './exposition.js';
import { NodeInfoObservers } from './node-info.js';
import { PromRecorder } from './prom-recorder.js';
import { noopRecorder, type Recorder } from './recorder.js';
import { type ClientInfoServer, startClientInfoServer } from './server.js';

export interface BuildInfo {
  version: string;
  revision: string;
}

/**
 * Everything behind the `[ClientInfo]` port: the recorder handed to subsystems, the
 * node-info observers, the diagnostics sources and the HTTP server. With `Port = 0`
 * nothing listens and the recorder is the no-op one.
 */
export interface ClientInfo {
  readonly recorder: Recorder;
  readonly diagnostics: Diagnostics;
  readonly nodeInfo: NodeInfoObservers;
  readonly server: ClientInfoServer | undefined;
  close(): Promise<void>;
}

export async function startClientInfo(config: Config['ClientInfo'], build: BuildInfo): Promise<ClientInfo> {
  const diagnostics = new Diagnostics();
  diagnostics.register('client_info', () => ({ version: build.version, revision: build.revision }));
  const ticks = {
    networkMs: config.NetworkMetricsTick,
    ethereumMs: config.EthereumMetricsTick,
    bitcoinMs: config.BitcoinMetricsTick,
  };

  if (config.Port === 0) {
    const nodeInfo = new NodeInfoObservers(noopRecorder, ticks);
    return { recorder: noopRecorder, diagnostics, nodeInfo, server: undefined, close: async () => {} };
  }

  const registries = new MetricsRegistries({ processMetrics: true });
  const recorder = new PromRecorder(registries.registry);
  recorder.set('client_info', 1, { version: build.version, revision: build.revision });
  const server = await startClientInfoServer({
    address: config.Address,
    port: config.Port,
    registries,
    diagnostics,
  });
  const nodeInfo = new NodeInfoObservers(recorder, ticks);
  nodeInfo.start();
  return {
    recorder,
    diagnostics,
    nodeInfo,
    server,
    close: async () => {
      nodeInfo.stop();
      await server.close();
    },
  };
}
