// Preloaded into the server under test (NODE_OPTIONS=--import) when BENCH_HEAP_DIR is set:
// each SIGUSR2 writes a V8 heap snapshot of the process into that directory, for hunting what
// accumulates during the soak (compare two snapshots with bench/heap-diff.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

const dir = process.env.BENCH_HEAP_DIR;
if (dir) {
  let n = 0;
  process.on('SIGUSR2', () => {
    mkdirSync(dir, { recursive: true });
    const file = writeHeapSnapshot(join(dir, `heap-${process.pid}-${++n}-${Date.now()}.heapsnapshot`));
    process.stderr.write(`heap snapshot ${file}\n`);
  });
}
