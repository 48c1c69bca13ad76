// The fake's HTTP server: REST, the /__control test API and WebSocket upgrades on one loopback
// port; it can stop and come back on the same port (a venue restart) with the venue intact.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RestFront } from './rest.js';
import { StreamHub } from './ws-hub.js';

export type ControlHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

export class FakeServer {
  private server: Server | undefined;
  port = 0;

  constructor(
    readonly host: string,
    private readonly rest: RestFront,
    private readonly hub: StreamHub,
    private readonly control: ControlHandler,
  ) {}

  private build(): Server {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const work = path.startsWith('/__control/') ? this.control(req, res, path) : this.rest.handle(req, res);
      work.catch((e: unknown) => {
        console.error('fake-binance: request failed', e);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    server.keepAliveTimeout = 65_000;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (StreamHub.handles(path)) this.hub.upgrade(req, socket, head);
      else socket.destroy();
    });
    return server;
  }

  async listen(port: number): Promise<number> {
    const server = this.build();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  /** Stops listening and cuts every HTTP and WebSocket connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.hub.disconnect('all');
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }
}
