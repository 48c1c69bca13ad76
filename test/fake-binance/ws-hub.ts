// The WebSocket side of the fake: market streams and user-data streams on the paths Binance
// serves them, for raw (`/ws/<stream>`, `/ws` + SUBSCRIBE) and combined (`/stream?streams=a/b`,
// answers wrapped as {stream, data}) connections, with the `/public`, `/market` and `/private`
// route prefixes of Binance's split futures endpoints (`/private/ws?listenKey=...`), and the
// classic user-data path `/ws/<listenKey>`.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Account } from './account.js';
import { listenKeyExpired } from './events.js';
import type { Sink, Venue } from './venue.js';

interface Conn {
  ws: WebSocket;
  combined: boolean;
  streams: Set<string>;
  /** The user-data stream this connection receives (its listen key and account). */
  user?: { key: string; account: Account };
  route: string;
  /** The TCP socket under `ws` (corked while a request's events are written: see batch()). */
  socket: Duplex;
}

export type ConnKind = 'market' | 'user' | 'all';

const PING_MS = 180_000;
const STREAM_NAME = /^!?[a-z0-9]+@[A-Za-z0-9_@]+$|^![A-Za-z]+@arr$/;

export class StreamHub implements Sink {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly conns = new Set<Conn>();
  private readonly byStream = new Map<string, Set<Conn>>();
  private readonly pinger: NodeJS.Timeout;
  /** Sockets corked by the batch() running now, or null outside one. */
  private corked: Set<Duplex> | null = null;

  constructor(private readonly venue: Venue) {
    this.pinger = setInterval(() => {
      for (const c of this.conns) if (c.ws.readyState === WebSocket.OPEN) c.ws.ping();
    }, PING_MS);
    this.pinger.unref();
  }

