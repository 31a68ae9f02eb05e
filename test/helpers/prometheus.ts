import {
  type PrometheusServer as Server,
  prometheusConfig,
  startPrometheus as startServer,
} from '../../src/devnet/prometheus.js';
import { freePort, tempDir } from './process.js';

export type PrometheusServer = Omit<Server, 'stop'> & { stop(): Promise<void> };

/** Starts a real Prometheus on an ephemeral loopback port, scraping the targets every second. */
export async function startPrometheus(
  targets: string[],
  options: { ruleFiles?: string[] } = {},
): Promise<PrometheusServer> {
  const dir = tempDir('keep-prometheus-');
  const config = prometheusConfig({
    targets: targets.map((address) => ({ address })),
    scrapeInterval: '1s',
    ruleFiles: options.ruleFiles,
  });
  const server = await startServer({ dir: dir.path, port: await freePort(), config }).catch((err) => {
    dir.remove();
    throw err;
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      dir.remove();
    },
  };
}
