import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { StreamListener } from '../app/live-stream.js';
import type { Envelope } from '../app/stream-state.js';
import type { Cancel } from '../core/ports.js';

/** What the hub streams: the facade on a leader (or a single server), the relayed events on a follower. */
export interface WsSource {
  subscribe(listener: StreamListener): Cancel;
  /** The STATE_SNAPSHOT sent on connect, unless `add` is given one. */
  snapshotJson?(): string;
}

/**
 * Per-client admission of each event, before the type filter: true sends it, false skips it, a
 * close ends the connection with that code and reason (a follower's client whose view went stale).
 */
export type WsGate = (envelope: Envelope) => boolean | { close: number; reason: string };

export interface WsAddOptions {
  /** The STATE_SNAPSHOT to send first (default: the source's). */
  snapshot?: string;
  /** Events that arrived while the snapshot was fetched: sent after it, through the gate. */
  backlog?: readonly (readonly [string, Envelope])[];
  gate?: WsGate;
}

export interface WsHubOptions {
  /** Unsent bytes above which a client skips messages; ten times it, the client is dropped. */
  maxBufferedBytes: number;
  pingIntervalMs: number;
  /** Messages a client may send per second (sustained; twice that in a burst) before it is cut off. */
  maxMessagesPerSecond: number;
}

/** Seed 000's documented event types (its dashboard's useBotWebSocket handles exactly these). */
export const SEED000_TYPES = ['STATE_SNAPSHOT', 'ACCOUNT_UPDATE', 'POSITION_UPDATE', 'SCAN_SUMMARY', 'TRADE_EXECUTION'] as const;
const PRESETS: Record<string, readonly string[]> = { seed000: SEED000_TYPES };
/**
 * Event types sent only to clients that name them (`?types=`, a subscribe message), never to
 * those that take everything: the desk's whole state (DESK_UPDATE, several kB a few times a
 * second) is only of use to the Desk page, and seed clients, followers' clients and scripts
 * reading every event should not pay for it.
 */
export const OPT_IN_TYPES: ReadonlySet<string> = new Set(['DESK_UPDATE']);
const TYPE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** The event types a /ws upgrade asked for, by `?types=` or `?events=` (parseTypes). */
export const requestedTypes = (query: unknown): Set<string> | null => {
  const q = (query ?? {}) as Record<string, unknown>;
  return parseTypes(q.types ?? q.events);
};

/**
 * The event types a client asked for: `seed000` (a preset), a comma-separated list of types, or
 * both; null = everything. Throws a message for anything else.
 */
export function parseTypes(raw: unknown): Set<string> | null {
  if (raw === undefined || raw === null || raw === '' || raw === 'all' || raw === '*') return null;
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : null;
  if (!items || items.length > 64) throw new Error('types must be a comma-separated list of event types (or seed000)');
  const out = new Set<string>();
  for (const item of items) {
    const s = typeof item === 'string' ? item.trim() : '';
    const preset = PRESETS[s.toLowerCase()];
    if (preset) for (const t of preset) out.add(t);
    else if (TYPE.test(s)) out.add(s);
    else throw new Error(`unknown event type or preset '${String(item).slice(0, 64)}' (use seed000 or upper-case event types)`);
  }
  return out;
}

interface Client {
  socket: WebSocket;
  alive: boolean;
  skipped: number;
  /** Event types it asked for; null = every type. */
  types: Set<string> | null;
  /** Token bucket of incoming messages (hand-written: a few lines, no library needed). */
  tokens: number;
  refilledAt: number;
  gate: WsGate | null;
}

/**
 * The /ws connection manager: STATE_SNAPSHOT on connect, then every stream envelope but the
 * opt-in types (or the types the client asked for). Dead connections (no pong within a ping interval) are dropped;
 * every message sent (broadcasts and replies alike) respects the per-client buffer limit, so a
 * slow or non-reading client skips messages and is dropped past ten times the limit; a client
 * that sends faster than allowed is cut off.
 */
export class WsHub {
  private readonly clients = new Set<Client>();
  private readonly unsubscribe: Cancel;
  private readonly pinger: NodeJS.Timeout;
  dropped = 0;
  skippedMessages = 0;
  /** Clients cut off for flooding. */
  flooded = 0;