  /** True for the paths this hub serves. */
  static handles(path: string): boolean {
    return /^\/(?:(?:public|market|private)\/)?(?:ws|stream)(?:\/|$)/.test(path);
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, req, socket));
  }

  /**
   * Runs `fn` (one request's handler) with the WebSocket frames it sends held back, then sends
   * each connection's frames in one TCP write. Binance's events of one order (NEW, TRADE,
   * TRADE_LITE, ACCOUNT_UPDATE) then reach the client together, before the REST answer as
   * before, instead of as four writes that each wake the client for one frame.
   */
  batch<T>(fn: () => T): T {
    if (this.corked) return fn();
    const corked = new Set<Duplex>();
    this.corked = corked;
    try {
      return fn();
    } finally {
      this.corked = null;
      for (const socket of corked) socket.uncork();
    }
  }

  private write(conn: Conn, text: string): void {
    if (this.corked && !this.corked.has(conn.socket)) {
      conn.socket.cork();
      this.corked.add(conn.socket);
    }
    conn.ws.send(text);
  }

  private open(ws: WebSocket, req: IncomingMessage, socket: Duplex): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = url.pathname.replace(/^\/(public|market|private)(?=\/)/, '');
    const combined = route.startsWith('/stream');
    const conn: Conn = { ws, combined, streams: new Set(), route: url.pathname, socket };
    this.conns.add(conn);
    ws.on('close', () => this.drop(conn));
    ws.on('error', () => this.drop(conn));
    ws.on('message', (data) => this.onMessage(conn, data.toString()));
    const initial = combined ? (url.searchParams.get('streams') ?? '').split('/') : route.replace(/^\/ws\/?/, '').split('/');
    const listenKey = url.searchParams.get('listenKey');
    if (listenKey !== null) {
      if (!this.attachUser(conn, listenKey)) {
        ws.close(1008, 'Invalid listenKey');
        return;
      }
    }
    // Path segments that are neither a listen key nor a stream name (ccxt puts a connection
    // number there, e.g. /market/ws/0) are ignored, as Binance does.
    for (const name of initial.filter((s) => s !== '')) {
      if (!this.attachUser(conn, name) && STREAM_NAME.test(name)) this.subscribe(conn, name);
    }
  }

  private attachUser(conn: Conn, key: string): boolean {
    for (const a of this.venue.accounts.values()) {
      if (a.listenKey && a.listenKey.key === key && a.listenKey.expiresAt > this.venue.now()) {
        conn.user = { key, account: a };
        return true;
      }
    }
    return false;
  }

  private subscribe(conn: Conn, stream: string): void {
    conn.streams.add(stream);
    let set = this.byStream.get(stream);
    if (!set) {
      set = new Set();
      this.byStream.set(stream, set);
    }
    set.add(conn);
  }

  private unsubscribe(conn: Conn, stream: string): void {
    conn.streams.delete(stream);
    this.byStream.get(stream)?.delete(conn);
  }

  private drop(conn: Conn): void {
    for (const s of conn.streams) this.byStream.get(s)?.delete(conn);
    this.conns.delete(conn);
  }

  private onMessage(conn: Conn, text: string): void {
    let msg: { method?: unknown; params?: unknown; id?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      this.send(conn, { error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' } });
      return;
    }
    const id = msg.id ?? null;
    const params = Array.isArray(msg.params) ? msg.params.map(String) : [];
    switch (msg.method) {
      case 'SUBSCRIBE':
        for (const p of params) if (!this.attachUser(conn, p)) this.subscribe(conn, p);
        this.send(conn, { result: null, id });
        break;
      case 'UNSUBSCRIBE':
        for (const p of params) this.unsubscribe(conn, p);
        this.send(conn, { result: null, id });
        break;
      case 'LIST_SUBSCRIPTIONS':
        this.send(conn, { result: [...conn.streams, ...(conn.user ? [conn.user.key] : [])], id });
        break;
      case 'SET_PROPERTY':
        if (params[0] === 'combined') conn.combined = String((msg.params as unknown[])[1]) === 'true';
        this.send(conn, { result: null, id });
        break;
      case 'GET_PROPERTY':
        this.send(conn, { result: conn.combined, id });
        break;
      default:
        this.send(conn, { error: { code: 2, msg: `Invalid request: unknown variant \`${String(msg.method)}\`` }, id });
    }
  }

  private send(conn: Conn, payload: object): void {
    if (conn.ws.readyState === WebSocket.OPEN) this.write(conn, JSON.stringify(payload));
  }

  wants(stream: string): boolean {
    return (this.byStream.get(stream)?.size ?? 0) > 0;
  }

  publish(stream: string, payload: object): void {
    const set = this.byStream.get(stream);
    if (!set || set.size === 0) return;
    let raw: string | undefined;
    let wrapped: string | undefined;
    for (const c of set) {
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      if (c.combined) this.write(c, (wrapped ??= JSON.stringify({ stream, data: payload })));
      else this.write(c, (raw ??= JSON.stringify(payload)));
    }
  }

  /** Fill events (ORDER_TRADE_UPDATE, x TRADE) still to be sent twice, per account. */
  readonly duplicateFills = new Map<Account, number>();

  user(account: Account, payload: object): void {
    const dup = this.duplicateFills.get(account) ?? 0;
    if (dup > 0 && (payload as { e?: string; o?: { x?: string } }).e === 'ORDER_TRADE_UPDATE' && (payload as { o?: { x?: string } }).o?.x === 'TRADE') {
      this.duplicateFills.set(account, dup - 1);
      this.deliver(account, payload);
    }
    this.deliver(account, payload);
  }

  private deliver(account: Account, payload: object): void {
    const now = this.venue.now();
    for (const c of this.conns) {
      if (c.user?.account !== account) continue;
      const live = account.listenKey && account.listenKey.key === c.user.key && account.listenKey.expiresAt > now;
      if (!live) {
        this.send(c, c.combined ? { stream: c.user.key, data: listenKeyExpired(c.user.key, now) } : listenKeyExpired(c.user.key, now));
        c.user = undefined;
        continue;
      }
      this.send(c, c.combined ? { stream: c.user.key, data: payload } : payload);
    }
  }

  /** Tells user streams whose listen key expired (or was closed) and detaches them. */
  expireListenKeys(): void {
    const now = this.venue.now();
    for (const c of this.conns) {
      const a = c.user?.account;
      if (!a || !c.user) continue;
      const live = a.listenKey && a.listenKey.key === c.user.key && a.listenKey.expiresAt > now;
      if (!live) {
        const key = c.user.key;
        this.send(c, c.combined ? { stream: key, data: listenKeyExpired(key, now) } : listenKeyExpired(key, now));
        c.user = undefined;
      }
    }
  }

  /** Connections by kind (user = receives a user-data stream). */
  count(kind: ConnKind = 'all', apiKey?: string): number {
    let n = 0;
    for (const c of this.conns) if (this.isKind(c, kind) && (apiKey === undefined || c.user?.account.apiKey === apiKey)) n++;
    return n;
  }

  subscribers(stream: string): number {
    return this.byStream.get(stream)?.size ?? 0;
  }

  private isKind(c: Conn, kind: ConnKind): boolean {
    return kind === 'all' || (kind === 'user' ? c.user !== undefined : c.user === undefined);
  }

  /** Cuts connections abruptly (no close frame: the client sees 1006), as a network failure does. */
  disconnect(kind: ConnKind = 'all'): number {
    let n = 0;
    for (const c of [...this.conns]) {
      if (!this.isKind(c, kind)) continue;
      c.ws.terminate();
      this.drop(c);
      n++;
    }
    return n;
  }

  close(): void {
    this.disconnect('all');
    clearInterval(this.pinger);
    this.wss.close();
  }
}
