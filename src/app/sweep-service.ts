import { randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { BacktestConfig } from '../backtest/backtester.js';
import { GridError, gridCombinations, parseGrid } from '../backtest/grid.js';
import type { SmaCrossSpec } from '../backtest/strategies.js';
import { RANK_METRICS, rank, type RankMetric, type SweepResult } from '../backtest/sweep.js';
import { isoTime } from '../core/clock.js';
import type { Instrument } from '../core/instruments.js';
import { matchInstrumentSymbol } from '../core/market-data.js';
import { SweepQueueUnavailable, type SweepQueue, type SweepSnapshot } from '../core/sweep-queue.js';

/** POST /api/sweeps (and `tradewind sweep`), as JSON. */
export interface SweepRequest {
  strategy?: string;
  /** `fast=5..20,slow=20..60` (grid.ts). */
  grid: string;
  data: { file: string; from?: number; to?: number; limit?: number };
  instrument?: string;
  /** The values of the parameters the grid does not vary. */
  base?: { fast?: number; slow?: number; size?: number; longOnly?: boolean; stopAtr?: number; targetAtr?: number };
  cash?: number;
  fee?: number;
  slippage?: number;
  rank?: string;
}

export class SweepRequestError extends Error {
  constructor(
    readonly status: 403 | 404 | 409 | 422 | 503,
    message: string,
  ) {
    super(message);
    this.name = 'SweepRequestError';
  }
}

export interface SweepServiceDeps {
  queue: SweepQueue<BacktestConfig, SweepResult>;
  /** sha256 of a data file (workers check their copy against it). */
  fingerprint: (path: string) => Promise<string>;
  /**
   * Where HTTP requests' data files must be (symlinks followed); null: any path (the CLI's own
   * user names the file).
   */
  dataDir: string | null;
  instruments: readonly Instrument[];
}

/** A sweep's view: progress, and its results ranked best first. */
export interface SweepView {
  sweep_id: string;
  state: string;
  where: 'redis' | 'local';
  progress: { done: number; failed: number; total: number; fraction: number };
  rank_by: RankMetric;
  grid: string;
  skipped: number;
  created_at: string;
  finished_at: string | null;
  results: (SweepResult & { rank: number })[];
  errors: { index: number; error: string }[];
}

/** Parameter sweeps over a queue (Redis workers or the local thread pool): start, watch, cancel. */
export class SweepService {
  constructor(private readonly deps: SweepServiceDeps) {}

  get where(): 'redis' | 'local' {
    return this.deps.queue.where;
  }

  /** Validates (422 naming the field), fingerprints the data file and enqueues every point. */
  async start(req: SweepRequest): Promise<SweepView> {
    const strategy = req.strategy ?? 'sma-cross';
    if (strategy !== 'sma-cross') throw new SweepRequestError(422, `strategy: only sma-cross can be swept (got ${JSON.stringify(strategy)})`);
    const by = (req.rank ?? 'closedPnl') as RankMetric;
    if (!RANK_METRICS.includes(by)) throw new SweepRequestError(422, `rank must be one of ${RANK_METRICS.join(', ')}`);
    const symbols = this.deps.instruments.map((i) => i.symbol);
    const symbol = matchInstrumentSymbol(req.instrument ?? 'BTC/USDT', symbols);
    if (!symbol) throw new SweepRequestError(422, `instrument ${JSON.stringify(req.instrument)} is not a known instrument (${symbols.join(', ')})`);
    const b = req.base ?? {};
    const base: SmaCrossSpec = { name: 'sma-cross', fast: b.fast ?? 10, slow: b.slow ?? 30, size: b.size ?? 1, longOnly: b.longOnly ?? true, ...(b.stopAtr !== undefined ? { stopAtr: b.stopAtr } : {}), ...(b.targetAtr !== undefined ? { targetAtr: b.targetAtr } : {}) };
    let specs: SmaCrossSpec[];
    let skipped: number;
    try {
      ({ specs, skipped } = gridCombinations(base, parseGrid(req.grid)));
    } catch (error) {
      if (error instanceof GridError) throw new SweepRequestError(422, `grid: ${error.message}`);
      throw error;
    }
    if (specs.length === 0) throw new SweepRequestError(422, `grid: no combination with fast < slow (${skipped} left out)`);
    const { from, to, limit } = req.data;
    if (from !== undefined && to !== undefined && !(from < to)) throw new SweepRequestError(422, 'data.from must be before data.to');
    const path = this.dataFile(req.data.file);
    const sha256 = await this.deps.fingerprint(path);
    const configs: BacktestConfig[] = specs.map((s) => ({ instrument: symbol, strategy: s, cash: req.cash ?? 1_000_000, feeRate: req.fee ?? 0, slippageTicks: req.slippage ?? 0 }));
    const id = `sw-${randomBytes(6).toString('hex')}`;
    const data = { path, sha256, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), ...(limit !== undefined ? { limit } : {}) };
    await unavailable503(() => this.deps.queue.start(id, data, configs, { rankBy: by, grid: req.grid, skipped, file: req.data.file }));
    return this.view(id);
  }

  /** The sweep's progress and its `top` best results so far (all with top 0). */
  async view(id: string, top = 0): Promise<SweepView> {
    return this.toView(await this.snapshot(id), top);
  }

  async cancel(id: string): Promise<SweepView> {
    const snap = await this.snapshot(id);
    if (snap.record.state !== 'running') throw new SweepRequestError(409, `sweep ${id} already finished (${snap.record.state})`);
    await unavailable503(() => this.deps.queue.cancel(id));
    return this.view(id, 10);
  }

  private async snapshot(id: string): Promise<SweepSnapshot<SweepResult>> {
    const snap = await unavailable503(() => this.deps.queue.snapshot(id));
    if (!snap) throw new SweepRequestError(404, `sweep ${id} not found`);
    return snap;
  }

  private toView(snap: SweepSnapshot<SweepResult>, top: number): SweepView {
    const r = snap.record;
    const by = (r.meta.rankBy ?? 'closedPnl') as RankMetric;
    const ranked = rank(snap.results, by);
    return {
      sweep_id: r.id,
      state: r.state,
      where: this.deps.queue.where,
      progress: { done: r.done, failed: r.failed, total: r.total, fraction: r.total === 0 ? 1 : Math.round(((r.done + r.failed) / r.total) * 10_000) / 10_000 },
      rank_by: by,
      grid: String(r.meta.grid ?? ''),
      skipped: Number(r.meta.skipped ?? 0),
      created_at: isoTime(r.createdAt),
      finished_at: r.finishedAt === null ? null : isoTime(r.finishedAt),
      results: (top > 0 ? ranked.slice(0, top) : ranked).map((x, i) => ({ rank: i + 1, ...x })),
      errors: snap.errors,
    };
  }

  private dataFile(file: string): string {
    const root = this.deps.dataDir;
    if (root === null) {
      const abs = resolve(file);
      if (!isFile(abs)) throw new SweepRequestError(422, `data.file not found: ${file}`);
      return abs;
    }
    let realRoot: string;
    try {
      realRoot = realpathSync(root);
    } catch {
      throw new SweepRequestError(422, 'data.file: the import directory (marketData.importDir) does not exist');
    }
    const candidate = isAbsolute(file) ? file : join(realRoot, file);
    let real: string;
    try {
      real = realpathSync(candidate);
    } catch {
      const rel = relative(realRoot, resolve(candidate));
      if (rel.startsWith('..') || isAbsolute(rel)) throw new SweepRequestError(403, 'data.file must be inside the import directory (marketData.importDir)');
      throw new SweepRequestError(422, `data.file not found: ${file} (in the import directory)`);
    }
    if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new SweepRequestError(403, 'data.file must be inside the import directory (marketData.importDir)');
    if (!isFile(real)) throw new SweepRequestError(422, `data.file is not a file: ${file}`);
    return real;
  }
}

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

async function unavailable503<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SweepQueueUnavailable) throw new SweepRequestError(503, error.message);
    throw error;
  }
}
