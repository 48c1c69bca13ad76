import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { TradingFacade } from '../app/facade.js';
import type { Cancel } from '../core/ports.js';

export interface WsHubOptions {
  /** Unsent bytes above which a client skips messages; ten times it, the client is dropped. */
  maxBufferedBytes: number;
  pingIntervalMs: number;
}

interface Client {
  socket: WebSocket;
  alive: boolean;
  skipped: number;
}

/**
 * The /ws connection manager: STATE_SNAPSHOT on connect, then every stream envelope. Dead
 * connections (no pong within a ping interval) are dropped; a slow client skips messages
 * instead of holding the others back.
 */
export class WsHub {
  private readonly clients = new Set<Client>();
  private readonly unsubscribe: Cancel;
  private readonly pinger: NodeJS.Timeout;
  dropped = 0;
  skippedMessages = 0;

  constructor(
    private readonly facade: TradingFacade,
    private readonly options: WsHubOptions,
    private readonly log: Logger,
  ) {
    this.unsubscribe = facade.subscribe((json) => this.broadcast(json));
    this.pinger = setInterval(() => this.pingAll(), options.pingIntervalMs);
    this.pinger.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  add(socket: WebSocket): void {
    const client: Client = { socket, alive: true, skipped: 0 };
    this.clients.add(client);
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('message', (raw) => this.onMessage(client, raw.toString()));
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', (err) => {
      this.log.debug({ err }, 'websocket client error');
      this.remove(client);
    });
    socket.send(this.facade.snapshotJson());
  }

  broadcast(json: string): void {
    for (const client of this.clients) {
      const { socket } = client;
      if (socket.readyState !== socket.OPEN) {
        this.remove(client);
        continue;
      }
      if (socket.bufferedAmount > this.options.maxBufferedBytes) {
        client.skipped += 1;
        this.skippedMessages += 1;
        if (socket.bufferedAmount > this.options.maxBufferedBytes * 10) this.remove(client);
        continue;
      }
      socket.send(json, (err) => err && this.remove(client));
    }
  }

  close(): void {
    this.unsubscribe();
    clearInterval(this.pinger);
    for (const c of this.clients) c.socket.terminate();
    this.clients.clear();
  }

  private onMessage(client: Client, text: string): void {
    // Clients may send anything to keep the connection alive; a JSON ping gets a pong.
    if (text.length > 4096) return;
    try {
      const msg = JSON.parse(text) as { type?: unknown };
      if (msg.type === 'ping' || msg.type === 'PING') {
        client.socket.send(JSON.stringify({ type: 'PONG', timestamp: new Date().toISOString(), data: {} }));
      }
    } catch {
      // not JSON: a plain keep-alive
    }
  }

  private pingAll(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        this.remove(client);
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  private remove(client: Client): void {
    if (!this.clients.delete(client)) return;
    this.dropped += 1;
    client.socket.terminate();
  }
}
