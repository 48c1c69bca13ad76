import type { Clock } from '../../core/clock.js';
import type { Cancel, Scheduler } from '../../core/ports.js';

/** What the stream needs of a WebSocket (the `ws` package's and @fastify/websocket's sockets). */
export interface StreamSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'message', listener: (data: unknown) => void): unknown;
}

const OPEN = 1;

/**
 * The coordinator's WebSocket clients, wherever they connected (its own port 8765 or the path on
 * the main port): `welcome` on connect, then every status interval one `status_update` built
 * once and sent to all. A client whose unsent data passes `maxBufferedBytes` is skipped.
 */
export class CoordinatorStream {
  private readonly clients = new Set<StreamSocket>();
  private stopTimer: Cancel | null = null;

  constructor(
    private readonly o: {
      clock: Clock;
      scheduler: Scheduler;
      everyMs: number;
      welcome: () => object;
      status: (clients: number) => object;
      maxBufferedBytes?: number;
    },
  ) {}

  get clientCount(): number {
    return this.clients.size;
  }

  start(): void {
    this.stopTimer ??= this.o.scheduler.every(this.o.everyMs, () => this.broadcast());
  }

  add(socket: StreamSocket): void {
    this.clients.add(socket);
    socket.on('close', () => this.clients.delete(socket));
    // The stream is one-way; what a client sends is ignored.
    socket.on('message', () => {});
    socket.send(JSON.stringify(this.o.welcome()));
  }

  broadcast(): void {
    if (this.clients.size === 0) return;
    const text = JSON.stringify(this.o.status(this.clients.size));
    const limit = this.o.maxBufferedBytes ?? 1_048_576;
    for (const s of this.clients) if (s.readyState === OPEN && s.bufferedAmount <= limit) s.send(text);
  }

  close(): void {
    this.stopTimer?.();
    this.stopTimer = null;
    for (const s of this.clients) s.close(1001, 'coordinator stopping');
    this.clients.clear();
  }
}
