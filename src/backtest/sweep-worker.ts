// A sweep worker thread: maps the shared columns once, then runs the combinations it is sent
// one at a time (sweep.ts hands the next one to whichever thread is free).
import { parentPort, workerData } from 'node:worker_threads';
import { tableOver } from '../core/columns.js';
import { runOnTable, summarize, type SweepReply, type SweepRequest, type SweepWorkerData } from './sweep.js';

const port = parentPort;
if (!port) throw new Error('the sweep worker must run in a worker thread');
const data = workerData as SweepWorkerData;
const table = tableOver(data.kind, data.buffer, data.offset, data.rows);
port.on('message', (m: SweepRequest) => {
  runOnTable(m.config, table, data.window).then(
    (report) => port.postMessage({ index: m.index, result: summarize(m.index, report) } satisfies SweepReply),
    (error: unknown) => port.postMessage({ index: m.index, error: error instanceof Error ? error.message : String(error) } satisfies SweepReply),
  );
});
