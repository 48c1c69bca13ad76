import './history.css';
import { useState } from 'react';
import { api, fmt, fmtCount, fmtDateTime, pnlClass } from '../api';
import { retryable, usePoll } from '../polling';
import { filterQuery, fmtDuration, fmtPct, NO_FILTERS, type TradeFilters, type TradePage } from './historyApi';
import { TradeFiltersForm } from './TradeFiltersForm';

const PAGE_SIZES = [10, 25, 50, 100] as const;

/** Closed trades from the journal (GET /api/trade-history), filtered and paged, with a CSV export. */
export function TradeHistoryPage({ active = true }: { active?: boolean }) {
  const [filters, setFilters] = useState<TradeFilters>(NO_FILTERS);
  const [limit, setLimit] = useState<number>(50);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<TradePage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const query = filterQuery(filters, { limit, offset });
  usePoll(
    async () => {
      try {
        setPage(await api<TradePage>(`/api/trade-history${query}`));
        setError(null);
      } catch (e) {
        if (retryable(e)) throw e;
        setError((e as Error).message);
      }
    },
    10_000,
    active,
    query,
  );
  const change = (f: TradeFilters) => {
    setFilters(f);
    setOffset(0);
  };
  const total = page?.total ?? 0;
  const shown = page?.trades ?? [];
  return (
    <main className="grid">
      <section className="panel span12" data-testid="history">
        <h2>
          Trade history <span className="muted">closed trades of every bot and account, newest first</span>
        </h2>
        <div className="row wrap">
          <TradeFiltersForm value={filters} onChange={change} testid="history-filters" />
          <span className="spacer" />
          <a className="button" href={`/api/trade-history.csv${filterQuery(filters)}`} download="tradewind-trades.csv" data-testid="history-csv">
            Export CSV
          </a>
        </div>
        {error && (
          <div className="error small" data-testid="history-error">
            {error}
          </div>
        )}
        <div className="scroll-x">
          <table data-testid="history-table">
            <thead>
              <tr>
                <th>Closed</th>
                <th>Instrument</th>
                <th>Side</th>
                <th className="num">Qty</th>
                <th className="num">Entry</th>
                <th className="num">Exit</th>
                <th className="num">Profit</th>
                <th className="num">Profit %</th>
                <th className="num">Duration</th>
                <th>Exit reason</th>
                <th>Bot</th>
                <th>Account</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((t) => (
                <tr key={t.id} data-trade-id={t.id}>
                  <td title={`opened ${fmtDateTime(t.opened_at)} UTC`}>{fmtDateTime(t.closed_at)}</td>
                  <td>{t.symbol}</td>
                  <td className={t.side === 'long' ? 'pos' : 'neg'}>{t.side}</td>
                  <td className="num">{t.qty}</td>
                  <td className="num">{fmt(t.entry_price)}</td>
                  <td className="num">{fmt(t.exit_price)}</td>
                  <td className={`num ${pnlClass(t.profit)}`} data-field="profit" title={`gross ${fmt(t.gross_profit)}, fees ${fmt(t.fees)}${t.pnl_r === null ? '' : `, ${fmt(t.pnl_r)} R`}`}>
                    {fmt(t.profit)}
                  </td>
                  <td className={`num ${pnlClass(t.profit_pct)}`}>{fmtPct(t.profit_pct)}</td>
                  <td className="num">{fmtDuration(t.duration_ms)}</td>
                  <td>{t.exit_reason}</td>
                  <td>{t.bot}</td>
                  <td>{t.account}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {page && total === 0 && <p className="muted">No closed trades match these filters yet.</p>}
        <div className="row wrap pager">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - limit))} data-testid="history-prev">
            ‹ Newer
          </button>
          <span data-testid="history-range" data-total={total}>
            {total === 0 ? '0 trades' : `${offset + 1}–${Math.min(total, offset + shown.length)} of ${fmtCount(total)}`}
          </span>
          <button type="button" disabled={offset + limit >= total} onClick={() => setOffset(offset + limit)} data-testid="history-next">
            Older ›
          </button>
          <label className="inline">
            per page
            <select value={limit} onChange={(e) => { setLimit(Number(e.target.value)); setOffset(0); }} aria-label="trades per page">
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </div>
      </section>
    </main>
  );
}
