import { memo, useEffect, useState } from 'react';
import { ApiError, closePosition as closePositionApi, fmt, fmtTime, pnlClass, positionView, type Position } from '../api';
import { ConfirmDialog, type ConfirmRequest } from './ConfirmDialog';

/** How long the answer to a close stays on screen. */
export const POSITION_MESSAGE_MS = 8_000;

/**
 * Open positions, from either seed's field set. Close asks for confirmation, then
 * POST /api/positions/{id}/close places a market exit for the full size (a position its bot
 * closed meanwhile answers "already closed"). A confirmation whose position is gone closes itself;
 * the answer is shown for POSITION_MESSAGE_MS.
 */
export const PositionsTable = memo(function PositionsTable({
  positions,
  onClose = closePositionApi,
  offline = false,
  title = 'Positions',
  testId = 'positions',
}: {
  positions: Position[];
  onClose?: (id: string) => Promise<{ message: string; status?: string }>;
  offline?: boolean;
  title?: string;
  testId?: string;
}) {
  const [confirm, setConfirm] = useState<(ConfirmRequest & { positionId: string }) | null>(null);
  const [closing, setClosing] = useState<Record<string, boolean>>({});
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  // Positions the server said are closed already: hidden at once, not at the next poll or stream update.
  const [gone, setGone] = useState<string[]>([]);
  const rows = positions.map(positionView).filter((r) => r.closeId === null || !gone.includes(r.closeId));
  const openIds = rows.map((r) => r.closeId).join('|');
  const listedIds = positions.map((p) => positionView(p).closeId).join('|');
  useEffect(() => {
    const listed = listedIds.split('|');
    setGone((g) => (g.some((id) => !listed.includes(id)) ? g.filter((id) => listed.includes(id)) : g));
  }, [listedIds]);

  // The position under confirmation closed (its bot exited): nothing is left to confirm.
  useEffect(() => {
    if (!confirm || openIds.split('|').includes(confirm.positionId)) return;
    setConfirm(null);
    setMessage({ text: `Position ${confirm.positionId} was closed meanwhile (by its bot or an exit rule); nothing to close`, error: false });
  }, [confirm, openIds]);

  useEffect(() => {
    if (!message) return undefined;
    const timer = window.setTimeout(() => setMessage(null), POSITION_MESSAGE_MS);
    return () => window.clearTimeout(timer);
  }, [message]);

  const close = async (id: string) => {
    setMessage(null);
    setClosing((c) => ({ ...c, [id]: true }));
    try {
      const r = await onClose(id);
      setMessage({ text: r.message, error: false });
      if (r.status === 'already_closed') setGone((g) => [...g, id]);
    } catch (e) {
      setClosing((c) => ({ ...c, [id]: false }));
      // Unknown to the server by now (closed long enough ago to leave its recent trades): nothing to close.
      if (e instanceof ApiError && e.status === 404) {
        setGone((g) => [...g, id]);
        setMessage({ text: `Position ${id} is already closed`, error: false });
      } else setMessage({ text: (e as Error).message, error: true });
    }
  };

  return (
    <section className="panel positions" data-testid={testId}>
      <h2>
        {title} <span className="muted">{rows.length}</span>
      </h2>
      {message && (
        <div className={message.error ? 'error small' : 'muted small'} data-testid="positions-message">
          {message.text}
        </div>
      )}
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
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={11} className="muted">
                no open positions
              </td>
            </tr>
          ) : (
            rows.map((p) => (
              <tr key={p.key} data-symbol={p.symbol} data-position={p.closeId ?? undefined}>
                <td>{p.symbol}</td>
                <td className={p.direction === 'LONG' ? 'pos' : 'neg'}>{p.direction}</td>
                <td className="num" data-col="size">{p.size ?? '—'}</td>
                <td className="num">{fmt(p.entry)}</td>
                <td className="num" data-col="price">{fmt(p.price)}</td>
                <td className="num">{fmt(p.sl)}</td>
                <td className="num">{fmt(p.tp)}</td>
                <td className={`num ${pnlClass(p.pnl)}`} data-col="profit">
                  {fmt(p.pnl)}
                </td>
                <td className={`num ${pnlClass(p.pnlR)}`} data-col="r">
                  {fmt(p.pnlR)}
                </td>
                <td>{fmtTime(p.openedAt)}</td>
                <td>
                  {p.closeId !== null && (
                    <button
                      type="button"
                      className="danger small"
                      data-testid="close-position"
                      disabled={offline || closing[p.closeId] === true}
                      title={offline ? 'the server cannot be reached' : undefined}
                      onClick={() => {
                        const id = p.closeId as string;
                        setConfirm({
                          positionId: id,
                          title: `Close ${p.symbol}?`,
                          message: `Close the ${p.direction.toLowerCase()} ${p.symbol} position (${p.size ?? '?'}) at market?`,
                          confirmLabel: 'Close position',
                          danger: true,
                          onConfirm: () => void close(id),
                        });
                      }}
                    >
                      {closing[p.closeId] ? 'Closing…' : 'Close'}
                    </button>
                  )}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
});
