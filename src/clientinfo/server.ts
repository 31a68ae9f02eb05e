import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Diagnostics } from './diagnostics.js';
import type { MetricsRegistries } from './exposition.js';

export interface ClientInfoServer {
  readonly address: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body); // node:http drops the body of a HEAD answer
}

/**
 * The `[ClientInfo]` HTTP server: `/metrics` (Prometheus text or OpenMetrics, negotiated on
 * the Accept header) and `/diagnostics` (JSON). GET and HEAD only.
 */
export async function startClientInfoServer(options: {
  address: string;
  port: number;
  registries: MetricsRegistries;
  diagnostics: Diagnostics;
}): Promise<ClientInfoServer> {
  const routes: Record<string, Route> = {
    '/metrics': async (req, res) => {
      const { contentType, body } = await options.registries.render(req.headers.accept);
      send(res, 200, contentType, body);
    },
    '/diagnostics': async (_req, res) => {
      const document = await options.diagnostics.snapshot();
      send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(document, null, 2)}\n`);
    },
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    route(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    address: bound.address,
    port: bound.port,
    url: `http://${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
