// The accounts and venues view's data (issue 16 item 12): GET /api/accounts (connection state,
// figures, bots, risk refusals), seed 002's /api/v1/trading/* (balances, positions, pending
// orders of every account) and the venue reconciler's differences from the event log.
import { api, type StreamEvent } from './api';

export interface AccountFigures {
  currency: string;
  balance: number;
  equity: number;
  realizedPnl: number;
  unrealizedPnl: number;
  dayPnl: number;
  fees: number;
  openPositions: number;
}

export interface AccountEntry {
  id: string;
  kind: string;
  exchange?: string;
  environment?: string;
  /** ready, connected, connecting, disconnected, no-credentials, auth-failed… */
  state: string;
  detail: string;
  role?: string;
  account?: AccountFigures;
  open_positions?: number;
  working_orders?: number;
  bots?: { id: string; running: boolean }[];
  halted?: string | null;
  kill_switch?: unknown;
  risk_refusals?: { total: number; by_code: Record<string, number> };
}

export interface AccountsAnswer {
  default: string;
  accounts: AccountEntry[];
}

export interface VenuePosition {
  id: string;
  account_id: string;
  instrument: string;
  quantity: number;
  side: 'long' | 'short';
  avg_price: number;
  unrealized_pnl: number;
  mark_price: number;
  stop_price: number | null;
  take_profit: number | null;
  opened_at: string;
}

export interface VenueOrder {
  order_id: string;
  account_id: string;
  instrument: string;
  side: 'Buy' | 'Sell';
  quantity: number;
  price: number | null;
  status: string;
  order_type: string;
  filled_quantity: number;
  stop_price?: number | null;
  purpose?: string;
  created_at: string;
}

/** One difference the venue reconciler found (an ALERT of kind `venue-…` carrying `difference`). */
export interface ReconcileDifference {
  at: string;
  accountId: string;
  kind: string;
  reason: string;
  message: string;
  difference: Record<string, unknown>;
}

export interface AccountsView {
  accounts: AccountsAnswer;
  positions: VenuePosition[];
  orders: VenueOrder[];
  differences: ReconcileDifference[];
}

/** Reconciliation differences among the event log's alerts, newest first. */
export function differencesOf(events: StreamEvent[]): ReconcileDifference[] {
  const out: ReconcileDifference[] = [];
  for (const e of events) {
    const d = (e.difference ?? (e.data as Record<string, unknown> | undefined)?.difference) as Record<string, unknown> | undefined;
    if (e.type !== 'ALERT' || typeof e.kind !== 'string' || !e.kind.startsWith('venue-') || !d) continue;
    out.push({
      at: String(e.at ?? e.timestamp),
      accountId: String(e.account_id ?? ''),
      kind: String(d.kind ?? e.kind.replace(/^venue-/, '')),
      reason: String(e.reason ?? ''),
      message: String(e.message ?? ''),
      difference: d,
    });
  }
  return out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}

/** Everything the view shows, in one round of reads (each in the `reads` rate group). */
export async function loadAccounts(): Promise<AccountsView> {
  const [accounts, positions, orders, state] = await Promise.all([
    api<AccountsAnswer>('/api/accounts'),
    api<{ positions: VenuePosition[] }>('/api/v1/trading/positions?use_cache=false'),
    api<{ orders: VenueOrder[] }>('/api/v1/trading/orders/pending?use_cache=false'),
    api<{ events?: StreamEvent[] }>('/api/state'),
  ]);
  return { accounts, positions: positions.positions, orders: orders.orders, differences: differencesOf(state.events ?? []) };
}

/** A connection state in words and its colour class. */
export function connectionOf(state: string): { label: string; cls: string } {
  switch (state) {
    case 'ready':
    case 'connected':
      return { label: state, cls: 'pos' };
    case 'connecting':
    case 'reconnecting':
    case 'degraded':
      return { label: state, cls: 'warn' };
    default:
      return { label: state.replace(/-/g, ' '), cls: 'neg' };
  }
}

/** The difference's own fields in a line (symbol, ids, quantities, action), without the kind. */
export const differenceDetail = (d: Record<string, unknown>): string =>
  Object.entries(d)
    .filter(([k, v]) => k !== 'kind' && v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} ${String(v)}`)
    .join(' · ');
