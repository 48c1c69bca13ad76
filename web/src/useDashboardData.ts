// The live state: the WebSocket stream (engine state changes included) plus REST polling every 5 s while the Live page is shown. A poll's answer is applied
// only when no WebSocket message for the same slice arrived after the poll was sent, so a slow
// REST answer never overwrites newer streamed data.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type Account, type BarsAnswer, type Position, type ScannerSnapshot, type ScanSummary, type State, type StreamEvent, type Trade } from './api';
import { retryable, unreachable, usePoll } from './polling';
import { useBotWebSocket } from './useBotWebSocket';

export const POLL_MS = 5000;
const MAX_TRADES = 50;
const MAX_EVENTS = 200;

type Slice = 'account' | 'positions' | 'trades' | 'scanner';

export interface DashboardData {
  account: Account | null;
  /** The other accounts shown (the demo bot's): its own figures, never mixed into the engine's. */
  otherAccounts: Account[];
  positions: Position[];
  trades: Trade[];
  scan: ScanSummary | null;
  /** Seed 001's last scanner snapshot (GET /api/scanner/last, SCAN_RESULT). */
  scanner: ScannerSnapshot | null;
  events: StreamEvent[];
  status: ReturnType<typeof useBotWebSocket>['status'];
  lastUpdate: number | null;
  pollError: string | null;
  /** The server cannot be reached (stream closed or polls unanswered): figures are stale, actions off. */
  offline: boolean;
  /** Polls are being refused (429) or failing and retried later. */
  busy: boolean;
  /** When the next poll is due while failing. */
  retryAt: number | null;
  /** The engine's last state change from the stream (ENGINE_UPDATE), numbered so a repeat is seen. */
  engineUpdate: EngineUpdate | null;
  /** Calls `listener` with each closed bar the stream sends (BAR); returns the unsubscribe. */
  subscribeBars: (listener: BarListener) => () => void;
}

export type StreamedBar = { symbol: string; interval_ms: number; bar: BarsAnswer['bars'][number] };
export type BarListener = (bar: StreamedBar) => void;

export interface EngineUpdate {
  seq: number;
  state: string;
  command?: string;
}

const tradeKey = (t: Trade): string => t.fill_id ?? `${t.order_id ?? ''}|${t.timestamp}|${t.symbol}|${t.price}`;

/** Newest first, without duplicates. */
function mergeTrades(current: Trade[], incoming: Trade[]): Trade[] {
  const seen = new Set<string>();
  const out: Trade[] = [];
  for (const t of [...incoming, ...current]) {
    const k = tradeKey(t);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(t);
  }
  return out.sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0)).slice(0, MAX_TRADES);
}

const payload = <T,>(m: StreamEvent, key: string): T | undefined => {
  const data = m.data as Record<string, unknown> | undefined;
  return ((m[key] ?? data?.[key]) as T | undefined) ?? undefined;
};

/** The Live tab's default positions: the engine's and the demo bot's, as the stream sends them. */
export const DASHBOARD_ACCOUNT = 'dashboard';

/**
 * `account` picks whose positions are shown (`?account=` of GET /api/positions: an account id,
 * `all`, or `dashboard`); the stream's positions are the dashboard's, so another choice is polled only.
 */
