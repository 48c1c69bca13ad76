import { Worker } from 'node:worker_threads';
import type { BacktestJobSpec, JobProgress, JobReport } from './job.js';
import type { WorkerMessage } from './worker.js';
import { distFile } from '../core/dist-files.js';

export type JobStatus = 'running' | 'done' | 'failed' | 'cancelled';

export interface JobView {
  id: string;
  status: JobStatus;
  progress: JobProgress;
  startedAt: number;
  finishedAt: number | null;
  error: string | null;
}

interface Job {
  view: JobView;
  /** Null once the thread has exited: a finished job keeps no handle on it. */
  worker: Worker | null;
  /** The outcome while running; null once settled (a settled promise would keep its report alive). */
  result: Promise<JobReport> | null;
  /** The report once done, until the report budget drops it. */
  report: JobReport | null;
  /** The report's JSON length (its share of the budget). */
  reportBytes: number;
  /** Why a failed job failed (result() rejects with it). */
  failure: Error | null;
  listeners: ((p: JobProgress) => void)[];
}

/** Reports of finished jobs kept in memory by default: the newest 20 within 16 MB of JSON, and any younger than a minute. */
export const DEFAULT_KEEP_REPORTS = 20;
export const DEFAULT_KEEP_REPORT_BYTES = 16 * 1024 * 1024;
export const DEFAULT_KEEP_REPORT_MS = 60_000;

/** result() of a done job whose report the budget has dropped. */
export class JobReportDroppedError extends Error {
  override name = 'JobReportDroppedError';
}

export interface JobRunnerOptions {
  /** Wall clock for job timestamps (the composition root passes the wall clock). */
  now: () => number;
  /** The worker script; default: worker.js next to this module. */
  workerUrl?: URL;
  /** Finished jobs kept for `get`/`list` (their status, without reports). Default 100. */
  keepFinished?: number;
  /**
   * Reports kept for `report`/`result`: those of the newest `keepReports` done jobs (default 20)
   * whose JSON adds up to at most `keepReportBytes` (default 16 MB); the newest report, and any
   * that finished less than `keepReportMs` ago (default 60 s, so a poller always gets its job's
   * report), are always kept. Older done jobs stay listed with their report dropped: a report
   * is fetched when its job finishes, and one held for each of the last 100 jobs grew the server
   * by ~0.3 MB a job (the soak, docs/RELIABILITY.md).
   */
  keepReports?: number;
  keepReportBytes?: number;
  keepReportMs?: number;
  /** Jobs running at once (one thread each); `start` refuses more with JobLimitError. Default unlimited. */
  maxRunning?: number;
}

export class JobCancelledError extends Error {
  override name = 'JobCancelledError';
}

/** Too many jobs running; try again when one has finished. */
export class JobLimitError extends Error {
  override name = 'JobLimitError';
}

/** A job's failure as the worker reported it: `name` is the original error's class name. */
export class JobFailedError extends Error {
  constructor(
    message: string,
    /** The original error's name, e.g. TickOrderError, ImportFormatError, BacktestSpecError. */
    readonly kind: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = kind;
  }
}

/**
 * Runs backtests off the main event loop, one worker thread per job (the worker runs the same
 * backtest module as an in-thread run), so a long backtest never delays the live API.
 * start(spec) returns a job id; progress arrives as messages; cancel terminates the thread.
 */
export class JobRunner {
  private readonly jobs = new Map<string, Job>();
  private seq = 0;
  private readonly workerUrl: URL;

  constructor(private readonly options: JobRunnerOptions) {
    this.workerUrl = options.workerUrl ?? distFile('backtest/worker.js');
  }

