// Accounts and venues (issue 16 item 12): every account with its connection state, balances,
// positions and pending orders, and the venue reconciler's differences. Polled every 5 s while shown.
import { useCallback, useState } from 'react';
import { fmt, fmtDateTime, pnlClass } from '../api';
import { connectionOf, differenceDetail, loadAccounts, type AccountsView } from '../accounts';
import { usePoll } from '../polling';
import { withoutPaths } from '../withoutPaths';
import '../panels.css';

export const ACCOUNTS_POLL_MS = 5000;

export function AccountsPage({ offline = false }: { offline?: boolean }) {
  const [view, setView] = useState<AccountsView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string>('all');
  const load = useCallback(async () => {
    try {
      setView(await loadAccounts());
      setError(null);
    } catch (e) {
      setError(withoutPaths((e as Error).message));
      throw e;
    }
  }, []);
  usePoll(load, ACCOUNTS_POLL_MS);
  const mine = <T extends { account_id: string }>(rows: T[]) => (selected === 'all' ? rows : rows.filter((r) => r.account_id === selected));
  const positions = view ? mine(view.positions) : [];
  const orders = view ? mine(view.orders) : [];
  const differences = view ? view.differences.filter((d) => selected === 'all' || d.accountId === selected) : [];

  return (
    <div className={offline ? 'grid stale' : 'grid'} data-testid="accounts-page">
      <section className="panel span12" data-testid="accounts">
        <h2>
          Accounts and venues<span className="muted">{view ? `${view.accounts.accounts.length} · default ${view.accounts.default} · click a row to show only its positions and orders` : 'loading…'}</span>
        </h2>
        {error && (
          <div className="error small" role="alert">
            {error}
          </div>
        )}
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th>account</th>
                <th>venue</th>
                <th>connection</th>
                <th className="num">balance</th>
                <th className="num">equity</th>
                <th className="num">open P/L</th>
                <th className="num">day P/L</th>
                <th className="num" title="open positions / working orders">pos / ord</th>
                <th>bots</th>
                <th className="num" title="orders the risk engine refused since start">refused</th>
              </tr>
            </thead>
            <tbody>
              {view?.accounts.accounts.map((a) => {
                const c = connectionOf(a.state);
                const f = a.account;
                return (
                  <tr
                    key={a.id}
                    data-account={a.id}
                    data-state={a.state}
                    className={selected === a.id ? 'sel' : ''}
                    style={{ cursor: 'pointer' }}
                    onClick={() => setSelected((s) => (s === a.id ? 'all' : a.id))}
                  >
                    <td>
                      <b>{a.id}</b> <span className="muted small">{a.role ?? ''}</span>
                    </td>
                    <td>{a.kind === 'ccxt' ? `${a.exchange ?? 'exchange'} · ${a.environment ?? ''}` : a.kind}</td>
                    <td title={a.detail}>
                      <span className={c.cls} data-testid="account-state">
                        ● {c.label}
                      </span>
                      {a.halted && <span className="neg small"> · halted: {a.halted}</span>}
                    </td>
                    <td className="num" data-field="balance">
                      {f ? `${fmt(f.balance)} ${f.currency}` : '—'}
                    </td>
                    <td className="num">{f ? fmt(f.equity) : '—'}</td>
                    <td className={`num ${pnlClass(f?.unrealizedPnl)}`}>{f ? fmt(f.unrealizedPnl) : '—'}</td>
                    <td className={`num ${pnlClass(f?.dayPnl)}`}>{f ? fmt(f.dayPnl) : '—'}</td>
                    <td className="num">
                      {a.open_positions ?? '—'} / {a.working_orders ?? '—'}
                    </td>
                    <td className="small">{(a.bots ?? []).map((b) => `${b.id}${b.running ? '' : ' (stopped)'}`).join(', ') || '—'}</td>
                    <td className="num">{a.risk_refusals?.total ?? 0}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {selected !== 'all' && (
          <div className="small">
            showing account <b>{selected}</b>{' '}
            <button type="button" onClick={() => setSelected('all')} data-testid="accounts-show-all">
              show all
            </button>
          </div>
        )}
      </section>
      <section className="panel span6" data-testid="accounts-positions">
        <h2>
          Positions<span className="muted">{positions.length}</span>
        </h2>
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th>account</th>
                <th>instrument</th>
                <th>side</th>
                <th className="num">qty</th>
                <th className="num">entry</th>
                <th className="num">mark</th>
                <th className="num">P/L</th>
                <th className="num">stop</th>
                <th>opened</th>
              </tr>
            </thead>
            <tbody>
              {positions.map((p) => (
                <tr key={p.id} data-account={p.account_id}>
                  <td>{p.account_id}</td>
                  <td>{p.instrument}</td>
                  <td className={p.side === 'long' ? 'pos' : 'neg'}>{p.side}</td>
                  <td className="num">{p.quantity}</td>
                  <td className="num">{fmt(p.avg_price)}</td>
                  <td className="num">{fmt(p.mark_price)}</td>
                  <td className={`num ${pnlClass(p.unrealized_pnl)}`}>{fmt(p.unrealized_pnl)}</td>
                  <td className="num">{fmt(p.stop_price)}</td>
                  <td className="small">{fmtDateTime(p.opened_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {view && positions.length === 0 && <div className="muted small">no open positions</div>}
        </div>
      </section>
      <section className="panel span6" data-testid="accounts-orders">
        <h2>
          Pending orders<span className="muted">{orders.length}</span>
        </h2>
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th>account</th>
                <th>instrument</th>
                <th>side</th>
                <th>type</th>
                <th className="num">qty</th>
                <th className="num">price</th>
                <th>status</th>
                <th>purpose</th>
              </tr>
            </thead>
            <tbody>
              {orders.map((o) => (
                <tr key={o.order_id} data-account={o.account_id} title={o.order_id}>
                  <td>{o.account_id}</td>
                  <td>{o.instrument}</td>
                  <td className={o.side === 'Buy' ? 'pos' : 'neg'}>{o.side}</td>
                  <td>{o.order_type}</td>
                  <td className="num">{o.quantity}</td>
                  <td className="num">{fmt(o.stop_price ?? o.price)}</td>
                  <td>{o.status}</td>
                  <td className="muted">{(o.purpose ?? '').replace(/_/g, ' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {view && orders.length === 0 && <div className="muted small">no pending orders</div>}
        </div>
      </section>
      <section className="panel span12" data-testid="accounts-reconciliation">
        <h2>
          Reconciliation differences<span className="muted">venue books against the journal, at start, after reconnects and periodically</span>
        </h2>
        <div className="scroll">
          <table>
            <tbody>
              {differences.map((d, i) => (
                <tr key={`${d.at}-${i}`} data-kind={d.kind} data-account={d.accountId}>
                  <td className="small muted">{fmtDateTime(d.at)}</td>
                  <td>{d.accountId}</td>
                  <td className="warn">{d.kind.replace(/-/g, ' ')}</td>
                  <td className="muted small">{d.reason}</td>
                  <td className="small">{differenceDetail(d.difference)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {view && differences.length === 0 && <div className="muted small">no differences found (paper accounts are the journal; exchange accounts are compared with the venue)</div>}
        </div>
      </section>
    </div>
  );
}