  constructor(
    private readonly source: WsSource,
    private readonly options: WsHubOptions,
    private readonly log: Logger,
  ) {
    this.unsubscribe = source.subscribe((json, envelope) => this.broadcast(json, envelope));
    this.pinger = setInterval(() => this.pingAll(), options.pingIntervalMs);
    this.pinger.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  add(socket: WebSocket, types: Set<string> | null = null, o: WsAddOptions = {}): void {
    const client: Client = { socket, alive: true, skipped: 0, types, tokens: this.options.maxMessagesPerSecond * 2, refilledAt: Date.now(), gate: o.gate ?? null };
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
    const snapshot = o.snapshot ?? this.source.snapshotJson?.();
    if (snapshot !== undefined && (!types || types.has('STATE_SNAPSHOT'))) this.send(client, snapshot);
    for (const [json, envelope] of o.backlog ?? []) this.deliver(client, json, envelope);
  }

  broadcast(json: string, envelope?: Envelope): void {
    for (const client of this.clients) this.deliver(client, json, envelope);
  }

  /** Ends one connection with a close code and reason; it gets nothing more meanwhile. */
  disconnect(socket: WebSocket, code: number, reason: string): void {
    for (const client of this.clients) {
      if (client.socket !== socket) continue;
      this.clients.delete(client);
      this.end(client, code, reason);
      return;
    }
  }

  /** Ends every connection: with a close code and reason when given (clients reconnect), else at once. */
  close(code?: number, reason?: string): void {
    this.unsubscribe();
    clearInterval(this.pinger);
    for (const c of this.clients) this.end(c, code, reason);
    this.clients.clear();
  }

  private deliver(client: Client, json: string, envelope?: Envelope): void {
    if (client.gate && envelope) {
      const verdict = client.gate(envelope);
      if (verdict === false) return;
      if (verdict !== true) {
        this.clients.delete(client);
        this.end(client, verdict.close, verdict.reason);
        return;
      }
    }
    if (envelope !== undefined && !(client.types ? client.types.has(envelope.type) : !OPT_IN_TYPES.has(envelope.type))) return;
    this.send(client, json);
  }

  private end(client: Client, code?: number, reason?: string): void {
    if (code === undefined) return void client.socket.terminate();
    client.socket.close(code, reason);
    // A client that does not read never completes the closing handshake.
    setTimeout(() => client.socket.terminate(), 1_000).unref();
  }

  /** Sends unless the client's unsent data is past the limit (skipped) or ten times it (dropped). */
  private send(client: Client, json: string): boolean {
    const { socket } = client;
    if (socket.readyState !== socket.OPEN) {
      this.remove(client);
      return false;
    }
    if (socket.bufferedAmount > this.options.maxBufferedBytes) {
      client.skipped += 1;
      this.skippedMessages += 1;
      if (socket.bufferedAmount > this.options.maxBufferedBytes * 10) this.remove(client);
      return false;
    }
    socket.send(json, (err) => err && this.remove(client));
    return true;
  }

  private onMessage(client: Client, text: string): void {
    if (!this.clients.has(client)) return; // already cut off
    // Flood control: maxMessagesPerSecond sustained, twice that in a burst.
    const now = Date.now();
    const rate = this.options.maxMessagesPerSecond;
    client.tokens = Math.min(rate * 2, client.tokens + ((now - client.refilledAt) / 1000) * rate);
    client.refilledAt = now;
    client.tokens -= 1;
    if (client.tokens < 0) {
      this.flooded += 1;
      this.log.warn({ component: 'ws' }, `websocket client cut off: more than ${rate} messages a second`);
      this.clients.delete(client);
      this.dropped += 1;
      this.end(client, 1008, 'too many messages');
      return;
    }
    // Clients may send anything to keep the connection alive; a JSON ping gets a pong, a
    // subscribe message changes the event types it receives.
    if (text.length > 4096) return;
    let msg: { type?: unknown; types?: unknown; events?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return; // not JSON: a plain keep-alive
    }
    if (!msg || typeof msg !== 'object') return;
    if (msg.type === 'ping' || msg.type === 'PING') {
      this.send(client, JSON.stringify({ type: 'PONG', timestamp: new Date().toISOString(), data: {} }));
    } else if (msg.type === 'subscribe' || msg.type === 'SUBSCRIBE') {
      try {
        client.types = parseTypes(msg.types ?? msg.events);
        const types = client.types ? [...client.types] : 'all';
        this.send(client, JSON.stringify({ type: 'SUBSCRIBED', timestamp: new Date().toISOString(), data: { types }, types }));
      } catch (e) {
        const error = (e as Error).message;
        this.send(client, JSON.stringify({ type: 'ERROR', timestamp: new Date().toISOString(), data: { error }, error }));
      }
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