export function useDashboardData(enabled: boolean, active = true, shownAccountId = DASHBOARD_ACCOUNT): DashboardData {
  const [account, setAccount] = useState<Account | null>(null);
  /** The other accounts the dashboard shows (the demo bot's), from ACCOUNT_UPDATE's `accounts`. */
  const [otherAccounts, setOtherAccounts] = useState<Account[]>([]);
  const [positions, setPositions] = useState<Position[]>([]);
  const [trades, setTrades] = useState<Trade[]>([]);
  const [scan, setScan] = useState<ScanSummary | null>(null);
  const [scanner, setScanner] = useState<ScannerSnapshot | null>(null);
  const [events, setEvents] = useState<StreamEvent[]>([]);
  const [lastUpdate, setLastUpdate] = useState<number | null>(null);
  const [pollError, setPollError] = useState<string | null>(null);
  const [polledAt, setPolledAt] = useState<number | null>(null);
  const [engineUpdate, setEngineUpdate] = useState<EngineUpdate | null>(null);
  // Bars go straight to the charts that asked (no state here: a bar re-renders nothing else).
  const barListeners = useRef(new Set<BarListener>());
  const subscribeBars = useCallback((listener: BarListener) => {
    barListeners.current.add(listener);
    return () => {
      barListeners.current.delete(listener);
    };
  }, []);
  const streamedAt = useRef<Record<Slice, number>>({ account: -1, positions: -1, trades: -1, scanner: -1 });
  const shownAccount = useRef(shownAccountId);
  const streamedPositions = useRef(shownAccountId === DASHBOARD_ACCOUNT);
  streamedPositions.current = shownAccountId === DASHBOARD_ACCOUNT;
  // Another account's positions are never shown under this one's name, not even until the next poll.
  if (shownAccount.current !== shownAccountId) {
    shownAccount.current = shownAccountId;
    setPositions([]);
  }

  const onMessage = useCallback((m: StreamEvent) => {
    if (m.type === 'BAR') {
      const b = (m.data ?? m) as StreamedBar;
      if (typeof b.symbol === 'string' && b.bar && typeof b.bar.time === 'number') for (const l of barListeners.current) l(b);
      return;
    }
    const now = performance.now();
    setLastUpdate(Date.now());
    switch (m.type) {
      case 'STATE_SNAPSHOT': {
        const s = m.data as State | undefined;
        if (!s) return;
        streamedAt.current = { ...streamedAt.current, account: now, positions: now, trades: now };
        setAccount(s.account);
        if (streamedPositions.current) setPositions(s.positions ?? []);
        setTrades(mergeTrades([], [...(s.recent_trades ?? [])].reverse()));
        setScan(s.scan_summary ?? null);
        setEvents([...(s.events ?? [])].reverse().slice(0, MAX_EVENTS));
        return;
      }
      case 'ACCOUNT_UPDATE': {
        const a = payload<Account>(m, 'account');
        if (a) {
          streamedAt.current.account = now;
          setAccount(a);
          const all = payload<Account[]>(m, 'accounts');
          if (Array.isArray(all)) setOtherAccounts(all.filter((x) => x.account_id !== a.account_id));
        }
        return;
      }
      case 'POSITION_UPDATE': {
        const p = payload<Position[]>(m, 'positions');
        if (Array.isArray(p) && streamedPositions.current) {
          streamedAt.current.positions = now;
          setPositions(p);
        }
        return;
      }
      case 'SCAN_SUMMARY': {
        const data = (m.data ?? m) as ScanSummary;
        setScan({ symbols: data.symbols ?? {}, timestamp: data.timestamp ?? m.timestamp, count: data.count ?? 0 });
        setEvents((e) => [m, ...e].slice(0, MAX_EVENTS));
        return;
      }
      case 'SCAN_RESULT': {
        const snap = (m.data ?? m) as ScannerSnapshot;
        if (Array.isArray(snap.candidates)) {
          streamedAt.current.scanner = now;
          setScanner(snap);
        }
        return;
      }
      case 'ENGINE_UPDATE': {
        const state = payload<string>(m, 'state');
        const command = payload<string>(m, 'command');
        if (typeof state === 'string') setEngineUpdate((u) => ({ seq: (u?.seq ?? 0) + 1, state, ...(command ? { command } : {}) }));
        return;
      }
      case 'ALERT': {
        // Operator alerts (kill switch, refusals, venue differences) join the event log as they happen.
        setEvents((e) => [m, ...e].slice(0, MAX_EVENTS));
        return;
      }
      case 'TRADE_EXECUTION': {
        const t = (m.data ?? m) as Trade;
        streamedAt.current.trades = now;
        setTrades((cur) => mergeTrades(cur, [t]));
        setEvents((e) => [m, ...e].slice(0, MAX_EVENTS));
        return;
      }
      default:
        return;
    }
  }, []);

  const { status } = useBotWebSocket(onMessage, enabled);

  // Polled only while the Live page is shown (`active`); the stream keeps it current otherwise.
  const poll = useCallback(async () => {
    const sentAt = performance.now();
    const fresh = (slice: Slice) => streamedAt.current[slice] < sentAt;
    const results = await Promise.allSettled([
      api<Account>('/api/account').then((a) => fresh('account') && setAccount(a)),
      // The engine's and the demo bot's positions, as the stream sends them (the demo bot has its own account).
      api<Position[]>(`/api/positions?account=${encodeURIComponent(shownAccountId)}`).then((p) => shownAccount.current === shownAccountId && (!streamedPositions.current || fresh('positions')) && setPositions(p)),
      api<ScannerSnapshot>('/api/scanner/last').then((sn) => fresh('scanner') && Array.isArray(sn?.candidates) && setScanner(sn)),
      api<Trade[]>('/api/trades').then((t) => setTrades((cur) => (fresh('trades') ? mergeTrades([], [...t].reverse()) : mergeTrades(cur, t)))),
    ]);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    // A refused or unreachable server is retried later (usePoll) and shown as busy/offline, not as an error.
    const transient = failures.find(retryable);
    const lasting = failures.find((e) => !retryable(e));
    setPollError(lasting ? String((lasting as Error).message ?? lasting) : null);
    if (transient) throw transient;
    setPolledAt(Date.now());
  }, [shownAccountId]);
  const polling = usePoll(poll, POLL_MS, enabled && active, shownAccountId);
  // Down from the stream's first close until it is open again: its reconnect attempts ('connecting')
  // must not light the stale figures and disabled buttons up again between two refusals.
  const [down, setDown] = useState(false);
  useEffect(() => {
    if (status === 'closed') setDown(true);
    else if (status === 'open') setDown(false);
  }, [status]);
  const offline = down || status === 'closed' || (polling.failures > 0 && unreachable(polling.error));
  const busy = polling.failures > 0 && !offline;

  return { account, otherAccounts, positions, trades, scan, scanner, events, status, lastUpdate: Math.max(lastUpdate ?? 0, polledAt ?? 0) || null, pollError, offline, busy, retryAt: polling.retryAt, engineUpdate, subscribeBars };
}
