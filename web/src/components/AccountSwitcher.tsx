// The Live tab's account switcher and its orders (issue 16 item 12): which account's positions
// and orders the Live tab shows (`?account=` of GET /api/positions and GET /api/orders).
import { memo, useCallback, useEffect, useRef, useState } from 'react';
import { api, fmt, fmtTime, type Position } from '../api';
import { PositionsTable } from './PositionsTable';
import type { AccountsAnswer } from '../accounts';
import { usePoll } from '../polling';
import { DASHBOARD_ACCOUNT } from '../useDashboardData';

const STORAGE_KEY = 'tradewind.liveAccount';
/** Orders and desk positions change less often than the streamed figures: every 10 s is enough (rate budget). */
export const ORDERS_POLL_MS = 10_000;

/** The chosen account, kept across reloads (localStorage; absent or unreadable: the dashboard's). */
export function useLiveAccount(): [string, (a: string) => void] {
  const [account, setAccount] = useState<string>(() => {
    try {
      return window.localStorage.getItem(STORAGE_KEY) || DASHBOARD_ACCOUNT;
    } catch {
      return DASHBOARD_ACCOUNT;
    }
  });
  const choose = useCallback((a: string) => {
    setAccount(a);
    try {
      window.localStorage.setItem(STORAGE_KEY, a);
    } catch {
      /* private mode: the choice lasts this page only */
    }
  }, []);
  return [account, choose];
}

export const AccountSwitcher = memo(function AccountSwitcher({ value, onChange }: { value: string; onChange: (a: string) => void }) {
  const [ids, setIds] = useState<{ id: string; role?: string }[]>([]);
  useEffect(() => {
    api<AccountsAnswer>('/api/accounts')
      .then((a) => setIds(a.accounts.map((x) => ({ id: x.id, role: x.role }))))
      .catch(() => undefined);
  }, []);
  // A remembered account that no longer exists falls back to the dashboard's.
  useEffect(() => {
    if (ids.length > 0 && value !== DASHBOARD_ACCOUNT && value !== 'all' && !ids.some((x) => x.id === value)) onChange(DASHBOARD_ACCOUNT);
  }, [ids, value, onChange]);
  return (
    <label className="switcher small" title="Whose positions and orders the Live tab shows">
      account{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid="account-switcher" aria-label="account shown">
        <option value={DASHBOARD_ACCOUNT}>engine + demo bot</option>
        {ids.map((x) => (
          <option key={x.id} value={x.id}>
            {x.id}
            {x.role ? ` (${x.role})` : ''}
          </option>
        ))}
        <option value="all">all accounts</option>
      </select>
    </label>
  );
});

interface OrderRow {
  id: string;
  symbol: string;
  side: string;
  type: string;
  qty: number;
  price: number | null;
  stopPrice?: number | null;
  status: string;
  purpose?: string;
  createdAt: string;
  botId?: string | null;
}

/** The chosen account's latest orders (working ones first), polled while the Live tab is shown. */
export const OrdersPanel = memo(function OrdersPanel({ account, active, offline }: { account: string; active: boolean; offline: boolean }) {
  // Rows and error tagged with the account they were asked for: a poll of the previous account
  // that answers after a switch must not fill (or fail) the new account's table.
  const [answer, setAnswer] = useState<{ account: string; rows: OrderRow[] | null; error: string | null } | null>(null);
  const dashboardIds = useRef<string[] | null>(null);
  const load = useCallback(async () => {
    try {
      // 'dashboard' (the engine's and the demo bot's, as the positions) is two accounts of GET /api/orders.
      if (account === DASHBOARD_ACCOUNT && dashboardIds.current === null)
        dashboardIds.current = (await api<AccountsAnswer>('/api/accounts')).accounts.filter((a) => a.role === 'primary' || a.role === 'demo').map((a) => a.id);
      const ids = account === DASHBOARD_ACCOUNT ? (dashboardIds.current ?? []) : [account];
      const lists = await Promise.all(ids.map((id) => api<OrderRow[]>(`/api/orders?account=${encodeURIComponent(id)}&limit=50`)));
      setAnswer({ account, rows: lists.flat().sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0)), error: null });
    } catch (e) {
      // The rows shown stay until the next answer.
      setAnswer((prev) => ({ account, rows: prev?.account === account ? prev.rows : null, error: (e as Error).message }));
      throw e;
    }
  }, [account]);
  const current = answer?.account === account ? answer : null;
  const orders = current?.rows ?? null;
  const error = current?.error ?? null;
  usePoll(load, ORDERS_POLL_MS, active, account);
  const shown = (orders ?? []).slice().sort((a, b) => Number(b.status === 'open') - Number(a.status === 'open')).slice(0, 30);
  return (
    <section className="panel positions" data-testid="orders" data-account={account}>
      <h2>
        Orders<span className="muted">{account === DASHBOARD_ACCOUNT ? 'engine + demo bot' : account} · working first, latest 30</span>
      </h2>
      {error && <div className="error small">{error}</div>}
      <div className="scroll">
        <table>
          <thead>
            <tr>
              <th>time</th>
              <th>symbol</th>
              <th>side</th>
              <th>type</th>
              <th className="num">qty</th>
              <th className="num">price</th>
              <th>status</th>
              <th>purpose</th>
              <th>bot</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((o) => (
              <tr key={o.id} title={o.id} data-status={o.status}>
                <td>{fmtTime(o.createdAt)}</td>
                <td>{o.symbol}</td>
                <td className={o.side === 'buy' ? 'pos' : 'neg'}>{o.side}</td>
                <td>{o.type}</td>
                <td className="num">{o.qty}</td>
                <td className="num">{fmt(o.stopPrice ?? o.price)}</td>
                <td className={o.status === 'open' ? 'warn' : 'muted'}>{o.status}</td>
                <td className="muted">{(o.purpose ?? '').replace(/_/g, ' ')}</td>
                <td className="muted">{o.botId ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {orders && shown.length === 0 && <div className="muted small">no orders{offline ? ' (server unreachable)' : ''}</div>}
      </div>
    </section>
  );
});

/**
 * The operator desk's open positions on the Live tab (issue 16 item 7): the desk trades its own
 * account, which the engine's stream does not carry, so they are polled while the tab is shown.
 * Nothing is drawn without a desk account, or while the switcher already shows every account.
 */
export const DeskPositions = memo(function DeskPositions({ account, active, offline }: { account: string; active: boolean; offline: boolean }) {
  // undefined: not known yet (asked again at each poll until /api/accounts answers, so a refused
  // or failed first answer does not hide the panel until a reload); null: there is no desk account.
  const [desk, setDesk] = useState<string | null | undefined>(undefined);
  const [positions, setPositions] = useState<Position[]>([]);
  const shown = typeof desk === 'string' && account !== 'all' && account !== desk;
  const load = useCallback(async () => {
    // Once the account is known the poll restarts with it as its key and reads the positions at once.
    if (desk === undefined) setDesk((await api<AccountsAnswer>('/api/accounts')).accounts.find((x) => x.role === 'desk')?.id ?? null);
    else if (desk !== null) setPositions(await api<Position[]>(`/api/positions?account=${encodeURIComponent(desk)}`));
  }, [desk]);
  usePoll(load, ORDERS_POLL_MS, active && (desk === undefined || shown), desk);
  if (!shown) return null;
  return <PositionsTable positions={positions} offline={offline} title={`Operator desk positions (account ${desk})`} testId="desk-positions" />;
});
