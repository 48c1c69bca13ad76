import type { SweepDataRef, SweepQueue, SweepRecord, SweepSnapshot } from '../core/sweep-queue.js';
import type { BacktestConfig } from './backtester.js';
import type { SweepResult } from './sweep.js';
import type { SweepRunner } from './sweep-runner.js';

interface LocalSweep {
  record: SweepRecord;
  results: Map<number, SweepResult>;
  errors: Map<number, string>;
}

/**
 * Sweeps without Redis: the points run on this process's worker threads (a SweepRunner), with
 * the same progress, cancel and results as the distributed queue. Kept in memory (the most
 * recent `keep` sweeps).
 */
export class LocalSweepQueue implements SweepQueue<BacktestConfig, SweepResult> {
  readonly where = 'local' as const;
  private readonly sweeps = new Map<string, LocalSweep>();

  constructor(
    private readonly runner: SweepRunner,
    private readonly now: () => number,
    private readonly keep = 50,
  ) {}

  async start(id: string, data: SweepDataRef, configs: BacktestConfig[], meta: Record<string, unknown>): Promise<SweepRecord> {
    const sweep: LocalSweep = { record: { id, state: 'running', total: configs.length, done: 0, failed: 0, createdAt: this.now(), finishedAt: null, meta }, results: new Map(), errors: new Map() };
    this.sweeps.set(id, sweep);
    for (const old of this.sweeps.keys()) if (this.sweeps.size > this.keep && old !== id) this.sweeps.delete(old);
    const settle = () => {
      const r = sweep.record;
      if (r.state === 'running' && r.done + r.failed >= r.total) {
        r.state = r.done === 0 && r.failed > 0 ? 'failed' : 'done';
        r.finishedAt = this.now();
      }
    };
    configs.forEach((config, index) => {
      // The runner queues points beyond its threads; a cancelled sweep's queued points are skipped.
      void this.runner.run({ sweepId: id, index, config, data }, () => sweep.record.state !== 'running').then(
        (result) => {
          if (sweep.record.state !== 'running' || result === null) return;
          sweep.results.set(index, result);
          sweep.record.done++;
          settle();
        },
        (error: unknown) => {
          if (sweep.record.state !== 'running') return;
          sweep.errors.set(index, error instanceof Error ? error.message : String(error));
          sweep.record.failed++;
          settle();
        },
      );
    });
    settle();
    return { ...sweep.record };
  }

  async snapshot(id: string): Promise<SweepSnapshot<SweepResult> | null> {
    const s = this.sweeps.get(id);
    if (!s) return null;
    return { record: { ...s.record }, results: [...s.results.values()], errors: [...s.errors].map(([index, error]) => ({ index, error })).sort((a, b) => a.index - b.index) };
  }

  async cancel(id: string): Promise<SweepRecord | null> {
    const s = this.sweeps.get(id);
    if (!s) return null;
    if (s.record.state === 'running') {
      s.record.state = 'cancelled';
      s.record.finishedAt = this.now();
    }
    return { ...s.record };
  }

  async close(): Promise<void> {
    for (const s of this.sweeps.values()) if (s.record.state === 'running') s.record.state = 'cancelled';
    await this.runner.close();
  }
}
