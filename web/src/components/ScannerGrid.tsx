import { memo } from 'react';
import { fmt, fmtTime, type ScannerSnapshot } from '../api';

const metricDigits = (v: number): number => (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 1 ? 2 : 4);

/** Seed 001's scanner candidates: score, rank, filters as pass/fail chips, key metrics and levels. */
export const ScannerGrid = memo(function ScannerGrid({ snapshot }: { snapshot: ScannerSnapshot | null }) {
  const candidates = [...(snapshot?.candidates ?? [])].sort((a, b) => a.rank - b.rank);
  return (
    <section className="panel scanner-grid" data-testid="scanner-grid">
      <h2>
        Candidates{' '}
        <span className="muted">
          {snapshot ? `${snapshot.passedFilters}/${snapshot.totalScanned} passed · ${fmtTime(snapshot.timestamp)}` : ''}
        </span>
      </h2>
      {candidates.length === 0 ? (
        <p className="muted">no candidates yet</p>
      ) : (
        <div className="candidates">
          {candidates.map((c) => (
            <div className="candidate" key={c.symbol} data-symbol={c.symbol}>
              <div className="candidate-head">
                <span className="rank">#{c.rank}</span>
                <strong>{c.symbol}</strong>
                <span className="score" data-col="score" title="score (0..1)">
                  {fmt(c.score, 3)}
                </span>
              </div>
              <div className="chips">
                {Object.entries(c.filters ?? {}).map(([name, ok]) => (
                  <span key={name} className={`chip ${ok ? 'chip-pass' : 'chip-fail'}`} data-filter={name} data-pass={ok ? 'true' : 'false'}>
                    {ok ? '✓' : '✗'} {name}
                  </span>
                ))}
              </div>
              <dl className="metrics">
                {Object.entries(c.metrics ?? {})
                  .slice(0, 6)
                  .map(([name, v]) => (
                    <div key={name}>
                      <dt>{name}</dt>
                      <dd>{typeof v === 'number' ? fmt(v, metricDigits(v)) : String(v)}</dd>
                    </div>
                  ))}
              </dl>
              {(c.levels ?? []).length > 0 && (
                <table className="levels">
                  <tbody>
                    {c.levels.slice(0, 4).map((l, i) => (
                      <tr key={`${l.type}-${l.price}-${i}`} data-level={l.type}>
                        <td className={l.type === 'support' ? 'pos' : 'neg'}>{l.type}</td>
                        <td className="num">{fmt(l.price)}</td>
                        <td className="num" title="strength (0..1)">
                          <span className="bar" style={{ width: `${Math.round(Math.max(0, Math.min(1, l.strength)) * 40)}px` }} /> {fmt(l.strength, 2)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          ))}
        </div>
      )}
    </section>
  );
});
