// The price path the fake replays: Binance's own 1-minute kline files (no header, 12 columns,
// open time in milliseconds, or microseconds from 2025), read as a stream so a large file is
// read only as far as needed. Each bar becomes four trade ticks: open, then the extreme the bar
// most plausibly reached first (low for an up bar, high for a down bar), the other extreme, close.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

export interface Bar {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
  takerBuyVolume: number;
}

export interface Tick {
  price: number;
  qty: number;
  /** true when the aggressor sold (the buyer was the maker). */
  buyerMaker: boolean;
}

export const TICKS_PER_BAR = 4;

function parseLine(line: string): Bar | undefined {
  const c = line.split(',');
  if (c.length < 11) return undefined;
  let openTime = Number(c[0]);
  if (openTime > 1e14) openTime = Math.floor(openTime / 1000); // microseconds (2025 files)
  const bar: Bar = {
    openTime,
    open: Number(c[1]),
    high: Number(c[2]),
    low: Number(c[3]),
    close: Number(c[4]),
    volume: Number(c[5]),
    trades: Number(c[8]),
    takerBuyVolume: Number(c[9]),
  };
  return Object.values(bar).every(Number.isFinite) ? bar : undefined;
}

/** Reads up to `maxBars` bars of a Binance kline CSV (.csv or .csv.gz). */
export async function loadBars(file: string, maxBars: number): Promise<Bar[]> {
  const bars: Bar[] = [];
  const raw = createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      const bar = parseLine(line);
      if (bar) bars.push(bar);
      if (bars.length >= maxBars) break;
    }
  } finally {
    rl.close();
    raw.destroy();
    if (input !== raw) input.destroy();
  }
  if (bars.length < 2) throw new Error(`fake-binance: no klines in ${file}`);
  return bars;
}

/** The bars of another instrument derived from these (a fixed price ratio), e.g. ETH from BTC. */
export function scaleBars(bars: Bar[], priceRatio: number, volumeRatio: number): Bar[] {
  return bars.map((b) => ({
    ...b,
    open: b.open * priceRatio,
    high: b.high * priceRatio,
    low: b.low * priceRatio,
    close: b.close * priceRatio,
    volume: b.volume * volumeRatio,
    takerBuyVolume: b.takerBuyVolume * volumeRatio,
  }));
}

/** Tick `phase` (0..3) of a bar, unrounded. */
export function barTick(bar: Bar, phase: number): { price: number; share: number } {
  const up = bar.close >= bar.open;
  const path = up ? [bar.open, bar.low, bar.high, bar.close] : [bar.open, bar.high, bar.low, bar.close];
  return { price: path[phase] ?? bar.close, share: 1 / TICKS_PER_BAR };
}
