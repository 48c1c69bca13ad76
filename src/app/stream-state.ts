import { gzipSync } from 'node:zlib';
import { isoTime } from '../core/clock.js';
import type { SeedAccount, SeedPosition, SeedScan, SeedTrade } from './seed-shapes.js';
import { EMPTY_SCAN } from './seed-shapes.js';

export type StreamType = 'ACCOUNT_UPDATE' | 'POSITION_UPDATE' | 'SCAN_SUMMARY' | 'TRADE_EXECUTION' | 'ALERT';

/** A seed 000 event: its type and its fields at the top level. */
export type StreamEvent =
  | { type: 'ACCOUNT_UPDATE'; account: SeedAccount; accounts?: SeedAccount[] }
  | { type: 'POSITION_UPDATE'; positions: SeedPosition[] }
  | { type: 'SCAN_SUMMARY'; symbols: Record<string, string>; timestamp: string | null; count: number }
  | ({ type: 'TRADE_EXECUTION'; account_id?: string } & SeedTrade)
  /** An operator alert (stale bridge order, late or refused fill, position mismatch): logged in `events`. */
  | { type: 'ALERT'; kind: string; account_id: string; message: string; [field: string]: unknown };

/** What goes on the wire: seed 000's top-level fields and seed 001's `data`, plus a timestamp. */
export type Envelope = Record<string, unknown> & { type: string; timestamp: string; data: unknown };

export interface StreamSnapshot {
  account: SeedAccount | null;
  positions: SeedPosition[];
  scan_summary: SeedScan;
  recent_trades: SeedTrade[];
  events: Record<string, unknown>[];
}

export interface StateBody {
  version: number;
  raw: Buffer;
  etag: string;
  gzip(): Buffer;
}

export const MAX_RECENT_TRADES = 50;
export const MAX_EVENTS = 200;

/**
 * Seed 000's in-memory state, updated by every pushed event the way `_update_state` does, with
 * the rolling windows (trades 50, events 200). The JSON of /api/state is cached per version.
 */
export class StreamState {
  private account: SeedAccount | null = null;
  private positions: SeedPosition[] = [];
  private scan: SeedScan = EMPTY_SCAN;
  private trades: SeedTrade[] = [];
  private events: Record<string, unknown>[] = [];
  private version = 0;
  private cachedVersion = -1;
  private cachedJson = '';
  private cachedBody: StateBody | null = null;

  seed(init: Partial<StreamSnapshot>): void {
    if (init.account !== undefined) this.account = init.account;
    if (init.positions) this.positions = init.positions;
    if (init.scan_summary) this.scan = init.scan_summary;
    if (init.recent_trades) this.trades = init.recent_trades.slice(-MAX_RECENT_TRADES);
    if (init.events) this.events = init.events.slice(-MAX_EVENTS);
    this.version += 1;
  }

  /**
   * Applies an event and returns its wire envelope. `logged` events are appended to the event
   * log; mark-to-market refreshes update the state without flooding the log.
   */
  apply(event: StreamEvent, now: number, logged: boolean): Envelope {
    switch (event.type) {
      case 'ACCOUNT_UPDATE':
        this.account = { ...(this.account ?? {}), ...event.account };
        break;
      case 'POSITION_UPDATE':
        this.positions = event.positions;
        break;
      case 'SCAN_SUMMARY':
        this.scan = { symbols: event.symbols, timestamp: event.timestamp, count: event.count };
        break;
      case 'TRADE_EXECUTION': {
        const { type: _type, ...trade } = event;
        this.trades.push(trade);
        if (this.trades.length > MAX_RECENT_TRADES) this.trades.splice(0, this.trades.length - MAX_RECENT_TRADES);
        break;
      }
    }
    const timestamp = isoTime(now);
    const { type, ...fields } = event;
    const logEntry = { type, timestamp, ...fields } as Record<string, unknown>;
    if (logged) {
      this.events.push(logEntry);
      if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    }
    this.version += 1;
    return { ...logEntry, type, timestamp, data: fields };
  }

  snapshot(): StreamSnapshot {
    return {
      account: this.account,
      positions: this.positions,
      scan_summary: this.scan,
      recent_trades: this.trades,
      events: this.events,
    };
  }

  /** The state as JSON, serialised once per change however many clients read it. */
  json(): string {
    if (this.cachedVersion !== this.version) {
      this.cachedJson = JSON.stringify(this.snapshot());
      this.cachedVersion = this.version;
    }
    return this.cachedJson;
  }

  /**
   * The state as response bytes with an ETag, built once per change; the gzip copy is made on
   * first request. Re-encoding 100 KB of JSON per request would cost a quarter of the time.
   */
  body(): StateBody {
    const json = this.json();
    if (this.cachedBody?.version !== this.version) {
      const raw = Buffer.from(json, 'utf8');
      let gz: Buffer | null = null;
      this.cachedBody = {
        version: this.version,
        raw,
        etag: `W/"s${this.version}-${raw.length}"`,
        gzip: () => (gz ??= gzipSync(raw, { level: 6 })),
      };
    }
    return this.cachedBody;
  }

  get currentVersion(): number {
    return this.version;
  }

  lastAccount(): SeedAccount | null {
    return this.account;
  }

  lastPositions(): SeedPosition[] {
    return this.positions;
  }

  scanSummary(): SeedScan {
    return this.scan;
  }

  recentTrades(): SeedTrade[] {
    return this.trades;
  }
}
