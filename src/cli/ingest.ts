import { InvalidArgumentError, type Command } from 'commander';
import { createReadStream, mkdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pipeline, Transform } from 'node:stream';
import { BUILTIN_INSTRUMENTS } from '../core/instruments.js';
import { matchInstrumentSymbol } from '../core/market-data.js';
import { ingest, sniffKind, type IngestSummary } from '../adapters/importers/ingest.js';
import { symbolFromPath, type ImportFormat } from '../adapters/importers/index.js';
import type { TradewindConfig } from './config-schema.js';
import { openMarketStore } from './storage.js';

export interface IngestCommandOptions {
  instrument?: string;
  format?: ImportFormat | 'auto';
  /** commander's --no-header gives false; --header true; absent = auto-detect. */
  header?: boolean;
  skipDuplicates?: boolean;
  dataDir: string;
  json?: boolean;
  batchSize?: number;
  intervalMs?: number;
  /** SQLite (DATA_DIR/market.db, the default) or PostgreSQL (COPY). */
  storage?: Pick<TradewindConfig, 'storage' | 'database'>;
}

export interface IngestCommandResult extends IngestSummary {
  file: string;
  database: string;
  rowsPerSecond: number;
  /** Peak resident memory of this process (VmHWM), MB; null where /proc is unavailable. */
  peakRssMb: number | null;
}

/** Peak resident set size of this process from /proc (Linux), in MB. */
export function peakRssMb(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Throws with a user-facing message for an unknown instrument. */
export function resolveInstrument(text: string): string {
  const symbols = BUILTIN_INSTRUMENTS.map((i) => i.symbol);
  const found = matchInstrumentSymbol(text, symbols);
  if (!found) throw new Error(`unknown instrument '${text}'; known: ${symbols.join(', ')}`);
  return found;
}

const fmtRows = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));

/** `tradewind ingest FILE`: the code path the benchmark measures. */
export async function runIngest(file: string, opts: IngestCommandOptions, stderr: NodeJS.WriteStream = process.stderr): Promise<IngestCommandResult> {
  const path = resolve(file);
  const size = statSync(path).size;
  const symbol = resolveInstrument(opts.instrument ?? symbolFromPath(path));
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const { store, describe: database } = await openMarketStore(opts.storage ?? { storage: 'sqlite', database: { url: '', schema: 'public' } }, dataDir);
  const tty = !opts.json && stderr.isTTY === true;
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  pipeline(input, counter, () => {});
  const started = performance.now();
  let lastDraw = 0;
  const draw = (rows: number, final = false) => {
    const now = performance.now();
    if (!final && now - lastDraw < 200) return;
    lastDraw = now;
    const frac = size > 0 ? Math.min(1, bytes / size) : 1;
    const width = 30;
    const filled = Math.round(frac * width);
    const rate = rows / Math.max(0.001, (now - started) / 1000);
    stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${fmtRows(rows)} rows  ${fmtRows(Math.round(rate))} rows/s `);
  };
  try {
    const kind = await sniffKind(path, { format: opts.format, hasHeader: opts.header });
    const summary = await ingest(counter, store, kind, {
      symbol,
      format: opts.format ?? 'auto',
      hasHeader: opts.header ?? 'auto',
      skipDuplicates: opts.skipDuplicates ?? true,
      batchSize: opts.batchSize,
      intervalMs: opts.intervalMs,
      onBatch: tty ? (p) => draw(p.rows) : undefined,
    });
    if (tty) {
      draw(summary.totalRows, true);
      stderr.write('\n');
    }
    return {
      ...summary,
      file: path,
      database,
      rowsPerSecond: Math.round(summary.totalRows / Math.max(0.001, summary.durationMs / 1000)),
      peakRssMb: peakRssMb(),
    };
  } finally {
    input.destroy();
    if ('closeAsync' in store) await (store as { closeAsync(): Promise<void> }).closeAsync();
    else store.close();
  }
}

export function formatSummary(r: IngestCommandResult): string {
  const lines = [
    `${r.file}: ${r.format ?? 'empty'} ${r.kind}s for ${r.symbol} -> ${r.database}`,
    `  rows ${r.totalRows}  inserted ${r.inserted}  skipped (duplicates) ${r.skipped}  malformed ${r.malformed}`,
    `  ${(r.durationMs / 1000).toFixed(1)}s, ${fmtRows(r.rowsPerSecond)} rows/s${r.peakRssMb !== null ? `, peak memory ${r.peakRssMb} MB` : ''}`,
  ];
  for (const m of r.malformedExamples) lines.push(`  line ${m.line}: ${m.reason}`);
  if (r.malformed > r.malformedExamples.length) lines.push(`  ... and ${r.malformed - r.malformedExamples.length} more malformed rows`);
  return `${lines.join('\n')}\n`;
}

interface IngestFlags {
  instrument?: string;
  format?: string;
  header?: boolean;
  skipDuplicates?: boolean;
  json?: boolean;
  batchSize?: string;
  intervalMs?: string;
  config?: string;
  dataDir?: string;
}

/** Adds `tradewind ingest FILE ...`; `configOf` resolves the data directory and storage from --config/--data-dir/env. */
export function registerIngestCommand(program: Command, configOf: (opts: { config?: string; dataDir?: string }) => Pick<TradewindConfig, 'dataDir' | 'storage' | 'database'>): void {
  program
    .command('ingest')
    .description('import a market data file (tick CSV/TXT, Binance klines, OHLCV CSV; .gz read directly) into DATA_DIR/market.db, or PostgreSQL with storage: postgres')
    .argument('<file>', 'file to import')
    .option('-i, --instrument <symbol>', 'instrument (ES, NQ, BTC/USDT, ...); inferred from a Binance file name when absent')
    .option('-f, --format <format>', 'tick | binance | ohlcv (default: detected)')
    .option('--header', 'the first line is a header (default: detected)')
    .option('--no-header', 'the first line is data')
    .option('--no-skip-duplicates', 'overwrite rows already stored instead of skipping them')
    .option('--batch-size <rows>', 'rows per transaction (default 10000; ticks into PostgreSQL 50000)')
    .option('--interval-ms <ms>', 'bar length for OHLCV files (default: inferred)')
    .option('--json', 'print a JSON summary on stdout')
    .option('-c, --config <file>', 'YAML or JSON configuration file (env TRADEWIND_CONFIG)')
    .option('-d, --data-dir <dir>', 'data directory (env DATA_DIR)')
    .action(async (file: string, flags: IngestFlags) => {
      if (flags.format !== undefined && !['tick', 'binance', 'ohlcv', 'auto'].includes(flags.format)) {
        throw new InvalidArgumentError(`--format must be tick, binance or ohlcv, not '${flags.format}'`);
      }
      const positive = (v: string | undefined, name: string) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
        return n;
      };
      try {
        const result = await runIngest(file, {
          instrument: flags.instrument,
          format: flags.format as ImportFormat | 'auto' | undefined,
          header: flags.header,
          skipDuplicates: flags.skipDuplicates,
          json: flags.json,
          batchSize: positive(flags.batchSize, '--batch-size'),
          intervalMs: positive(flags.intervalMs, '--interval-ms'),
          ...((c) => ({ dataDir: c.dataDir, storage: c }))(configOf({ config: flags.config, dataDir: flags.dataDir })),
        });
        process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : formatSummary(result));
      } catch (error) {
        if (error instanceof InvalidArgumentError) throw error;
        process.stderr.write(`tradewind ingest: ${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
