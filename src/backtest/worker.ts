// A backtest worker thread: runs one job (workerData) with the same module as an in-thread
// run, posts progress messages, then the report. Started by JobRunner; cancelled by terminate.
import { parentPort, workerData } from 'node:worker_threads';
import { runBacktestJob, type BacktestJobSpec, type JobProgress, type JobReport } from './job.js';

export type WorkerMessage =
  | ({ type: 'progress' } & JobProgress)
  /** `bytes`: the report's JSON length, measured here so the main thread need not (JobRunner's report budget). */
  | { type: 'result'; report: JobReport; bytes: number }
  /** `name` keeps the error's class across the thread boundary (TickOrderError, ImportFormatError, BacktestSpecError...). */
  | { type: 'error'; message: string; name: string; field?: string };

const port = parentPort;
if (!port) throw new Error('backtest worker must run in a worker thread');
const post = (m: WorkerMessage) => port.postMessage(m);
try {
  const report = await runBacktestJob(workerData as BacktestJobSpec, { onProgress: (p) => post({ type: 'progress', ...p }) });
  post({ type: 'result', report, bytes: JSON.stringify(report).length });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  const field = (e as { field?: unknown }).field;
  post({ type: 'error', message: e.message, name: e.name, ...(typeof field === 'string' ? { field } : {}) });
}
