// The bot's entries and exits as lightweight-charts series markers (kept apart from the chart
// component so it is testable without a canvas).
import type { Trade } from './api';

export interface TradeMarker {
  /** Whole seconds: the start of the bar the fill belongs to. */
  time: number;
  position: 'aboveBar' | 'belowBar';
  shape: 'arrowUp' | 'arrowDown' | 'circle';
  color: string;
  text: string;
  id: string;
}

const ENTRY = '#2196f3';
const EXIT = '#ff9800';

/** Markers of one symbol's fills, snapped to bar starts of `intervalMs`, oldest first. */
export function tradeMarkers(trades: readonly Trade[], symbol: string, intervalMs: number, fromSec?: number): TradeMarker[] {
  const out: TradeMarker[] = [];
  for (const t of trades) {
    if (t.symbol !== symbol) continue;
    const ms = Date.parse(t.timestamp);
    if (Number.isNaN(ms)) continue;
    const time = Math.floor(Math.floor(ms / intervalMs) * intervalMs / 1000);
    if (fromSec !== undefined && time < fromSec) continue;
    const buy = /^b/i.test(t.direction);
    const purpose = t.purpose ?? 'fill';
    const entry = purpose === 'entry';
    const label = entry ? 'entry' : purpose === 'stop_loss' ? 'SL' : purpose === 'take_profit' ? 'TP' : purpose;
    out.push({
      time,
      position: buy ? 'belowBar' : 'aboveBar',
      shape: entry ? (buy ? 'arrowUp' : 'arrowDown') : 'circle',
      color: entry ? ENTRY : EXIT,
      text: `${buy ? 'B' : 'S'} ${label}`,
      id: t.fill_id ?? `${t.order_id ?? ''}|${t.timestamp}`,
    });
  }
  return pileUp(out.sort((a, b) => a.time - b.time));
}

/**
 * Several fills on one side of one bar become one marker counting them (their labels would
 * otherwise be drawn over each other); a lone fill keeps its label.
 */
function pileUp(sorted: TradeMarker[]): TradeMarker[] {
  const out: (TradeMarker & { n: number })[] = [];
  for (const m of sorted) {
    const same = out.find((x) => x.time === m.time && x.position === m.position);
    if (!same) out.push({ ...m, n: 1 });
    else {
      same.n += 1;
      same.text = `${m.text.charAt(0)} ×${same.n}`;
      same.shape = 'circle';
      same.id = m.id;
    }
  }
  return out.map(({ n: _n, ...m }) => m);
}
