// REST helpers and the API's shapes (README: seeds 000, 001, 003).

export interface Account {
  balance: number;
  equity: number;
  profit: number;
  currency: string;
  leverage: number;
  day_pl: number;
  realized_pnl?: number;
  fees?: number;
  open_positions?: number;
  account_id?: string;
  mode?: string;
}

/**
 * A position as /api/positions and the stream send it: seed 000's fields (ticket, volume,
 * entry_price, profit...) and seed 001's (id, side, entry, size, pnlUsd...). Either set may be
 * missing, so the table reads whichever is there (positionView).
 */
export interface Position {
  ticket?: string | number;
  symbol: string;
  type?: 'BUY' | 'SELL';
  direction?: 'LONG' | 'SHORT';
  volume?: number;
  entry_price?: number;
  price_current?: number;
  sl_price?: number | null;
  tp_price?: number | null;
  profit?: number;
  // seed 001
  id?: string;
  side?: 'long' | 'short';
  entry?: number;
  sl?: number | null;
  tp?: number | null;
  size?: number;
  mode?: string;
  pnlR?: number;
  pnlUsd?: number;
  unrealizedPnlR?: number;
  unrealizedPnlUsd?: number;
  openedAt?: number | string;
}

export interface PositionView {
  key: string;
  /** The id the close route takes: seed 001's id, else the seed 000 ticket. */
  closeId: string | null;
  symbol: string;
  direction: 'LONG' | 'SHORT';
  size: number | null;
  entry: number | null;
  price: number | null;
  sl: number | null;
  tp: number | null;
  pnl: number | null;
  pnlR: number | null;
  openedAt: number | string | undefined;
}

const num = (...xs: (number | null | undefined)[]): number | null => {
  for (const x of xs) if (typeof x === 'number' && !Number.isNaN(x)) return x;
  return null;
};

/** One position in the table's terms, from whichever field set it carries. */
export function positionView(p: Position): PositionView {
  const id = p.id ?? (p.ticket !== undefined ? String(p.ticket) : null);
  const long = p.direction ? p.direction === 'LONG' : p.side ? p.side === 'long' : p.type !== 'SELL';
  return {
    key: id ?? `${p.symbol}|${String(p.openedAt ?? '')}`,
    closeId: id,
    symbol: p.symbol,
    direction: long ? 'LONG' : 'SHORT',
    size: num(p.volume, p.size),
    entry: num(p.entry_price, p.entry),
    price: num(p.price_current),
    sl: num(p.sl_price, p.sl),
    tp: num(p.tp_price, p.tp),
    pnl: num(p.profit, p.unrealizedPnlUsd, p.pnlUsd),
    pnlR: num(p.pnlR, p.unrealizedPnlR),
    openedAt: p.openedAt,
  };
}

export interface ClosePositionResult {
  success: boolean;
  /** closing, already_closing, or already_closed (its bot or an exit rule was first). */
  status?: string;
  message: string;
  position_id: string;
  order: { id: string; status: string } | null;
}

export const closePosition = (id: string): Promise<ClosePositionResult> =>
  api<ClosePositionResult>(`/api/positions/${encodeURIComponent(id)}/close`, { method: 'POST', json: {} });

export interface Trade {
  symbol: string;
  direction: string;
  price: number;
  lot: number;
  timestamp: string;
  order_id?: string;
  fill_id?: string;
  fee?: number;
  purpose?: string;
  bot_id?: string;
}

export interface ScanSummary {
  symbols: Record<string, string>;
  timestamp: string | null;
  count: number;
}

export interface ScanLevel {
  type: 'support' | 'resistance' | string;
  price: number;
  strength: number;
  touches?: number;
}

export interface ScanCandidate {
  symbol: string;
  score: number;
  rank: number;
  filters: Record<string, boolean>;
  metrics: Record<string, number>;
  levels: ScanLevel[];
}

/** Seed 001's scanner snapshot (GET /api/scanner/last, SCAN_RESULT). */
export interface ScannerSnapshot {
  timestamp: string;
  candidates: ScanCandidate[];
  totalScanned: number;
  passedFilters: number;
  summary?: Record<string, unknown>;
  bot_id?: string;
}

