// A backtest's trades drawn on its candles (issue 16 item 14): entries as arrows, exits as dots
// coloured by the result, each entry joined to its exit by a line; hovering a candle tells its trades.
import { CandlestickSeries, createChart, createSeriesMarkers, LineSeries, type MouseEventParams, type Time } from 'lightweight-charts';
import { useEffect, useRef, useState } from 'react';
import { fmt, fmtDateTime, type BacktestResult } from '../api';
import { candleOf, chartOptions, seconds, tradeMarks } from '../backtestCharts';

/** Lines joining entries to exits: past this many trades only the markers are drawn. */
const MAX_JOINED = 150;

export function BacktestCandles({ result }: { result: BacktestResult }) {
  const box = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<string>('');
  const [counts, setCounts] = useState({ candles: 0, markers: 0, joins: 0 });
  useEffect(() => {
    const el = box.current;
    const candles = result.candles ?? [];
    if (!el || candles.length === 0) return undefined;
    const chart = createChart(el, chartOptions());
    const series = chart.addSeries(CandlestickSeries, { upColor: '#26a69a', downColor: '#ef5350', borderVisible: false, wickUpColor: '#26a69a', wickDownColor: '#ef5350', priceLineVisible: false });
    series.setData(candles.map((c) => ({ time: seconds(c.time), open: c.open, high: c.high, low: c.low, close: c.close })));
    const times = candles.map((c) => c.time);
    const marks = tradeMarks(result.trades, times);
    createSeriesMarkers(series, marks);
    let joins = 0;
    if (result.trades.length <= MAX_JOINED) {
      for (const t of result.trades) {
        const a = candleOf(times, t.openedAt);
        const b = candleOf(times, t.closedAt);
        if (a === null || b === null || a === b) continue;
        const line = chart.addSeries(LineSeries, { color: t.netPnl >= 0 ? 'rgba(38,166,154,0.8)' : 'rgba(239,83,80,0.8)', lineWidth: 1, lineStyle: 2, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false });
        line.setData([
          { time: seconds(a), value: t.entryPrice },
          { time: seconds(b), value: t.exitPrice },
        ]);
        joins += 1;
      }
    }
    chart.timeScale().fitContent();
    setCounts({ candles: candles.length, markers: marks.length, joins });
    const onMove = (p: MouseEventParams<Time>) => {
      if (p.time === undefined) return setHover('');
      const start = (p.time as number) * 1000;
      const idx = times.indexOf(start);
      const end = idx >= 0 && idx + 1 < times.length ? (times[idx + 1] as number) : start + (result.intervalMs ?? 60_000) * (result.barsPerCandle ?? 1);
      const inside = (ts: number) => ts >= start && ts < end;
      const lines = result.trades.flatMap((t, i) => [
        ...(inside(t.openedAt) ? [`#${i + 1} ${t.side} entry ${fmt(t.entryPrice)} (${fmtDateTime(t.openedAt)})`] : []),
        ...(inside(t.closedAt) ? [`#${i + 1} exit ${fmt(t.exitPrice)}, net ${fmt(t.netPnl)}${t.exitReason ? `, ${t.exitReason}` : ''}`] : []),
      ]);
      setHover(lines.join(' · '));
    };
    chart.subscribeCrosshairMove(onMove);
    return () => {
      chart.unsubscribeCrosshairMove(onMove);
      chart.remove();
    };
  }, [result]);
  if (!result.candles?.length) return null;
  return (
    <div className="chart" data-testid="backtest-candles" data-candles={counts.candles} data-markers={counts.markers} data-joins={counts.joins}>
      <div className="chart-head">
        <strong>Trades on the price</strong>
        <span className="muted">
          {counts.candles} candles{(result.barsPerCandle ?? 1) > 1 ? ` of ${result.barsPerCandle} bars` : ''} · ▲▼ entries, ● exits (green won, red lost), dashed: entry to exit
        </span>
      </div>
      <div className="chart-box tall" ref={box} />
      <div className="small muted" data-testid="backtest-candles-hover" style={{ minHeight: '1.4em' }}>
        {hover || 'hover a candle to see its trades'}
      </div>
    </div>
  );
}
