import { Worker } from 'node:worker_threads';
import { sharedTable, type MarketTable } from '../core/columns.js';
import type { BacktestConfig } from './backtester.js';
import type { SweepReply, SweepRequest, SweepResult, SweepWorkerData } from './sweep.js';
import type { TableWindow } from './table-batches.js';
import { distFile } from '../core/dist-files.js';

/**
 * A long-lived pool of sweep worker threads over one shared table: `run` takes one combination
 * and resolves with its summary when a thread has run it (queued while every thread is busy).
 * A distributed worker keeps one per data file so its event loop stays free (BullMQ renews job
 * locks from it while the threads compute).
 */
export class SweepPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly waiting: { request: SweepRequest; skip?: () => boolean; resolve: (r: SweepResult | null) => void; reject: (e: Error) => void }[] = [];
  private readonly running = new Map<Worker, { resolve: (r: SweepResult | null) => void; reject: (e: Error) => void }>();
  private closed = false;

  constructor(table: MarketTable, threads: number, window: Partial<TableWindow> = {}, url = distFile('backtest/sweep-worker.js')) {
    const shared = sharedTable(table);
    const data: SweepWorkerData = { buffer: shared.buffer, offset: shared.offset, rows: table.rows, kind: table.kind, window: { batchSize: 8192, ...window } };
    for (let i = 0; i < Math.max(1, threads); i++) {
      const w = new Worker(url, { workerData: data });
      this.all.push(w);
      this.idle.push(w);
      w.on('message', (m: SweepReply) => {
        const job = this.running.get(w);
        this.running.delete(w);
        this.idle.push(w);
        if ('error' in m) job?.reject(new Error(m.error));
        else job?.resolve(m.result);
        this.pump();
      });
      w.on('error', (error) => this.fail(w, error));
      w.on('exit', (code) => this.fail(w, new Error(`sweep thread exited (code ${code})`)));
    }
  }

  get threads(): number {
    return this.all.length;
  }

  /** The combination's summary; null when `skip` said so as a thread came free for it. */
  run(index: number, config: BacktestConfig, skip?: () => boolean): Promise<SweepResult | null> {
    if (this.closed) return Promise.reject(new Error('the sweep pool is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ request: { index, config }, skip, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(new Error('the sweep pool is closed'));
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.idle.length > 0 && this.waiting.length > 0) {
      const w = this.idle.shift() as Worker;
      const next = this.waiting.shift() as (typeof this.waiting)[number];
      if (next.skip?.()) {
        this.idle.push(w);
        next.resolve(null);
        continue;
      }
      this.running.set(w, next);
      w.postMessage(next.request);
    }
  }

  private fail(w: Worker, error: Error): void {
    const job = this.running.get(w);
    this.running.delete(w);
    if (!this.closed) job?.reject(error);
  }
}
