import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { BacktestConfig } from '../backtest/backtester.js';
import type { BacktestJobSpec, JobProgress, JobReport } from '../backtest/job.js';
import { BacktestSpecError, buildStrategy, parseStrategySpec } from '../backtest/strategies.js';
import { isoTime } from '../core/clock.js';
import type { Instrument } from '../core/instruments.js';
import type { SeriesInfo } from '../core/market-data.js';
import { matchInstrumentSymbol } from '../core/market-data.js';
import type { RiskConfig } from '../engine/risk-engine.js';

/** The job runner as this service uses it (JobRunner in the server: one worker thread per job). */
export interface BacktestJobPort {
  start(spec: BacktestJobSpec): string;
  get(id: string): { id: string; status: 'running' | 'done' | 'failed' | 'cancelled'; progress: JobProgress; startedAt: number; finishedAt: number | null; error: string | null } | undefined;
  list(): { id: string }[];
  report(id: string): JobReport | undefined;
  cancel(id: string): Promise<boolean>;
}

export interface BacktestJobsDeps {
  jobs: BacktestJobPort;
  /** `data.file` must resolve (symlinks followed) inside this directory. */
  importDir: string;
  /** The market data store file (DATA_DIR/market.db) for instrument + from + to. */
  marketDb: string;
  /** Columnar cache of data files (README "Columnar cache"); absent: files are parsed every time. */
  cacheDir?: string;
  instruments: readonly Instrument[];
  /** The market data store's series (GET /api/backtests/data); absent: none listed. */
  series?: () => Promise<SeriesInfo[]>;
}

/** What a backtest can run on: the import directory's data files and the store's series. */
export interface DataChoices {
  files: { name: string; bytes: number; modified: string }[];
  store: { instrument: string; type: 'bars' | 'ticks'; intervalMs: number | null; count: number; from: string; to: string }[];
}

const DATA_FILE = /\.(csv|txt|tsv)(\.gz)?$|\.gz$/i;

/** A refusal with its HTTP status; `detail` is the message. */
export class BacktestRequestError extends Error {
  constructor(
    readonly status: 403 | 404 | 409 | 422 | 429,
    message: string,
  ) {
    super(message);
    this.name = 'BacktestRequestError';
  }
}

/** POST /api/backtests, as JSON. */
export interface BacktestRequest {
  /** A built-in symbol; default: data.instrument, a Max strategy's contract, or a Binance file's name. */
  instrument?: string;
  data: {
    /** A bar or tick file inside the import directory (relative to it, or absolute). */
    file?: string;
    /** With from and to: stored data of this instrument. */
    instrument?: string;
    /** ISO 8601 time or date (UTC), or epoch ms; from inclusive, to exclusive. */
    from?: string | number;
    to?: string | number;
    /** Default: ticks for max, bars for sma-cross. */
    type?: 'bars' | 'ticks';
    /** Stored bar length, default 60 000. */
    intervalMs?: number;
    /** At most this many bars or ticks. */
    limit?: number;
  };
  strategy: unknown;
  cash?: number;
  fees?: { rate?: number; makerRate?: number; perContract?: number };
  /** Ticks of slippage against the taker. */
  slippage?: number;
  risk?: RiskConfig;
  /** Close a position open at the end at the last price (default false: reported as open). */
  closeAtEnd?: boolean;
}

const spec422 = (error: unknown): never => {
  if (error instanceof BacktestSpecError) throw new BacktestRequestError(422, error.message);
  throw error;
};

function time(field: string, v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = typeof v === 'number' ? v : /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(v.trim()) ? Date.parse(v.trim().length === 10 ? `${v.trim()}T00:00:00Z` : v.trim()) : Number.NaN;
  if (!Number.isFinite(ms)) throw new BacktestRequestError(422, `${field} must be an ISO 8601 date or time (e.g. 2024-03-01 or 2024-03-01T12:00:00Z) or epoch milliseconds, got ${JSON.stringify(v)}`);
  return ms;
}

/** Backtests as jobs: validates a request into a job spec, starts it, shows and cancels jobs. */
export class BacktestJobs {
  constructor(private readonly deps: BacktestJobsDeps) {}

