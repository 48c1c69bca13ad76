import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { TickSequence, type InsertResult, type InsertOptions, type MarketDataStore } from '../../core/market-data.js';
import type { Tick } from '../../core/market.js';
import type { ImportFormat } from './formats.js';
import { ImportFormatError, readBars, resolveSymbol, type ImportSource, type ImportStats, type MalformedRow, type ReadOptions, type RowReader } from './index.js';
import { detectLayout, kindOf } from './formats.js';
import { bytes, readLines } from './lines.js';
import { ColumnarTickParser, type ColumnarOptions, type TickColumns } from './columnar.js';
import type { FromParser, ToParser } from './tick-worker.js';
import { distFile } from '../../core/dist-files.js';

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
  if (kind === 'tick') return ingestTicks(source, store, options);
  const started = performance.now();
  const skipDuplicates = options.skipDuplicates ?? true;
  const { onBatch, signal, ...read } = options;
  let inserted = 0, skipped = 0, batches = 0;
  let aborted = false;
  const reader: RowReader<unknown> = readBars(source, read);
  for await (const batch of reader) {
    if (signal?.aborted) {
      aborted = true;
      break;
    }
    const r = await store.insertBars(batch as Parameters<MarketDataStore['insertBars']>[0], { skipDuplicates });
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

/** A store that takes columnar tick batches (SqliteMarketStore); others get Tick objects. */
interface ColumnarStore {
  insertTickColumnsSync(symbol: string, cols: TickColumns, options: InsertOptions): InsertResult;
}
const isColumnar = (store: MarketDataStore): store is MarketDataStore & ColumnarStore =>
  typeof (store as Partial<ColumnarStore>).insertTickColumnsSync === 'function';
/** The same batches, stored asynchronously (PgMarketStore: COPY). */
interface AsyncColumnarStore {
  insertTickColumns(symbol: string, cols: TickColumns, options: InsertOptions): Promise<InsertResult>;
}
const isAsyncColumnar = (store: MarketDataStore): store is MarketDataStore & AsyncColumnarStore =>
  typeof (store as Partial<AsyncColumnarStore>).insertTickColumns === 'function';

/** A store may prefer larger tick batches than the readers' default (PgMarketStore: fewer per-transaction round trips). */
const preferredTickBatch = (store: MarketDataStore): number | undefined => (store as { tickBatchSize?: number }).tickBatchSize;

/** Files smaller than this are parsed on the calling thread (a worker's start-up costs more). */
const WORKER_MIN_BYTES = 4 * 1024 * 1024;
/** Flow control between the reader, the parser thread and the writer: bounded memory. */
const MAX_CHUNKS_IN_FLIGHT = 3;
const MAX_BATCHES_QUEUED = 8;
const workerUrl = distFile('adapters/importers/tick-worker.js');

/**
 * Ticks: parsed by ColumnarTickParser (bytes to typed arrays) and stored a batch per
 * transaction. For a stream or a large file the parser runs on a worker thread while this thread
 * inserts, so both cores work; the batches, counts, progress reports and malformed-row reports
 * are the same as reading with readTicks.
 */
async function ingestTicks(source: ImportSource, store: MarketDataStore, options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const skipDuplicates = options.skipDuplicates ?? true;
  const { onBatch, signal } = options;
  const symbol = resolveSymbol(source, options);
  const parseOptions: ColumnarOptions = {
    symbol,
    format: options.format,
    hasHeader: options.hasHeader,
    batchSize: options.batchSize ?? preferredTickBatch(store),
    maxMalformedExamples: options.maxMalformedExamples,
  };
  let inserted = 0, skipped = 0, batches = 0;
  let aborted = false;
  const sequence = new TickSequence();
  /** The reader's counts when the last batch handed to store1 was completed (for an abort). */
  let at: TickColumns | null = null;
  /** Stores one batch; false when the signal says stop. */
  const store1 = async (b: TickColumns): Promise<boolean> => {
    at = b;
    if (signal?.aborted) return false;
    const r = isColumnar(store)
      ? store.insertTickColumnsSync(symbol, b, { skipDuplicates })
      : isAsyncColumnar(store)
        ? await store.insertTickColumns(symbol, b, { skipDuplicates })
        : await store.insertTicks(toTicks(symbol, b), { skipDuplicates, sequence });
    inserted += r.inserted;
    skipped += r.skipped;
    batches++;
    onBatch?.({ batch: batches, inserted, skipped, malformed: b.malformed, rows: b.rows });
    return !signal?.aborted;
  };
  let stats: ImportStats;
  if (useWorker(source)) {
    const r = await viaWorker(source, parseOptions, store1);
    stats = r.stats;
    aborted = r.aborted;
    if (aborted && at !== null) stats = statsAt(stats, at);
  } else {
    const parser = new ColumnarTickParser(parseOptions);
    stats = parser.stats;
    const it = bytes(source)[Symbol.asyncIterator]();
    try {
      let done = false;
      while (!done && !aborted) {
        const next = await it.next();
        done = next.done === true;
        const ready = next.done ? parser.end() : parser.push(next.value);
        for (const b of ready) {
          if (!(await store1(b))) {
            aborted = true;
            break;
          }
          parser.recycle(b);
        }
      }
    } finally {
      if (aborted) await it.return?.(undefined);
    }
    if (aborted && at !== null) stats = statsAt(stats, at);
  }
  return {
    format: stats.format,
    symbol: stats.symbol,
    kind: 'tick',
    totalRows: stats.rows,
    inserted,
    skipped,
    malformed: stats.malformed,
    malformedExamples: stats.malformedExamples,
    batches,
    durationMs: performance.now() - started,
    aborted,
  };
}

/** As readTicks' stats were when batch `b` was yielded (an aborted import reports those). */
function statsAt(latest: ImportStats, b: TickColumns): ImportStats {
  return { ...latest, rows: b.rows, malformed: b.malformed, malformedExamples: latest.malformedExamples.slice(0, b.examples) };
}

function useWorker(source: ImportSource): boolean {
  if (typeof source !== 'string') return true;
  try {
    return statSync(source).size >= WORKER_MIN_BYTES;
  } catch {
    return false; // let the read report the error as before
  }
}

function toTicks(symbol: string, b: TickColumns): Tick[] {
  const out: Tick[] = new Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = { symbol, ts: b.ts[i] as number, price: b.price[i] as number, size: b.size[i] as number, trades: b.trades[i] as number };
  return out;
}

/**
 * This thread reads the source and inserts; the worker parses. A chunk goes to the worker only
 * while fewer than MAX_CHUNKS_IN_FLIGHT are unparsed and fewer than MAX_BATCHES_QUEUED parsed
 * batches wait, so memory is bounded by a few MB whatever the file size.
 */
async function viaWorker(
  source: ImportSource,
  options: ColumnarOptions,
  store1: (b: TickColumns) => Promise<boolean>,
): Promise<{ stats: ImportStats; aborted: boolean }> {
  const worker = new Worker(workerUrl, { workerData: options });
  const send = (m: ToParser, transfer?: ArrayBuffer[]) => worker.postMessage(m, transfer);
  const queue: TickColumns[] = [];
  let inFlight = 0;
  let stats: ImportStats | null = null;
  /** The worker's counts as of its last message (an aborted import reports from these). */
  let latest: ImportStats = { format: null, symbol: options.symbol, headerSkipped: false, rows: 0, valid: 0, malformed: 0, malformedExamples: [] };
  let failure: Error | null = null;
  let stopped = false;
  let wake: (() => void) | null = null;
  const signalChange = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const changed = () => new Promise<void>((resolve) => (wake = resolve));
  worker.on('message', (m: FromParser) => {
    if (m.type === 'batch') {
      queue.push(m.batch);
      latest = m.stats;
    }
    else if (m.type === 'parsed') inFlight--;
    else if (m.type === 'done') stats = m.stats;
    else failure ??= m.name === 'ImportFormatError' ? new ImportFormatError(m.message) : new Error(m.message);
    signalChange();
  });
  worker.on('error', (e) => {
    failure ??= e;
    signalChange();
  });
  worker.on('exit', () => {
    if (stats === null) failure ??= new Error('the tick parser thread stopped unexpectedly');
    signalChange();
  });
  const it = bytes(source)[Symbol.asyncIterator]();
  // The reader runs alongside the insert loop below; both wait on `changed()`.
  let pumpWake: (() => void) | null = null;
  const pump = (async () => {
    for (;;) {
      while (!stopped && (inFlight >= MAX_CHUNKS_IN_FLIGHT || queue.length >= MAX_BATCHES_QUEUED)) await new Promise<void>((r) => (pumpWake = r));
      if (stopped) return;
      const next = await it.next();
      if (stopped) return;
      if (next.done) {
        send({ type: 'end' });
        return;
      }
      // A copy the worker owns (the chunk may be a view into memory the stream reuses).
      const copy = new Uint8Array(next.value);
      inFlight++;
      send({ type: 'chunk', bytes: copy }, [copy.buffer]);
    }
  })().catch((e: unknown) => {
    failure ??= e instanceof Error ? e : new Error(String(e));
    signalChange();
  });
  const kick = () => {
    const w = pumpWake;
    pumpWake = null;
    w?.();
  };
  let aborted = false;
  try {
    for (;;) {
      if (failure) throw failure;
      const b = queue.shift();
      if (b) {
        kick();
        if (!(await store1(b))) {
          aborted = true;
          break;
        }
        const m: ToParser = { type: 'recycle', batch: b };
        send(m, [b.ts.buffer, b.price.buffer, b.size.buffer, b.trades.buffer, b.n.buffer, b.seq.buffer] as ArrayBuffer[]);
        continue;
      }
      if (stats !== null) break;
      kick();
      await changed();
    }
  } finally {
    stopped = true;
    kick();
    if (aborted || failure) void it.return?.(undefined)?.catch(() => {});
    worker.removeAllListeners('exit');
    await worker.terminate();
    if (!aborted && !failure) await pump;
  }
  return { stats: stats ?? latest, aborted };
}
