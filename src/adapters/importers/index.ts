import { basename } from 'node:path';
import type { Bar, Tick } from '../../core/market.js';
import { detectLayout, kindOf, type ImportFormat, type Layout } from './formats.js';
import { readLines, type ImportSource } from './lines.js';

export type { ImportFormat } from './formats.js';
export type { ImportSource } from './lines.js';

export interface ReadOptions {
  /** Default 'auto': detected from the first non-empty line. */
  format?: ImportFormat | 'auto';
  /** Symbol stored on every row; inferred from a Binance file name (BTCUSDT-1m-... -> BTC/USDT) or the file stem. */
  symbol?: string;
  /** Default 'auto': a first line that does not parse as data is a header. */
  hasHeader?: boolean | 'auto';
  /** Rows per yielded batch (default 10,000). */
  batchSize?: number;
  /** Bar length for generic OHLCV files; inferred from the most common gap in the first batch when absent. */
  intervalMs?: number;
  /** How many malformed rows to describe in `stats.malformedExamples` (default 10). */
  maxMalformedExamples?: number;
  /** Stops reading (the iteration ends early, without error). */
  signal?: AbortSignal;
}

export interface MalformedRow {
  line: number;
  reason: string;
}

export interface ImportStats {
  format: ImportFormat | null;
  symbol: string;
  headerSkipped: boolean;
  /** Data rows seen (valid + malformed); blank lines and the header are not rows. */
  rows: number;
  valid: number;
  malformed: number;
  malformedExamples: MalformedRow[];
}

/** Batches of parsed rows; `stats` is filled in as the iteration goes. */
export interface RowReader<T> extends AsyncIterable<T[]> {
  readonly stats: ImportStats;
}

const QUOTES = ['USDT', 'USDC', 'FDUSD', 'BUSD', 'TUSD'];

/** BTCUSDT-1m-2024.csv.gz -> BTC/USDT; other files: the name before the first '-', '_' or '.'. */
export function symbolFromPath(path: string): string {
  const name = basename(path);
  const binance = /^([A-Z0-9]+)-\d+[smhdwM]-/.exec(name);
  if (binance) {
    const pair = binance[1] as string;
    const quote = QUOTES.find((q) => pair.endsWith(q) && pair.length > q.length);
    return quote ? `${pair.slice(0, -quote.length)}/${quote}` : pair;
  }
  return (name.split(/[-_.]/)[0] ?? name).toUpperCase();
}

export function resolveSymbol(source: ImportSource, options: ReadOptions): string {
  if (options.symbol) return options.symbol;
  if (typeof source === 'string') return symbolFromPath(source);
  throw new Error('a symbol is required when reading from a stream');
}

/** The most common positive gap between consecutive bar starts (0 when there is none). */
function inferInterval(bars: Bar[]): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < bars.length; i++) {
    const gap = (bars[i] as Bar).start - (bars[i - 1] as Bar).start;
    if (gap > 0) counts.set(gap, (counts.get(gap) ?? 0) + 1);
  }
  let best = 0, bestCount = 0;
  for (const [gap, n] of counts) if (n > bestCount || (n === bestCount && gap < best)) [best, bestCount] = [gap, n];
  return best;
}

class Reader<T extends Tick | Bar> implements RowReader<T> {
  readonly stats: ImportStats;
  private started = false;

  constructor(
    private readonly source: ImportSource,
    private readonly options: ReadOptions,
    private readonly kind: 'tick' | 'bar',
  ) {
    this.stats = { format: null, symbol: resolveSymbol(source, options), headerSkipped: false, rows: 0, valid: 0, malformed: 0, malformedExamples: [] };
  }

  [Symbol.asyncIterator](): AsyncIterator<T[]> {
    if (this.started) throw new Error('a reader can be iterated once');
    this.started = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<T[]> {
    const { options, stats } = this;
    const batchSize = Math.max(1, options.batchSize ?? 10_000);
    const maxExamples = options.maxMalformedExamples ?? 10;
    const symbol = stats.symbol;
    let interval = options.intervalMs ?? 0;
    let inferring = this.kind === 'bar' && !options.intervalMs;
    let layout: Layout | null = null;
    let parse: ((f: string[], s: string) => T | string) | null = null;
    let delimiter = ',';
    let batch: T[] = [];
    const bad = (line: number, reason: string) => {
      stats.malformed++;
      if (stats.malformedExamples.length < maxExamples) stats.malformedExamples.push({ line, reason });
    };
    const flush = (): T[] => {
      const out = batch;
      batch = [];
      if (inferring) {
        inferring = false;
        interval = inferInterval(out as Bar[]) || 60_000;
        for (const b of out as Bar[]) if (b.intervalMs === 0) b.intervalMs = interval;
      }
      return out;
    };
    for await (const chunk of readLines(this.source)) {
      if (options.signal?.aborted) return;
      const lines = chunk.lines;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i] as string;
        if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === '')) continue;
        const lineNo = chunk.first + i;
        if (!parse) {
          const found = detectLayout(line, { format: options.format, hasHeader: options.hasHeader, intervalMs: () => interval });
          if (typeof found === 'string') throw new ImportFormatError(found);
          if (kindOf(found.format) !== this.kind) {
            throw new ImportFormatError(this.kind === 'bar' ? `this file holds ticks (${found.format}); read it with readTicks` : `this file holds bars (${found.format}); read it with readBars`);
          }
          layout = found;
          stats.format = found.format;
          delimiter = found.delimiter;
          parse = (this.kind === 'tick' ? found.parseTick : found.parseBar) as (f: string[], s: string) => T | string;
          if (found.header) {
            stats.headerSkipped = true;
            continue;
          }
        }
        stats.rows++;
        const row = parse(line.split(delimiter), symbol);
        if (typeof row === 'string') {
          bad(lineNo, row);
          continue;
        }
        stats.valid++;
        batch.push(row);
        if (batch.length >= batchSize) {
          yield flush();
          if (options.signal?.aborted) return;
        }
      }
    }
    if (batch.length > 0) yield flush();
    void layout;
  }
}

/** The source is not in a format we can read (as opposed to a few malformed rows). */
export class ImportFormatError extends Error {
  override name = 'ImportFormatError';
}

/**
 * Streams the ticks of a tick CSV/TXT file (plain or .gz) in batches, with bounded memory.
 * Malformed rows are skipped and counted in `reader.stats`.
 */
export function readTicks(source: ImportSource, options: ReadOptions = {}): RowReader<Tick> {
  return new Reader<Tick>(source, options, 'tick');
}

/**
 * Streams the bars of a Binance kline or generic OHLCV file (plain or .gz) in batches.
 * Example: `for await (const bars of readBars('../shared/data/binance/BTCUSDT-1m-2024.csv.gz')) ...`
 * (symbol BTC/USDT, intervalMs 60,000).
 */
export function readBars(source: ImportSource, options: ReadOptions = {}): RowReader<Bar> {
  return new Reader<Bar>(source, options, 'bar');
}
