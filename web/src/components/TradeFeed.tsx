import { memo } from 'react';
import { fmt, fmtTime, type Trade } from '../api';

export const TradeFeed = memo(function TradeFeed({ trades }: { trades: Trade[] }) {
  return (
    <section className="panel trades" data-testid="trades">
      <h2>
        Trades <span className="muted">{trades.length}</span>
      </h2>
      <div className="scroll">
        <table>
          <thead>
            <tr>
              <th>Time</th>
              <th>Symbol</th>
              <th>Side</th>
              <th className="num">Price</th>
              <th className="num">Lot</th>
              <th className="num">Fee</th>
              <th>Purpose</th>
              <th>Bot</th>
            </tr>
          </thead>
          <tbody>
            {trades.map((t) => (
              <tr key={t.fill_id ?? `${t.timestamp}-${t.symbol}-${t.price}`}>
                <td>{fmtTime(t.timestamp)}</td>
                <td>{t.symbol}</td>
                <td className={t.direction === 'BUY' ? 'pos' : 'neg'}>{t.direction}</td>
                <td className="num">{fmt(t.price)}</td>
                <td className="num">{fmt(t.lot, 4)}</td>
                <td className="num">{fmt(t.fee)}</td>
                <td>{t.purpose ?? ''}</td>
                <td className="muted">{t.bot_id ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {trades.length === 0 && <p className="muted">no trades yet</p>}
      </div>
    </section>
  );
});
