// The live state: the WebSocket stream plus REST polling every 5 s. A poll's answer is applied
// only when no WebSocket message for the same slice arrived after the poll was sent, so a slow
// REST answer never overwrites newer streamed data.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type Account, type Position, type ScannerSnapshot, type ScanSummary, type State, type StreamEvent, type Trade } from './api';
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

export function useDashboardData(enabled: boolean): DashboardData {
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
  const streamedAt = useRef<Record<Slice, number>>({ account: -1, positions: -1, trades: -1, scanner: -1 });

  const onMessage = useCallback((m: StreamEvent) => {
    const now = performance.now();
    setLastUpdate(Date.now());
    switch (m.type) {
      case 'STATE_SNAPSHOT': {
        const s = m.data as State | undefined;
        if (!s) return;
        streamedAt.current = { ...streamedAt.current, account: now, positions: now, trades: now };
        setAccount(s.account);
        setPositions(s.positions ?? []);
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
        if (Array.isArray(p)) {
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

  useEffect(() => {
    if (!enabled) return undefined;
    let cancelled = false;
    const poll = async () => {
      const sentAt = performance.now();
      const fresh = (slice: Slice) => !cancelled && streamedAt.current[slice] < sentAt;
      const results = await Promise.allSettled([
        api<Account>('/api/account').then((a) => fresh('account') && setAccount(a)),
        // The engine's and the demo bot's positions, as the stream sends them (the demo bot has its own account).
        api<Position[]>('/api/positions?account=dashboard').then((p) => fresh('positions') && setPositions(p)),
        api<ScannerSnapshot>('/api/scanner/last').then((sn) => fresh('scanner') && Array.isArray(sn?.candidates) && setScanner(sn)),
        api<Trade[]>('/api/trades').then((t) => !cancelled && setTrades((cur) => (fresh('trades') ? mergeTrades([], [...t].reverse()) : mergeTrades(cur, t)))),
      ]);
      if (cancelled) return;
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      setPollError(failed ? String((failed.reason as Error).message ?? failed.reason) : null);
    };
    void poll();
    const timer = window.setInterval(() => void poll(), POLL_MS);
    return () => {
      cancelled = true;
      window.clearInterval(timer);
    };
  }, [enabled]);

  return { account, otherAccounts, positions, trades, scan, scanner, events, status, lastUpdate, pollError };
}
