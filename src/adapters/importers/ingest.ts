import { TickSequence, type MarketDataStore } from '../../core/market-data.js';
import type { ImportFormat } from './formats.js';
import { readBars, readTicks, type ImportSource, type MalformedRow, type ReadOptions, type RowReader } from './index.js';
import { detectLayout, kindOf } from './formats.js';
import { readLines } from './lines.js';

export interface IngestOptions extends Omit<ReadOptions, 'signal'> {
  skipDuplicates?: boolean;
  /** Stops after the current batch; everything stored so far stays consistent (whole batches). */
  signal?: AbortSignal;
  /** Called after each stored batch with cumulative counts. */
  onBatch?: (progress: IngestProgress) => void;
}

export interface IngestProgress {
  batch: number;
  /** Rows stored so far (new rows, or overwritten ones when not skipping duplicates). */
  inserted: number;
  skipped: number;
  malformed: number;
  rows: number;
}

export interface IngestSummary {
  format: ImportFormat | null;
  symbol: string;
  kind: 'tick' | 'bar';
  /** Data rows read: inserted + skipped + malformed. */
  totalRows: number;
  inserted: number;
  skipped: number;
  malformed: number;
  malformedExamples: MalformedRow[];
  batches: number;
  durationMs: number;
  /** True when stopped by the signal before the end of the source. */
  aborted: boolean;
}

/** Ticks or bars? Reads the first non-empty line of a file (a stream cannot be peeked this way). */
export async function sniffKind(path: string, options: Pick<ReadOptions, 'format' | 'hasHeader'> = {}): Promise<'tick' | 'bar'> {
  if (options.format && options.format !== 'auto') return kindOf(options.format);
  for await (const chunk of readLines(path)) {
    const line = chunk.lines.find((l) => l.trim() !== '');
    if (line === undefined) continue;
    const layout = detectLayout(line, { format: 'auto', hasHeader: options.hasHeader, intervalMs: () => 0 });
    return typeof layout === 'string' ? 'tick' : kindOf(layout.format);
  }
  return 'tick';
}

/**
 * Reads a source and stores it batch by batch (one transaction per batch), the one code path of
 * the CLI, the upload route and the benchmark. `kind` says which reader to use; for a path it
 * can be sniffed with sniffKind first.
 */
export async function ingest(source: ImportSource, store: MarketDataStore, kind: 'tick' | 'bar', options: IngestOptions = {}): Promise<IngestSummary> {
  const started = performance.now();
  const skipDuplicates = options.skipDuplicates ?? true;
  const { onBatch, signal, ...read } = options;
  let inserted = 0, skipped = 0, batches = 0;
  let aborted = false;
  const reader: RowReader<unknown> = kind === 'tick' ? readTicks(source, read) : readBars(source, read);
  const sequence = new TickSequence();
  for await (const batch of reader) {
    if (signal?.aborted) {
      aborted = true;
      break;
    }
    const r = kind === 'tick'
      ? await store.insertTicks(batch as Parameters<MarketDataStore['insertTicks']>[0], { skipDuplicates, sequence })
      : await store.insertBars(batch as Parameters<MarketDataStore['insertBars']>[0], { skipDuplicates });
    inserted += r.inserted;
    skipped += r.skipped;
    batches++;
    onBatch?.({ batch: batches, inserted, skipped, malformed: reader.stats.malformed, rows: reader.stats.rows });
    if (signal?.aborted) {
      aborted = true;
      break;
    }
  }
  const s = reader.stats;
  return {
    format: s.format,
    symbol: s.symbol,
    kind,
    totalRows: s.rows,
    inserted,
    skipped,
    malformed: s.malformed,
    malformedExamples: s.malformedExamples,
    batches,
    durationMs: performance.now() - started,
    aborted,
  };
}
