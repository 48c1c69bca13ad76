import './history.css';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { IChartApi, ISeriesApi, ISeriesMarkersPluginApi, IPriceLine, MouseEventParams, Time, UTCTimestamp } from 'lightweight-charts';
import { api, fmt, fmtDateTime, type BarsAnswer } from '../api';
import { retryable, usePoll } from '../polling';
import { fmtPct, type Overlays, type TradePage, type TradeRow } from './historyApi';
import { useLazyChart } from './useLazyChart';

interface Symbols {
  symbols: { symbol: string; intervals: number[] }[];
}
interface Loaded {
  /** symbol|interval the answer is for */
  key: string;
  bars: BarsAnswer['bars'];
  overlays: Overlays | null;
  trades: TradeRow[];
}
interface Tip {
  x: number;
  y: number;
  lines: string[];
}

const LINE_COLORS = ['#f0b429', '#b388ff', '#4dd0e1', '#ff8a65'];
const LEVEL_COLORS = { entry: '#3d8bfd', stop: '#ef5350', target: '#26a69a' } as const;
const intervalName = (ms: number) => (ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`);
/** A time snapped to the start of its bar, in the chart's seconds. */
const barSec = (ms: number, intervalMs: number) => Math.floor(Math.floor(ms / intervalMs) * intervalMs / 1000) as UTCTimestamp;

interface Series {
  candles: ISeriesApi<'Candlestick'>;
  volume: ISeriesApi<'Histogram'>;
  markers: ISeriesMarkersPluginApi<Time>;
}

/**
 * One large chart of an instrument: candles and volume from GET /api/bars, the strategy's own
 * lines, the open positions' levels and the desk's Renko bricks from GET /api/bars/overlays,
 * and the closed trades (GET /api/trade-history) drawn entry-to-exit with a tooltip per bar.
 */
export function ChartPage({ active = true }: { active?: boolean }) {
  const [symbols, setSymbols] = useState<Symbols['symbols']>([]);
  const [symbol, setSymbol] = useState('');
  const [interval, setIntervalMs] = useState(0);
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tip, setTip] = useState<Tip | null>(null);
  const extra = useRef<{ series: ISeriesApi<'Line'>[]; lines: IPriceLine[] }>({ series: [], lines: [] });
  // The time scale fits the bars once per instrument and interval, then follows the trader's zoom.
  const fitted = useRef('');

  useEffect(() => {
    api<Symbols>('/api/bars/symbols')
      .then((a) => {
        setSymbols(a.symbols);
        const first = a.symbols[0];
        if (first) {
          setSymbol(first.symbol);
          setIntervalMs(first.intervals.find((ms) => ms >= 5_000) ?? first.intervals.find((ms) => ms >= 1000) ?? 0);
        }
      })
      .catch((e: Error) => setError(e.message));
  }, []);
  // lightweight-charts keys bars by whole seconds: sub-second intervals are not offered.
  const intervals = (symbols.find((s) => s.symbol === symbol)?.intervals ?? []).filter((ms) => ms >= 1000);

  const { box, ready } = useLazyChart<Series>((lib, chart, c) => {
    const candles = chart.addSeries(lib.CandlestickSeries, { upColor: c.pos, downColor: c.neg, borderVisible: false, wickUpColor: c.pos, wickDownColor: c.neg });
    const volume = chart.addSeries(lib.HistogramSeries, { priceScaleId: 'volume', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false });
    chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    candles.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.25 } });
    return { candles, volume, markers: lib.createSeriesMarkers(candles, []) };
  });

  const key = `${symbol}|${interval}`;
  usePoll(
    async () => {
      if (!symbol || !interval) return;
      try {
        const q = `symbol=${encodeURIComponent(symbol)}&interval=${interval}&limit=300`;
        const [bars, overlays, trades] = await Promise.all([
          api<BarsAnswer>(`/api/bars?${q}`),
          api<Overlays>(`/api/bars/overlays?${q}`),
          api<TradePage>(`/api/trade-history?symbol=${encodeURIComponent(symbol)}&limit=100`),
        ]);
        setData({ key: `${symbol}|${interval}`, bars: bars.bars, overlays, trades: trades.trades });
        setError(null);
      } catch (e) {
        if (retryable(e)) throw e;
        setError((e as Error).message);
      }
    },
    5_000,
    active && symbol !== '' && interval > 0,
    key,
  );

  const firstBar = data?.bars[0]?.time ?? Infinity;
  const trades = useMemo(() => (data?.trades ?? []).filter((t) => t.opened_at >= firstBar).reverse(), [data, firstBar]);
  /** The trades drawn as a line from entry to exit (those spanning more than one bar). */
  const joined = useMemo(() => trades.slice(-50).filter((t) => barSec(t.closed_at, interval) > barSec(t.opened_at, interval)), [trades, interval]);

  // Candles, volume, markers and the overlays, redrawn on each answer.
  useEffect(() => {
    if (!ready || !data) return;
    const { chart, series, lib } = ready;
    const css = getComputedStyle(document.documentElement);
    const pos = css.getPropertyValue('--pos').trim() || '#26a69a';
    const neg = css.getPropertyValue('--neg').trim() || '#ef5350';
    series.candles.setData(data.bars.map((b) => ({ time: (b.time / 1000) as UTCTimestamp, open: b.open, high: b.high, low: b.low, close: b.close })));
    series.volume.setData(data.bars.map((b) => ({ time: (b.time / 1000) as UTCTimestamp, value: b.volume ?? 0, color: b.close >= b.open ? `${pos}55` : `${neg}55` })));
    for (const s of extra.current.series) chart.removeSeries(s);
    for (const l of extra.current.lines) series.candles.removePriceLine(l);
    extra.current = { series: [], lines: [] };
    const add = (points: { time: number; value: number }[], options: Parameters<IChartApi['addSeries']>[1]) => {
      const s = chart.addSeries(lib.LineSeries, { lineWidth: 1, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false, ...options });
      const bySecond = new Map<number, number>();
      for (const p of points) if (p.time >= firstBar) bySecond.set(barSec(p.time, interval), p.value);
      s.setData([...bySecond].map(([time, value]) => ({ time: time as UTCTimestamp, value })));
      extra.current.series.push(s);
    };
    const o = data.overlays;
    o?.lines.forEach((l, i) => add(l.points, { color: LINE_COLORS[i % LINE_COLORS.length], title: l.name }));
    o?.bricks.forEach((b) => add(b.bricks.map((k) => ({ time: k.time, value: k.close })), { color: '#9e9e9e', lineType: lib.LineType.WithSteps, title: `Renko ${b.size}` }));
    for (const l of o?.levels ?? []) extra.current.lines.push(series.candles.createPriceLine({ price: l.price, color: LEVEL_COLORS[l.kind], lineWidth: 1, lineStyle: lib.LineStyle.Dashed, axisLabelVisible: true, title: l.kind }));
    // Each trade: its entry joined to its exit by a line, arrows without text (the tooltip explains).
    for (const t of joined) add([{ time: t.opened_at, value: t.entry_price }, { time: t.closed_at, value: t.exit_price }], { color: t.profit >= 0 ? pos : neg, lineStyle: lib.LineStyle.Dotted, lineWidth: 2 });
    if (fitted.current !== data.key && data.bars.length > 0) {
      chart.timeScale().fitContent();
      fitted.current = data.key;
    }
    series.markers.setMarkers(
      trades
        .flatMap((t) => [
          { time: barSec(t.opened_at, interval), position: t.side === 'long' ? ('belowBar' as const) : ('aboveBar' as const), shape: t.side === 'long' ? ('arrowUp' as const) : ('arrowDown' as const), color: '#3d8bfd', id: `${t.id}-in` },
          { time: barSec(t.closed_at, interval), position: t.side === 'long' ? ('aboveBar' as const) : ('belowBar' as const), shape: 'circle' as const, color: t.profit >= 0 ? pos : neg, id: `${t.id}-out` },
        ])
        .sort((x, y) => x.time - y.time),
    );
  }, [ready, data, trades, joined, interval, firstBar]);

  // The tooltip: the bar under the crosshair and the trades that entered or exited on it.
  useEffect(() => {
    if (!ready) return undefined;
    const on = (p: MouseEventParams<Time>) => {
      const bar = p.time === undefined ? undefined : (p.seriesData.get(ready.series.candles) as { open: number; high: number; low: number; close: number } | undefined);
      if (!p.point || p.time === undefined || !bar) return setTip(null);
      const t = Number(p.time);
      const lines = [`${fmtDateTime(t * 1000)} UTC`, `O ${fmt(bar.open)} H ${fmt(bar.high)} L ${fmt(bar.low)} C ${fmt(bar.close)}`];
      for (const tr of trades) {
        if (barSec(tr.opened_at, interval) === t) lines.push(`▲ ${tr.side} entry ${fmt(tr.entry_price)} × ${tr.qty} (${tr.bot})`);
        if (barSec(tr.closed_at, interval) === t) lines.push(`● exit ${fmt(tr.exit_price)}: ${tr.exit_reason}, ${fmt(tr.profit)} (${fmtPct(tr.profit_pct)})`);
      }
      setTip({ x: p.point.x, y: p.point.y, lines });
    };
    ready.chart.subscribeCrosshairMove(on);
    return () => ready.chart.unsubscribeCrosshairMove(on);
  }, [ready, trades, interval]);

  return (
    <main className="grid">
      <section
        className="panel span12"
        data-testid="big-chart"
        data-bars={data?.bars.length ?? 0}
        data-volume={data?.bars.filter((b) => (b.volume ?? 0) > 0).length ?? 0}
        data-lines={data?.overlays?.lines.length ?? 0}
        data-levels={data?.overlays?.levels.map((l) => l.name).join('|') ?? ''}
        data-bricks={data?.overlays?.bricks.reduce((n, b) => n + b.bricks.length, 0) ?? 0}
        data-trades={trades.length}
        data-joined={joined.length}
      >
        <div className="row wrap">
          <h2>Chart</h2>
          <label className="inline">
            Instrument
            <select value={symbol} onChange={(e) => setSymbol(e.target.value)} data-testid="chart-symbol">
              {symbols.map((s) => (
                <option key={s.symbol} value={s.symbol}>
                  {s.symbol}
                </option>
              ))}
            </select>
          </label>
          <label className="inline">
            Interval
            <select value={interval} onChange={(e) => setIntervalMs(Number(e.target.value))} data-testid="chart-interval">
              {intervals.map((ms) => (
                <option key={ms} value={ms}>
                  {intervalName(ms)}
                </option>
              ))}
            </select>
          </label>
          <span className="muted small legend" data-testid="chart-legend">
            {(data?.overlays?.lines ?? []).map((l) => `${l.name} (${l.bot})`).join(' · ')}
            {data?.overlays?.bricks.length ? ` · Renko ${data.overlays.bricks.map((b) => b.size).join('/')}` : ''}
            {data?.overlays?.levels.length ? ` · ${data.overlays.levels.length} levels` : ''}
          </span>
        </div>
        {error && <div className="error small">{error}</div>}
        <div className="big-chart-wrap" onMouseLeave={() => setTip(null)}>
          <div className="big-chart" ref={box} />
          {tip && (
            <div className="chart-tip" data-testid="chart-tooltip" style={{ left: Math.max(0, Math.min(tip.x + 12, (box.current?.clientWidth ?? 400) - 230)), top: Math.max(0, tip.y - 10) }}>
              {tip.lines.map((l, i) => (
                <div key={i}>{l}</div>
              ))}
            </div>
          )}
        </div>
        {data && data.bars.length === 0 && <p className="muted">No closed bars of {symbol} at {intervalName(interval)} yet.</p>}
      </section>
    </main>
  );
}