  /** Starts a job in a new worker thread; throws JobLimitError when `maxRunning` jobs already run. */
  start(spec: BacktestJobSpec): string {
    const limit = this.options.maxRunning ?? Infinity;
    if (this.running() >= limit) throw new JobLimitError(`${limit} backtest${limit === 1 ? '' : 's'} already running; cancel one or retry when one has finished`);
    this.seq += 1;
    const id = `BT-${this.seq.toString().padStart(6, '0')}`;
    const worker = new Worker(this.workerUrl, { workerData: spec });
    const view: JobView = { id, status: 'running', progress: { bars: 0, ticks: 0, ts: null, fraction: 0 }, startedAt: this.options.now(), finishedAt: null, error: null };
    const listeners: ((p: JobProgress) => void)[] = [];
    const result = new Promise<JobReport>((resolve, reject) => {
      const finish = (status: JobStatus, error: string | null) => {
        if (view.status !== 'running') return false;
        view.status = status;
        view.error = error;
        view.finishedAt = this.options.now();
        this.prune();
        return true;
      };
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') {
          view.progress = { bars: m.bars, ticks: m.ticks, ts: m.ts, fraction: m.fraction };
          for (const l of listeners) l(view.progress);
        } else if (m.type === 'result') {
          if (finish('done', null)) {
            view.progress = { bars: m.report.bars, ticks: m.report.ticks, ts: m.report.to, fraction: 1 };
            const job = this.jobs.get(id);
            if (job) {
              job.report = m.report;
              job.reportBytes = m.bytes;
            }
            resolve(m.report);
            this.settled(id);
            this.pruneReports();
          }
        } else if (finish('failed', m.message)) fail(new JobFailedError(m.message, m.name, m.field));
      });
      const fail = (error: Error) => {
        const job = this.jobs.get(id);
        if (job) job.failure = error;
        reject(error);
        this.settled(id);
      };
      worker.on('error', (error) => {
        if (finish('failed', error.message)) fail(error);
      });
      worker.on('exit', () => {
        if (view.status === 'cancelled') {
          reject(new JobCancelledError(`backtest ${id} cancelled`));
          this.settled(id);
        } else if (finish('failed', 'worker exited without a result')) fail(new Error(`backtest ${id}: worker exited without a result`));
        const job = this.jobs.get(id);
        if (job) job.worker = null;
      });
    });
    result.catch(() => {}); // observed through result(); never an unhandled rejection
    this.jobs.set(id, { view, worker, result, report: null, reportBytes: 0, failure: null, listeners });
    return id;
  }

  get(id: string): JobView | undefined {
    const job = this.jobs.get(id);
    return job ? { ...job.view, progress: { ...job.view.progress } } : undefined;
  }

  list(): JobView[] {
    return [...this.jobs.keys()].flatMap((id) => this.get(id) ?? []);
  }

  /** Calls `listener` on every progress message of a job; returns an unsubscribe. */
  onProgress(id: string, listener: (p: JobProgress) => void): () => void {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`no backtest job ${id}`);
    job.listeners.push(listener);
    return () => {
      const i = job.listeners.indexOf(listener);
      if (i >= 0) job.listeners.splice(i, 1);
    };
  }

  /** The report of a job that is done (undefined while running, after a failure or a cancel). */
  report(id: string): JobReport | undefined {
    return this.jobs.get(id)?.report ?? undefined;
  }

  /**
   * The report; rejects with JobCancelledError after a cancel, the job's error (JobFailedError)
   * after a failure, JobReportDroppedError when the report budget has dropped the report.
   */
  result(id: string): Promise<JobReport> {
    const job = this.jobs.get(id);
    if (!job) return Promise.reject(new Error(`no backtest job ${id}`));
    if (job.result) return job.result;
    if (job.view.status === 'cancelled') return Promise.reject(new JobCancelledError(`backtest ${id} cancelled`));
    if (job.failure) return Promise.reject(job.failure);
    if (job.report) return Promise.resolve(job.report);
    return Promise.reject(new JobReportDroppedError(`backtest ${id}: its report is no longer kept (only the newest reports are)`));
  }

  /** Stops a running job at once (terminates its thread); false if it was not running. */
  async cancel(id: string): Promise<boolean> {
    const job = this.jobs.get(id);
    if (!job || job.view.status !== 'running') return false;
    job.view.status = 'cancelled';
    job.view.finishedAt = this.options.now();
    await job.worker?.terminate();
    return true;
  }

  /**
   * Starts a job and waits for its report; an abort of `signal` (e.g. the HTTP client went
   * away) cancels the job, and the promise rejects with JobCancelledError.
   */
  async run(spec: BacktestJobSpec, signal?: AbortSignal): Promise<JobReport> {
    if (signal?.aborted) throw new JobCancelledError('backtest cancelled before it started');
    const id = this.start(spec);
    const abort = () => void this.cancel(id);
    signal?.addEventListener('abort', abort, { once: true });
    try {
      return await this.result(id);
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  /** Jobs running now. */
  running(): number {
    let n = 0;
    for (const j of this.jobs.values()) if (j.view.status === 'running') n += 1;
    return n;
  }

  /** Cancels every running job (shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.jobs.keys()].map((id) => this.cancel(id)));
  }

  /** Once the outcome is delivered the job keeps no promise or listeners (they would hold its report). */
  private settled(id: string): void {
    const job = this.jobs.get(id);
    if (!job) return;
    job.result = null;
    job.listeners.length = 0;
  }

  /** Drops the reports of older done jobs past `keepReports` or `keepReportBytes`, newest kept first. */
  private pruneReports(): void {
    const keep = this.options.keepReports ?? DEFAULT_KEEP_REPORTS;
    const budget = this.options.keepReportBytes ?? DEFAULT_KEEP_REPORT_BYTES;
    const youngSince = this.options.now() - (this.options.keepReportMs ?? DEFAULT_KEEP_REPORT_MS);
    let kept = 0;
    let bytes = 0;
    for (const job of [...this.jobs.values()].reverse()) {
      if (!job.report) continue;
      const young = (job.view.finishedAt ?? 0) > youngSince;
      if (kept > 0 && !young && (kept >= keep || bytes + job.reportBytes > budget)) job.report = null;
      else {
        kept += 1;
        bytes += job.reportBytes;
      }
    }
  }

  /** Reports held now and their JSON bytes (the budget's use; tests and metrics). */
  reportsKept(): { count: number; bytes: number } {
    let count = 0;
    let bytes = 0;
    for (const j of this.jobs.values()) {
      if (!j.report) continue;
      count += 1;
      bytes += j.reportBytes;
    }
    return { count, bytes };
  }

  private prune(): void {
    const keep = this.options.keepFinished ?? 100;
    const finished = [...this.jobs.values()].filter((j) => j.view.status !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - keep))) this.jobs.delete(j.view.id);
  }
}