export interface StreamEvent {
  type: string;
  timestamp: string;
  [key: string]: unknown;
}

export interface State {
  account: Account;
  positions: Position[];
  scan_summary: ScanSummary;
  recent_trades: Trade[];
  events: StreamEvent[];
}

export interface EngineStatus {
  state: string;
  preset: string | null;
  mode: string;
  startedAt: string | number | null;
  openPositions: number;
  dailyR: number;
  killSwitch: boolean;
}

export interface PresetInfo {
  name: string;
  description: string;
  risk_per_trade: number;
  max_positions: number;
  strategy_type: string;
}

export interface CommandResult {
  success: boolean;
  message: string;
  state: string;
  changed: boolean;
}

export interface BarsAnswer {
  symbol: string;
  interval_ms: number;
  intervals: number[];
  bars: { time: number; open: number; high: number; low: number; close: number; volume: number }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** From a Retry-After header (429, 503), in ms; 0 when absent. */
    readonly retryAfterMs = 0,
  ) {
    super(message);
  }
}

const retryAfterOf = (res: Response): number => {
  const v = res.headers.get('retry-after');
  if (!v) return 0;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? 0 : Math.max(0, at - Date.now());
};

/** Raised on every 401 so the app can show the login page. */
export const UNAUTHORIZED_EVENT = 'tradewind:unauthorized';

const detailOf = (body: unknown, status: number): string => {
  if (body && typeof body === 'object') {
    const b = body as { detail?: unknown; message?: unknown; error?: unknown };
    if (typeof b.detail === 'string') return b.detail;
    // A schema refusal names the field (loc) in words: "cash must be > 0", not a bare "must be > 0".
    if (Array.isArray(b.detail))
      return b.detail
        .map((d: { msg?: string; loc?: unknown[] }) => {
          const field = (d.loc ?? []).filter((x, i) => !(i === 0 && ['body', 'querystring', 'params'].includes(String(x)))).join('.');
          return field ? `${field} ${d.msg ?? 'is not valid'}` : (d.msg ?? '');
        })
        .join('; ');
    if (typeof b.message === 'string') return b.message;
    if (typeof b.error === 'string') return b.error;
  }
  return `HTTP ${status}`;
};

/** A read (GET/HEAD) with no answer within this time fails as "unreachable" (see READ_TIMEOUT_MS). */
export const READ_TIMEOUT_MS = 15_000;

/**
 * Reads give up after `timeoutMs` (READ_TIMEOUT_MS): fetch itself never does, so a connection that
 * went silent (a dropped network, a proxy holding the request, a stalled server) would hold a poll
 * forever and the page would keep showing stale figures as current. The time-out is a TypeError,
 * as fetch's own network failures are, so the pollers count it as "server unreachable". State
 * changes get no time-out: giving up on an order that may still be processed would invite a
 * second one.
 */
async function fetchWithin(path: string, init: RequestInit, read: boolean, timeoutMs: number): Promise<{ res: Response; text: string }> {
  const timed = read && !init.signal ? new AbortController() : null;
  const timer = timed ? window.setTimeout(() => timed.abort(), timeoutMs) : undefined;
  try {
    const res = await fetch(path, timed ? { ...init, signal: timed.signal } : init);
    return { res, text: await res.text() };
  } catch (e) {
    if (timed?.signal.aborted) throw new TypeError(`no answer from the server within ${timeoutMs / 1000} s (${path})`, { cause: e });
    throw e;
  } finally {
    window.clearTimeout(timer);
  }
}

export async function api<T>(path: string, init: RequestInit & { json?: unknown; timeoutMs?: number } = {}): Promise<T> {
  const { json: given, timeoutMs = READ_TIMEOUT_MS, ...rest } = init;
  // State changes always go as JSON (an empty object when there is nothing to say): the server
  // refuses cookie-authenticated state changes of any other type (its cross-site defence).
  const method = (rest.method ?? 'GET').toUpperCase();
  const read = ['GET', 'HEAD'].includes(method);
  const json = given === undefined && rest.body === undefined && !read ? {} : given;
  const { res, text } = await fetchWithin(
    path,
    {
      credentials: 'same-origin',
      ...rest,
      headers: { accept: 'application/json', ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...(rest.headers ?? {}) },
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    },
    read,
    timeoutMs,
  );
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (res.status === 401 && !path.startsWith('/api/login')) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  if (!res.ok) throw new ApiError(res.status, detailOf(body, res.status), retryAfterOf(res));
  return body as T;
}