  /** Validates the request (422 naming the field) and starts the job; returns its id. */
  submit(req: BacktestRequest): string {
    const strategy = (() => {
      try {
        return parseStrategySpec(req.strategy);
      } catch (error) {
        return spec422(error);
      }
    })();
    const data = req.data;
    const symbols = this.deps.instruments.map((i) => i.symbol);
    const named = req.instrument ?? data.instrument ?? (strategy.name === 'max' ? strategy.contract : undefined) ?? (data.file ? fileSymbol(data.file) : undefined);
    if (named === undefined) throw new BacktestRequestError(422, `instrument is required (one of ${symbols.join(', ')})`);
    const symbol = matchInstrumentSymbol(named, symbols);
    if (!symbol) throw new BacktestRequestError(422, `instrument ${JSON.stringify(named)} is not a known instrument (${symbols.join(', ')})`);
    const instrument = this.deps.instruments.find((i) => i.symbol === symbol) as Instrument;
    try {
      buildStrategy(strategy, instrument, strategy.barIntervalMs ?? 60_000); // the keys and the contract, checked here rather than in the worker
    } catch (error) {
      spec422(error);
    }
    const type = data.type ?? (strategy.name === 'max' ? 'ticks' : 'bars');
    const from = time('data.from', data.from);
    const to = time('data.to', data.to);
    if (from !== undefined && to !== undefined && !(from < to)) throw new BacktestRequestError(422, `data.from (${isoTime(from)}) must be before data.to (${isoTime(to)})`);
    let source: BacktestJobSpec['data'];
    if (data.file !== undefined) {
      const path = this.insideImportDir(data.file);
      source = type === 'ticks' ? { kind: 'tick-file', path, from, to, limit: data.limit } : { kind: 'file', path, from, to, limit: data.limit };
    } else {
      if (from === undefined || to === undefined) throw new BacktestRequestError(422, 'data needs a file (inside the import directory), or instrument with from and to (stored data)');
      source = type === 'ticks' ? { kind: 'store-ticks', file: this.deps.marketDb, from, to, limit: data.limit } : { kind: 'store', file: this.deps.marketDb, intervalMs: data.intervalMs, from, to, limit: data.limit };
    }
    const config: BacktestConfig = {
      instrument: symbol,
      strategy,
      cash: req.cash,
      feeRate: req.fees?.rate,
      makerRate: req.fees?.makerRate,
      perContract: req.fees?.perContract,
      slippageTicks: req.slippage,
      risk: req.risk,
      closeAtEnd: req.closeAtEnd,
    };
    try {
      const cache = this.deps.cacheDir && (source.kind === 'file' || source.kind === 'tick-file') ? { cacheDir: this.deps.cacheDir } : {};
      return this.deps.jobs.start({ config: stripUndefined(config), data: stripUndefined(source), ...cache });
    } catch (error) {
      if (error instanceof Error && error.name === 'JobLimitError') throw new BacktestRequestError(429, error.message);
      throw error;
    }
  }

  /** The data files of the import directory (names relative to it, no deeper than one folder) and the stored series. */
  async dataChoices(): Promise<DataChoices> {
    const files: DataChoices['files'] = [];
    const walk = (dir: string, prefix: string, depth: number) => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return; // no import directory yet: nothing to offer
      }
      for (const e of entries) {
        if (e.isDirectory() && depth > 0 && !e.name.startsWith('.')) walk(join(dir, e.name), `${prefix}${e.name}/`, depth - 1);
        else if (e.isFile() && DATA_FILE.test(e.name)) {
          const st = statSync(join(dir, e.name));
          files.push({ name: `${prefix}${e.name}`, bytes: st.size, modified: isoTime(st.mtimeMs) });
        }
      }
    };
    walk(this.deps.importDir, '', 1);
    files.sort((a, b) => a.name.localeCompare(b.name));
    const series = this.deps.series ? await this.deps.series() : [];
    const store = series.map((x) => ({
      instrument: x.symbol,
      type: x.kind === 'bar' ? ('bars' as const) : ('ticks' as const),
      intervalMs: x.intervalMs ?? null,
      count: x.count,
      from: isoTime(x.first),
      to: isoTime(x.last),
    }));
    return { files, store };
  }

  view(id: string) {
    const v = this.deps.jobs.get(id);
    if (!v) throw new BacktestRequestError(404, `backtest job ${id} not found`);
    const report = v.status === 'done' ? (this.deps.jobs.report(id) ?? null) : null;
    return {
      job_id: v.id,
      state: v.status,
      progress: { bars: v.progress.bars, ticks: v.progress.ticks, fraction: Math.round(v.progress.fraction * 10_000) / 10_000, ts: v.progress.ts === null ? null : isoTime(v.progress.ts) },
      started_at: isoTime(v.startedAt),
      finished_at: v.finishedAt === null ? null : isoTime(v.finishedAt),
      error: v.error,
      result: report,
      // Done, but only the newest reports are kept in memory (JobRunner's keepReports / keepReportBytes).
      ...(v.status === 'done' && report === null ? { result_dropped: true } : {}),
    };
  }

  /** Every job kept, newest first, without results. */
  list() {
    return this.deps.jobs
      .list()
      .map((j) => {
        const { result: _result, ...rest } = this.view(j.id);
        return rest;
      })
      .reverse();
  }

  async cancel(id: string) {
    const v = this.deps.jobs.get(id);
    if (!v) throw new BacktestRequestError(404, `backtest job ${id} not found`);
    if (v.status !== 'running') throw new BacktestRequestError(409, `backtest job ${id} already finished (${v.status})`);
    await this.deps.jobs.cancel(id);
    const { result: _result, ...rest } = this.view(id);
    return rest;
  }

  private insideImportDir(file: string): string {
    const root = (() => {
      try {
        return realpathSync(this.deps.importDir);
      } catch {
        throw new BacktestRequestError(422, 'data.file: the import directory (marketData.importDir) does not exist');
      }
    })();
    const candidate = isAbsolute(file) ? file : join(root, file);
    let real: string;
    try {
      real = realpathSync(candidate);
    } catch {
      const rel = relative(root, resolve(candidate));
      if (rel.startsWith('..') || isAbsolute(rel)) throw new BacktestRequestError(403, 'data.file must be inside the import directory (marketData.importDir)');
      throw new BacktestRequestError(422, `data.file not found: ${file} (in the import directory)`);
    }
    if (real !== root && !real.startsWith(root + sep)) throw new BacktestRequestError(403, 'data.file must be inside the import directory (marketData.importDir)');
    if (!statSync(real).isFile()) throw new BacktestRequestError(422, `data.file is not a file: ${file}`);
    return real;
  }
}

/** BTCUSDT-1m-2024.csv.gz -> BTCUSDT (matched against the instruments ignoring '/'). */
const fileSymbol = (file: string): string | undefined => /^([A-Z0-9]+)-\d+[smhdwM]-/.exec(basename(file))?.[1];

/** Drops undefined fields: a job spec is structured-cloned into the worker. */
function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
