import { memo } from 'react';
import { fmtTime, type ScanSummary } from '../api';

export const ScannerSummary = memo(function ScannerSummary({ scan }: { scan: ScanSummary | null }) {
  const rows = Object.entries(scan?.symbols ?? {});
  return (
    <section className="panel scanner" data-testid="scanner">
      <h2>
        Scanner <span className="muted">{scan ? `${scan.count} · ${fmtTime(scan.timestamp)}` : ''}</span>
      </h2>
      <table>
        <tbody>
          {rows.map(([symbol, status]) => (
            <tr key={symbol}>
              <td>{symbol}</td>
              <td className={`scan-msg ${/signal|enter|long|short/i.test(status) ? 'pos' : 'muted'}`}>{status}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <p className="muted">no scan yet</p>}
    </section>
  );
});