// The formatters are built once and reused: toLocaleString / toLocaleTimeString with a locale
// build a new Intl formatter on every call (about 50 µs each, measured in Node), which every table row
// and event-log line paid again on every stream message.
const numberFormats = new Map<number, Intl.NumberFormat>();
export const numberFormat = (digits: number): Intl.NumberFormat => {
  let f = numberFormats.get(digits);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    numberFormats.set(digits, f);
  }
  return f;
};
const countFormat = new Intl.NumberFormat('en-US');
const timeFormat = new Intl.DateTimeFormat('en-GB', { hour12: false, hour: 'numeric', minute: 'numeric', second: 'numeric' });
const dateClockFormat = new Intl.DateTimeFormat('en-GB', { hour12: false, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });

export const fmt = (n: number | null | undefined, digits = 2): string =>
  n === null || n === undefined || Number.isNaN(n) ? '—' : numberFormat(digits).format(n);

/** A count with thousands separators (12,345), as `toLocaleString('en-US')` writes it. */
export const fmtCount = (n: number): string => countFormat.format(n);

/** A local date and time, 24-hour (02/12/2026, 14:05:09). */
export const fmtDateClock = (d: Date): string => dateClockFormat.format(d);

/** A time of day, 24-hour (14:05:09). */
export const fmtClock = (d: Date): string => timeFormat.format(d);

export const fmtTime = (ts: string | number | null | undefined): string => {
  if (ts === null || ts === undefined) return '—';
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? String(ts) : timeFormat.format(d);
};

export const pnlClass = (n: number | null | undefined): string => (!n ? '' : n > 0 ? 'pos' : 'neg');

// ---- Backtests as jobs (README "Backtests as jobs") ----

export interface BacktestTrade {
  side: string;
  qty: number;
  entryPrice: number;
  exitPrice: number;
  openedAt: number;
  closedAt: number;
  grossPnl: number;
  fees: number;
  netPnl: number;
  pnlR: number | null;
  exitReason?: string;
}

export interface BacktestResult {
  instrument: string;
  strategy: Record<string, unknown>;
  intervalMs?: number;
  from: number | null;
  to: number | null;
  bars: number;
  ticks: number;
  fills: number;
  closedTrades: number;
  winningTrades?: number;
  losingTrades?: number;
  winRate: number | null;
  closedPnl: number;
  fees: number;
  startingCash: number;
  finalValue: number;
  returnPct?: number;
  openPosition: { side: string; qty: number; avgPrice: number; markPrice: number; unrealizedPnl: number } | null;
  maxDrawdown: number;
  maxDrawdownPct: number;
  exposure: number;
  sharpe: number | null;
  equityCurve: { ts: number; equity: number }[];
  /** The price the run saw, at most 600 candles (each `barsPerCandle` bars). */
  candles?: { time: number; open: number; high: number; low: number; close: number; volume: number }[];
  barsPerCandle?: number;
  trades: BacktestTrade[];
  kernelMs?: number;
  loadMs?: number;
  barsPerSecond?: number;
  input?: { format?: string; rows?: number; valid?: number; malformed?: number };
}

export interface BacktestJob {
  job_id: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  progress: { bars: number; ticks: number; fraction: number; ts: string | null };
  started_at: string;
  finished_at: string | null;
  error: string | null;
  result?: BacktestResult;
  /** Done, but the server no longer keeps its report (only the newest are kept in memory). */
  result_dropped?: boolean;
}

// ---- Logs and metrics ----

export interface LogEntry {
  id: number;
  timestamp: string | number;
  level: string;
  component: string;
  message: string;
  data?: unknown;
}

/** POST a JSON body and return the answer, or throw ApiError with the server's words. */
export const post = <T,>(path: string, json: unknown = {}): Promise<T> => api<T>(path, { method: 'POST', json });

export const fmtDateTime = (ts: string | number | null | undefined): string => {
  if (ts === null || ts === undefined) return '—';
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toISOString().replace('T', ' ').slice(0, 19);
};
