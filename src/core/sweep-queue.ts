/**
 * Parameter sweeps spread over workers (README "Running at scale"): a sweep is a list of points
 * (one backtest config each) over one data file; a queue hands every point to a worker, keeps
 * each point's result once, reports progress and can be cancelled. Two implementations: BullMQ
 * on Redis (src/adapters/bullmq, many worker processes) and the local worker-thread pool
 * (src/backtest/local-sweep-queue.ts, this process only).
 */

/** The data every point of a sweep runs over: a bar file, identified by its content. */
export interface SweepDataRef {
  path: string;
  /** sha256 of the file: a worker refuses a point when its copy of the file differs. */
  sha256: string;
  from?: number;
  to?: number;
  limit?: number;
}

/** One grid point as a worker receives it. */
export interface SweepTask<Config = unknown> {
  sweepId: string;
  index: number;
  config: Config;
  data: SweepDataRef;
}

export type SweepState = 'running' | 'done' | 'cancelled' | 'failed';

/** What the queue keeps about a sweep. `meta` is the caller's own description (grid, rank...). */
export interface SweepRecord {
  id: string;
  state: SweepState;
  total: number;
  done: number;
  failed: number;
  createdAt: number;
  finishedAt: number | null;
  meta: Record<string, unknown>;
}

export interface SweepSnapshot<Result> {
  record: SweepRecord;
  /** Every finished point's result, by grid index (each index at most once). */
  results: Result[];
  /** Points that failed, by index, with the error. */
  errors: { index: number; error: string }[];
}

export interface SweepQueue<Config, Result> {
  /** Enqueues every point; returns at once (the sweep runs on the workers). */
  start(id: string, data: SweepDataRef, configs: Config[], meta: Record<string, unknown>): Promise<SweepRecord>;
  snapshot(id: string): Promise<SweepSnapshot<Result> | null>;
  /** Removes the points not yet started; points being run finish but are not recorded. */
  cancel(id: string): Promise<SweepRecord | null>;
  /** Where the points run, for messages: 'redis' (workers) or 'local' (threads of this process). */
  readonly where: 'redis' | 'local';
  close(): Promise<void>;
}

/** Thrown by a worker for a point that cannot succeed anywhere (not retried). */
export class SweepTaskRefused extends Error {
  override name = 'SweepTaskRefused';
}

/** The queue's store (Redis) does not answer: nothing was started or changed. */
export class SweepQueueUnavailable extends Error {
  override name = 'SweepQueueUnavailable';
}
