import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsoleOutput } from './console-output.js';
import type { Devnet } from './devnet.js';
import { freePort } from './free-port.js';
import {
  type PrometheusServer,
  prometheusConfig,
  prometheusInstalled,
  startPrometheus,
} from './prometheus.js';

/** The monitoring kit's alert rules, loaded when present. */
export const ALERT_RULES = fileURLToPath(new URL('../../../monitoring/alerts.yml', import.meta.url));
const SCRAPE_INTERVAL = '2s';

/**
 * Prometheus for a devnet: on loopback, scraping every node (labelled with its name), with the
 * alert rules when they exist. Undefined, with a line saying why, when it is not installed or
 * does not start: the devnet carries on without it.
 */
export async function startDevnetPrometheus(
  devnet: Devnet,
  out: ConsoleOutput,
): Promise<PrometheusServer | undefined> {
  if (!prometheusInstalled()) {
    out.say('prometheus: not installed, carrying on without it (to get it: apt-get install prometheus)');
    return undefined;
  }
  const targets = devnet.nodes.map((node) => ({
    address: `127.0.0.1:${node.metricsPort}`,
    labels: { node: node.name },
  }));
  const start = async (ruleFiles: string[]) =>
    startPrometheus({
      dir: join(devnet.layout.dir, 'prometheus'),
      port: await freePort(),
      config: prometheusConfig({ targets, scrapeInterval: SCRAPE_INTERVAL, ruleFiles }),
      logFile: join(devnet.layout.logsDir, 'prometheus.log'),
      detached: true,
    });
  // A second try on a new port (another process may have taken the first), then without the rules.
  const rules = existsSync(ALERT_RULES) ? [ALERT_RULES] : [];
  const attempts = rules.length ? [rules, rules, []] : [[], []];
  for (const [i, ruleFiles] of attempts.entries()) {
    try {
      const server = await start(ruleFiles);
      const loaded = ruleFiles.length ? `alert rules ${ALERT_RULES}` : 'no alert rules';
      out.say(
        `prometheus: ${server.url} (scraping ${targets.length} nodes every ${SCRAPE_INTERVAL}; ${loaded})`,
      );
      return server;
    } catch (err) {
      const next = attempts[i + 1];
      const then = next === undefined ? '' : next.length ? '; retrying' : '; retrying without alert rules';
      out.say(`prometheus: ${(err as Error).message}${then}`);
    }
  }
  out.say('prometheus: carrying on without it');
  return undefined;
}
