import { mkdirSync } from 'node:fs';
import { type ClientInfo, startClientInfo } from '../clientinfo/client-info.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { CLIENT_REVISION, CLIENT_VERSION } from '../version.js';

export interface RunningNode {
  readonly clientInfo: ClientInfo;
  stop(): Promise<void>;
}

/** Wires the node's subsystems from the configuration and starts them. */
export async function startNode(config: Config, log: Logger): Promise<RunningNode> {
  mkdirSync(config.storage.Dir, { recursive: true });
  const clientInfo = await startClientInfo(config.ClientInfo, {
    version: CLIENT_VERSION,
    revision: CLIENT_REVISION,
  });
  if (clientInfo.server) {
    log.info({ url: `${clientInfo.server.url}/metrics` }, 'client info serving /metrics and /diagnostics');
  } else {
    log.info('client info disabled ([ClientInfo] Port = 0): no metrics are served or recorded');
  }
  log.info(
    { version: CLIENT_VERSION, revision: CLIENT_REVISION, storage: config.storage.Dir },
    'node started',
  );
  return {
    clientInfo,
    stop: async () => {
      await clientInfo.close();
      log.info('node stopped');
    },
  };
}
