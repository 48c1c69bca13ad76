// A training worker thread: runs one TrainJobSpec (workerData), posts each round, then the
// result. Started by trainInWorker; cancelled by terminating the thread.
import { parentPort, workerData } from 'node:worker_threads';
import { runTrainJob, type TrainJobSpec, type TrainWorkerMessage } from './train-job.js';

const port = parentPort;
if (!port) throw new Error('the training worker must run in a worker thread');
const post = (m: TrainWorkerMessage) => port.postMessage(m);
try {
  const result = runTrainJob(workerData as TrainJobSpec, (info) => post({ type: 'round', info }));
  post({ type: 'result', result });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', message: e.message, name: e.name });
}
