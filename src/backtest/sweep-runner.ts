import { ColumnarCache } from '../adapters/columnar-cache/cache.js';
import { buildTable } from '../adapters/columnar-cache/build.js';
import type { MarketTable } from '../core/columns.js';
import { SweepTaskRefused, type SweepDataRef, type SweepTask } from '../core/sweep-queue.js';
import type { BacktestConfig } from './backtester.js';
import { SweepPool } from './sweep-pool.js';
import type { SweepResult } from './sweep.js';

export interface SweepRunnerOptions {
  /** Worker threads per data file. */
  threads: number;
  /** Columnar cache directory; absent: files are parsed on each first use. */
  cacheDir?: string;
  /** Data files kept loaded (each with its pool); the least recently used goes first. */
  keep?: number;
}

interface Loaded {
  key: string;
  pool: SweepPool;
  users: number;
}

/**
 * Runs sweep points in this process: loads a sweep's data file once (checked against the
 * sweep's content hash), keeps a thread pool over it, and runs each point on that pool.
 */
export class SweepRunner {
  private readonly loaded: Loaded[] = [];
  private readonly loading = new Map<string, Promise<Loaded>>();

  constructor(private readonly options: SweepRunnerOptions) {}

  /** The point's summary; null when `skip` said so by the time a thread was free for it. */
  async run(task: SweepTask<BacktestConfig>, skip?: () => boolean): Promise<SweepResult | null> {
    const entry = await this.acquire(task.data);
    entry.users++;
    try {
      return await entry.pool.run(task.index, task.config, skip);
    } finally {
      entry.users--;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.loaded.splice(0).map((e) => e.pool.close()));
  }

  private acquire(data: SweepDataRef): Promise<Loaded> {
    const key = `${data.sha256}:${data.from ?? ''}:${data.to ?? ''}:${data.limit ?? ''}`;
    const at = this.loaded.findIndex((e) => e.key === key);
    if (at >= 0) {
      const [entry] = this.loaded.splice(at, 1) as [Loaded];
      this.loaded.push(entry);
      return Promise.resolve(entry);
    }
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(key, data).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  private async load(key: string, data: SweepDataRef): Promise<Loaded> {
    let table: MarketTable;
    let sha256: string;
    try {
      ({ table, sha256 } = this.options.cacheDir ? await new ColumnarCache(this.options.cacheDir).load(data.path, 'bars') : await buildTable(data.path, 'bars'));
    } catch (error) {
      throw new SweepTaskRefused(`cannot read the sweep's data file ${data.path} on this worker: ${(error as Error).message}`);
    }
    if (sha256 !== data.sha256) throw new SweepTaskRefused(`the data file ${data.path} on this worker differs from the sweep's (sha256 ${sha256.slice(0, 12)}, expected ${data.sha256.slice(0, 12)})`);
    const entry: Loaded = { key, pool: new SweepPool(table, this.options.threads, { from: data.from, to: data.to, limit: data.limit }), users: 0 };
    this.loaded.push(entry);
    // Evict idle pools beyond the limit, oldest first.
    const keep = Math.max(1, this.options.keep ?? 2);
    for (const old of [...this.loaded]) {
      if (this.loaded.length <= keep) break;
      if (old !== entry && old.users === 0) {
        this.loaded.splice(this.loaded.indexOf(old), 1);
        void old.pool.close();
      }
    }
    return entry;
  }
}
