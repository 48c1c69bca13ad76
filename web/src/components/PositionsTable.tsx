import { fmt, fmtTime, pnlClass, type Position } from '../api';

export function PositionsTable({ positions }: { positions: Position[] }) {
  return (
    <section className="panel positions" data-testid="positions">
      <h2>
        Positions <span className="muted">{positions.length}</span>
      </h2>
      <table>
        <thead>
          <tr>
            <th>Symbol</th>
            <th>Side</th>
            <th className="num">Size</th>
            <th className="num">Entry</th>
            <th className="num">Price</th>
            <th className="num">SL</th>
            <th className="num">TP</th>
            <th className="num">P/L</th>
            <th className="num">R</th>
            <th>Opened</th>
          </tr>
        </thead>
        <tbody>
          {positions.length === 0 ? (
            <tr>
              <td colSpan={10} className="muted">
                no open positions
              </td>
            </tr>
          ) : (
            positions.map((p) => (
              <tr key={String(p.ticket)} data-symbol={p.symbol}>
                <td>{p.symbol}</td>
                <td className={p.direction === 'LONG' ? 'pos' : 'neg'}>{p.direction}</td>
                <td className="num">{p.volume}</td>
                <td className="num">{fmt(p.entry_price)}</td>
                <td className="num" data-col="price">{fmt(p.price_current)}</td>
                <td className="num">{fmt(p.sl_price)}</td>
                <td className="num">{fmt(p.tp_price)}</td>
                <td className={`num ${pnlClass(p.profit)}`} data-col="profit">
                  {fmt(p.profit)}
                </td>
                <td className={`num ${pnlClass(p.pnlR)}`}>{fmt(p.pnlR)}</td>
                <td>{fmtTime(p.openedAt)}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </section>
  );
}
