import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import { LiveStream } from '../app/live-stream.js';
import type { Envelope } from '../app/stream-state.js';
import type { Cancel } from '../core/ports.js';
import type { StreamRelay } from '../core/stream-relay.js';
import { WsHub, type WsGate, type WsHubOptions } from './ws-hub.js';

/** GET /api/cluster/stream on the leader (src/api/routes-cluster.ts). */
export interface LeaderStreamSnapshot {
  /** The leader's relay instance id: the `origin` of its relayed events. */
  origin: string;
  /** The leader's fencing token. */
  token: number;
  /** The relay sequence number of the last event the snapshot holds. */
  seq: number;
  /** The STATE_SNAPSHOT envelope. */
  snapshot: Envelope;
}

/** Close codes a follower's client gets when it should reconnect (RFC 6455 §7.4.1). */
export const SERVICE_RESTART = 1012;
export const TRY_AGAIN_LATER = 1013;

export interface FollowerStreamOptions {
  relay: StreamRelay;
  ws: WsHubOptions;
  log: Logger;
}

/**
 * A follower's /ws (cluster mode, docs/SCALE-OUT.md): the leader's events as the Redis relay
 * delivers them, after a STATE_SNAPSHOT fetched from the leader. The leader's snapshot says how many
 * events it had published when it was taken (`seq`); each client is then sent the leader's relayed
 * events with a larger `seq`, in relay order, none twice. A missing `seq` (the leader could not
 * publish it, or Redis trimmed it before this follower read it) closes the client with 1013 so that
 * it reconnects to a snapshot that has it; a new leader closes it with 1012.
 */
export class FollowerStream {
  private readonly stream = new LiveStream();
  private readonly hub: WsHub;
  private readonly stop: Cancel;
  /** Connections whose snapshot is being fetched. */
  private readonly pending = new Set<WebSocket>();
  /** The fencing token each connected client's snapshot came from. */
  private readonly tokens = new WeakMap<WebSocket, number>();
  private readonly sockets = new Set<WebSocket>();
  private closed = false;

  constructor(private readonly o: FollowerStreamOptions) {
    this.hub = new WsHub(this.stream, o.ws, o.log);
    this.stop = o.relay.start(({ json, origin, id, seq }) => {
      let envelope: Envelope;
      try {
        envelope = JSON.parse(json) as Envelope;
      } catch {
        return;
      }
      if (!envelope || typeof envelope.type !== 'string') return;
      // Tagged as the relay tags other instances' events on any instance (src/app/stream-fanout.ts).
      this.stream.emit({ ...envelope, origin, stream_id: id, ...(seq !== undefined ? { seq } : {}) }, true);
    });
  }

  get size(): number {
    return this.hub.size + this.pending.size;
  }

  /**
   * Serves one connection: the events relayed while `snapshot` runs are kept, then sent after the
   * snapshot (those it already holds skipped). No snapshot (no leader, the leader refused or did not
   * answer): closed with 1013 and the reason.
   */
  async add(socket: WebSocket, types: Set<string> | null, snapshot: () => Promise<LeaderStreamSnapshot>): Promise<void> {
    const backlog: [string, Envelope][] = [];
    const unsubscribe = this.stream.subscribe((json, envelope) => backlog.push([json, envelope]));
    this.pending.add(socket);
    let snap: LeaderStreamSnapshot;
    try {
      snap = await snapshot();
    } catch (error) {
      if (socket.readyState === socket.OPEN) socket.close(TRY_AGAIN_LATER, truncate(`no snapshot from the leader: ${(error as Error).message}`));
      return;
    } finally {
      unsubscribe();
      this.pending.delete(socket);
    }
    if (this.closed || socket.readyState !== socket.OPEN) return;
    this.tokens.set(socket, snap.token);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const message = JSON.stringify({ ...snap.snapshot, origin: snap.origin, seq: snap.seq });
    this.hub.add(socket, types, { snapshot: message, backlog, gate: after(snap.origin, snap.seq) });
  }

  /** Closes the clients served from a leader other than the one holding `token` now. */
  leaderIs(token: number): void {
    for (const socket of this.sockets) {
      if (this.tokens.get(socket) === token) continue;
      this.sockets.delete(socket);
      this.hub.disconnect(socket, SERVICE_RESTART, 'the leader changed: reconnect for a fresh snapshot');
    }
  }

  /** Ends every connection with `code` and `reason` (they reconnect), and stops reading the relay. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    this.hub.close(code, reason);
    for (const socket of this.pending) socket.close(code, reason);
    this.pending.clear();
    this.sockets.clear();
  }
}

/** Admits the events of `origin` numbered after `seq`, one by one; a gap closes the client. */
function after(origin: string, seq: number): WsGate {
  let last = seq;
  return (envelope) => {
    // Another instance's events (an older leader's, still in the stream) belong to another view.
    if (envelope.origin !== origin) return false;
    const n = envelope.seq;
    if (typeof n !== 'number' || n <= last) return false;
    if (n > last + 1) return { close: TRY_AGAIN_LATER, reason: `events ${last + 1} to ${n - 1} were lost: reconnect for a fresh snapshot` };
    last = n;
    return true;
  };
}

/** A close reason is at most 123 bytes. */
function truncate(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  return bytes.length <= 123 ? reason : bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '') + '...';
}
