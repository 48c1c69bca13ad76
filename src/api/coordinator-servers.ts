/**
 * The coordinator's own listeners (seed 004): its WebSocket on port 8765 and its Prometheus text
 * on :9090/metrics. Plain node:http servers (and the `ws` package for the upgrade): each serves
 * one thing, with nothing of the main app's routing, auth or rate limits to share. Both are
 * refused on a non-loopback address by the caller (the stream is also on the main port, behind
 * its operator access).
 */
import { createServer, type Server } from 'node:http';
import { WebSocketServer } from 'ws';
import type { CoordinatorStream } from '../app/ensemble/coordinator-stream.js';

export interface Listening {
  port: number;
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

export async function listenCoordinatorWs(stream: CoordinatorStream, host: string, port: number): Promise<Listening> {
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'the coordinator stream is a WebSocket: connect with ws://' }));
  });
  const wss = new WebSocketServer({ server, maxPayload: 4096 });
  wss.on('connection', (socket) => stream.add(socket));
  const bound = await listen(server, host, port);
  return {
    port: bound,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await closeServer(server);
    },
  };
}

export async function listenMetrics(metrics: { text(): Promise<string>; contentType: string }, host: string, port: number): Promise<Listening> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'only GET /metrics' }));
      return;
    }
    if (path !== '/metrics' && path !== '/') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'not found: the coordinator serves GET /metrics' }));
      return;
    }
    metrics.text().then(
      (body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? undefined : body),
      () => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'metrics unavailable' })),
    );
  });
  const bound = await listen(server, host, port);
  return {
    port: bound,
    close: async () => {
      server.closeAllConnections();
      await closeServer(server);
    },
  };
}
