// A backtest worker thread: runs one job (workerData) with the same module as an in-thread
// run, posts progress messages, then the report. Started by JobRunner; cancelled by terminate.
import { parentPort, workerData } from 'node:worker_threads';
import { runBacktestJob, type BacktestJobSpec } from './job.js';

export type WorkerMessage =
  | { type: 'progress'; bars: number; ts: number | null; fraction: number }
  | { type: 'result'; report: import('./backtester.js').BacktestReport }
  | { type: 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('backtest worker must run in a worker thread');
const post = (m: WorkerMessage) => port.postMessage(m);
try {
  const report = await runBacktestJob(workerData as BacktestJobSpec, { onProgress: (p) => post({ type: 'progress', ...p }) });
  post({ type: 'result', report });
} catch (error) {
  post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}
