// The tick ingest's parser thread: receives the source's bytes from ingest() (which keeps the
// database on its own thread), parses them with ColumnarTickParser and posts columnar batches
// back, so parsing and inserting run on both cores. Flow control is ingest()'s: it sends a chunk
// only while few chunks and batches are in flight, so memory stays bounded.
import { parentPort, workerData } from 'node:worker_threads';
import { ColumnarTickParser, type ColumnarOptions, type TickColumns } from './columnar.js';

export type ToParser =
  | { type: 'chunk'; bytes: Uint8Array }
  | { type: 'end' }
  /** A batch the writer is done with: its arrays come back for reuse. */
  | { type: 'recycle'; batch: TickColumns };

export type FromParser =
  | { type: 'batch'; batch: TickColumns; stats: ColumnarTickParser['stats'] }
  /** One chunk fully parsed (its batches were posted before this). */
  | { type: 'parsed' }
  | { type: 'done'; stats: ColumnarTickParser['stats'] }
  /** `name` keeps ImportFormatError recognisable across the thread boundary. */
  | { type: 'error'; name: string; message: string };

const port = parentPort;
if (!port) throw new Error('the tick parser must run in a worker thread');
const parser = new ColumnarTickParser(workerData as ColumnarOptions);
const post = (batches: TickColumns[]) => {
  for (const batch of batches) {
    const m: FromParser = { type: 'batch', batch, stats: parser.stats };
    port.postMessage(m, [batch.ts.buffer, batch.price.buffer, batch.size.buffer, batch.trades.buffer, batch.n.buffer, batch.seq.buffer] as ArrayBuffer[]);
  }
};
port.on('message', (m: ToParser) => {
  try {
    if (m.type === 'chunk') {
      post(parser.push(m.bytes));
      port.postMessage({ type: 'parsed' } satisfies FromParser);
    } else if (m.type === 'recycle') {
      parser.recycle(m.batch);
    } else {
      post(parser.end());
      port.postMessage({ type: 'done', stats: parser.stats } satisfies FromParser);
    }
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    port.postMessage({ type: 'error', name: e.name, message: e.message } satisfies FromParser);
  }
});
