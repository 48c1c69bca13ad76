import { useEffect, useRef, useState } from 'react';
import type { IChartApi } from 'lightweight-charts';
import { chartColors, loadCharts, type ChartsLib } from './chartLib';

/**
 * A lightweight-charts chart in `box`, created once the library has loaded (a separate chunk);
 * `setup` adds the series and returns what the caller keeps of them. Removed on unmount.
 */
export function useLazyChart<S>(setup: (lib: ChartsLib, chart: IChartApi, colors: ReturnType<typeof chartColors>) => S, timeVisible = true) {
  const box = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState<{ chart: IChartApi; series: S; lib: ChartsLib } | null>(null);
  const setupRef = useRef(setup);
  // A chunk that failed to load is thrown while rendering, so the page's boundary (ChunkBoundary)
  // shows it with a retry instead of an empty chart box.
  const [failed, setFailed] = useState<{ error: unknown } | null>(null);
  if (failed) throw failed.error instanceof Error ? failed.error : new Error(String(failed.error));
  useEffect(() => {
    let chart: IChartApi | null = null;
    let gone = false;
    void loadCharts().then((lib) => {
      const el = box.current;
      if (gone || !el) return;
      const c = chartColors(el);
      // One formatter for every axis label (toLocaleString with options builds one per call).
      const price = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
      chart = lib.createChart(el, {
        autoSize: true,
        layout: { background: { type: lib.ColorType.Solid, color: c.background }, textColor: c.text, fontSize: 10, attributionLogo: false },
        grid: { vertLines: { color: c.grid }, horzLines: { color: c.grid } },
        rightPriceScale: { borderColor: c.border },
        timeScale: { borderColor: c.border, timeVisible, secondsVisible: false },
        localization: { priceFormatter: (p: number) => price.format(p) },
      });
      setReady({ chart, series: setupRef.current(lib, chart, c), lib });
    }, (error: unknown) => {
      if (!gone) setFailed({ error });
    });
    return () => {
      gone = true;
      chart?.remove();
    };
  }, []);
  return { box, ready };
}
