import { CandlestickSeries, ColorType, createChart, createSeriesMarkers, type IChartApi, type ISeriesApi, type ISeriesMarkersPluginApi, type Time, type UTCTimestamp } from 'lightweight-charts';
import { memo, useEffect, useRef, useState } from 'react';
import { api, fmt, type BarsAnswer, type Trade } from '../api';
import { tradeMarkers } from '../chartMarkers';
import { retryable, usePoll } from '../polling';
import type { BarListener } from '../useDashboardData';

/** Closed bars arrive over the WebSocket (BAR); the history is read again this often to stay whole. */
export const BARS_RESYNC_MS = 60_000;
/** Without the stream: the bars are polled at their interval, at most every 5 s and at least every 2 s. */
const pollMs = (interval: number | undefined) => Math.max(2000, Math.min(interval ?? 5000, 5000));

/**
 * Candles of one instrument from GET /api/bars (the kernel's bar history), then each closed bar
 * from the stream (BAR; issue 16 item 1), with the bot's entries and exits (from /api/trades and
 * TRADE_EXECUTION) as markers.
 */
export function CandleChart({
  symbol,
  intervals,
  trades = [],
  active = true,
  subscribeBars,
}: {
  symbol: string;
  intervals: number[];
  trades?: readonly Trade[];
  active?: boolean;
  /** The stream's bars; without it the chart polls. */
  subscribeBars?: (listener: BarListener) => () => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const series = useRef<ISeriesApi<'Candlestick'> | null>(null);
  const markers = useRef<ISeriesMarkersPluginApi<Time> | null>(null);
  const [firstBar, setFirstBar] = useState<number | null>(null);
  // lightweight-charts keys bars by whole seconds: sub-second intervals are not offered.
  const usable = intervals.filter((ms) => ms >= 1000);
  const [interval, setInterval] = useState<number | undefined>(usable.includes(5000) ? 5000 : usable[0]);
  const [last, setLast] = useState<{ close: number; count: number } | null>(null);
  /** The newest bar drawn (whole seconds): a streamed bar older than it is skipped (the chart needs time order). */
  const lastTime = useRef<number | null>(null);
  // The history has been read at least once (it may have been empty: a chart opened right after
  // the server started), so streamed bars may be drawn.
  const historyRead = useRef(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const c = createChart(el, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: '#0f141b' }, textColor: '#8b98a9', fontSize: 10, attributionLogo: false },
      grid: { vertLines: { color: '#1a222d' }, horzLines: { color: '#1a222d' } },
      rightPriceScale: { borderColor: '#26303d' },
      timeScale: { borderColor: '#26303d', timeVisible: true, secondsVisible: true },
    });
    chart.current = c;
    series.current = c.addSeries(CandlestickSeries, { upColor: '#26a69a', downColor: '#ef5350', borderVisible: false, wickUpColor: '#26a69a', wickDownColor: '#ef5350' });
    markers.current = createSeriesMarkers(series.current, []);
    return () => {
      c.remove();
      chart.current = null;
      series.current = null;
      markers.current = null;
    };
  }, []);

  const load = async () => {
    if (interval === undefined) return;
    try {
      const answer = await api<BarsAnswer>(`/api/bars?symbol=${encodeURIComponent(symbol)}&interval=${interval}&limit=300`);
      if (!series.current) return;
        const bars = answer.bars.map((b) => ({ time: Math.floor(b.time / 1000) as UTCTimestamp, open: b.open, high: b.high, low: b.low, close: b.close }));
        series.current.setData(bars);
        const lastBar = bars[bars.length - 1];
        setLast(lastBar ? { close: lastBar.close, count: bars.length } : null);
        lastTime.current = lastBar?.time ?? null;
        setFirstBar(bars[0]?.time ?? null);
        historyRead.current = true;
      setError(null);
    } catch (e) {
      // Refusals and outages are retried later (usePoll); the header says the server is away.
      if (retryable(e)) throw e;
      setError((e as Error).message);
    }
  };
  usePoll(load, subscribeBars ? BARS_RESYNC_MS : pollMs(interval), active && interval !== undefined, `${symbol}|${interval}`);

  // Another instrument or interval: streamed bars wait for its history.
  useEffect(() => {
    historyRead.current = false;
    lastTime.current = null;
  }, [symbol, interval]);

  // Streamed bars, drawn once the history has been read (empty or not), while the page is shown.
  useEffect(() => {
    if (!subscribeBars || !active || interval === undefined) return undefined;
    return subscribeBars((b) => {
      if (b.symbol !== symbol || b.interval_ms !== interval || !series.current || !historyRead.current) return;
      const time = Math.floor(b.bar.time / 1000) as UTCTimestamp;
      if (lastTime.current !== null && time < lastTime.current) return;
      series.current.update({ time, open: b.bar.open, high: b.bar.high, low: b.bar.low, close: b.bar.close });
      const added = lastTime.current === null || time > lastTime.current;
      if (lastTime.current === null) setFirstBar(time);
      lastTime.current = time;
      setLast((l) => ({ close: b.bar.close, count: (l?.count ?? 0) + (added ? 1 : 0) }));
    });
  }, [subscribeBars, active, symbol, interval]);

  const shown = interval === undefined || firstBar === null ? [] : tradeMarkers(trades, symbol, interval, firstBar);
  const markerKey = shown.map((m) => `${m.id}@${m.time}`).join(',');
  useEffect(() => {
    markers.current?.setMarkers(shown.map((m) => ({ time: m.time as UTCTimestamp, position: m.position, shape: m.shape, color: m.color, text: m.text, id: m.id })));
  }, [markerKey]);

  return (
    <div className="chart" data-testid={`chart-${symbol}`} data-markers={shown.length}>
      <div className="chart-head">
        <strong>{symbol}</strong>
        <span className="muted" data-testid="chart-last">
          {last ? `${fmt(last.close)} · ${last.count} bars` : 'no bars yet'}
        </span>
        <select value={interval} onChange={(e) => setInterval(Number(e.target.value))} aria-label={`${symbol} interval`}>
          {usable.map((ms) => (
            <option key={ms} value={ms}>
              {ms >= 60000 ? `${ms / 60000}m` : `${ms / 1000}s`}
            </option>
          ))}
        </select>
      </div>
      {error && <div className="error small">{error}</div>}
      <div className="chart-box" ref={box} />
    </div>
  );
}

export const Charts = memo(function Charts({ trades = [], active = true, subscribeBars }: { trades?: readonly Trade[]; active?: boolean; subscribeBars?: (listener: BarListener) => () => void }) {
  const [symbols, setSymbols] = useState<{ symbol: string; intervals: number[] }[]>([]);
  useEffect(() => {
    api<{ symbols: { symbol: string; intervals: number[] }[] }>('/api/bars/symbols')
      .then((a) => setSymbols(a.symbols))
      .catch(() => setSymbols([]));
  }, []);
  return (
    <section className="panel charts" data-testid="charts">
      <h2>Charts</h2>
      <div className="chart-grid">
        {symbols.map((s) => (
          <CandleChart key={s.symbol} symbol={s.symbol} intervals={s.intervals} trades={trades} active={active} subscribeBars={subscribeBars} />
        ))}
      </div>
    </section>
  );
});
