// The CPU cost of the access log (src/api/request-log.ts) per request, in process, through the
// server's real logger (console, log file and ring): the one line per request written now, and the
// two lines (Request: ... / Response: ...) written before issue 15 item 4. 25 requests' lines per
// event-loop turn, as under 25 connections, so the asynchronous console and file writes complete
// as they do in the server (a loop that never yields would measure sonic-boom's drop path once
// 32 MB are pending). CPU is the process's (all threads: the writes run in libuv's pool).
// Alternated, best of BENCH_RUNS (5) each: other load on the machine hits all alike.
//
//   npm run build && node dist/bench/request-log.js | cat > /dev/null     (console to a pipe)
import { rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { createLogging } from '../src/cli/logger.js';
import { tempDir } from '../test/helpers/server.js';
import { envNumber, isMain, sleep } from './common.js';

type Variant = 'none' | 'one line' | 'two lines';

function lines(variant: Variant, log: Logger): (i: number) => void {
  const method = 'GET';
  const url = 'http://127.0.0.1:8000/api/state';
  if (variant === 'none') return () => {};
  if (variant === 'two lines')
    return () => {
      log.info({ method, url }, `Request: ${method} ${url}`);
      log.info({ method, url, status: 200, duration_s: 0.001 }, `Response: 200 (0.001s) ${method} ${url}`);
    };
  return (i) => log.info({ reqId: `req-${i.toString(36)}`, method, url, route: '/api/state', status: 200, duration_s: 0.001 }, `Response: 200 (0.001s) ${method} ${url}`);
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function costUs(variant: Variant, n: number): Promise<number> {
  const dataDir = tempDir('tw-bench-log-');
  const { logger } = createLogging({ level: 'info', dataDir, toFile: true });
  const write = lines(variant, logger.child({ component: 'api' }, { redact: { paths: [] } }));
  for (let i = 0; i < 2_000; i++) {
    write(i);
    if (i % 25 === 24) await turn();
  }
  await sleep(250);
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    write(i);
    if (i % 25 === 24) await turn();
  }
  // Whatever is still gathered goes out within the logger's 200 ms flush.
  await sleep(250);
  const c = process.cpuUsage(t);
  rmSync(dataDir, { recursive: true, force: true });
  return (c.user + c.system) / n;
}

export async function runRequestLogBench(n = 50_000, runs = envNumber('BENCH_RUNS', 5)): Promise<Record<Variant, number>> {
  const all: Record<Variant, number[]> = { none: [], 'one line': [], 'two lines': [] };
  for (let k = 0; k < runs; k++) for (const v of Object.keys(all) as Variant[]) all[v].push(await costUs(v, n));
  const best = (a: number[]) => Math.round(Math.min(...a) * 100) / 100;
  return { none: best(all.none), 'one line': best(all['one line']), 'two lines': best(all['two lines']) };
}

if (isMain(import.meta.url)) {
  const r = await runRequestLogBench();
  process.stderr.write(`access log CPU per request (best of runs; 'none' = the loop alone): none ${r.none} us, one line (now) ${r['one line']} us, two lines (before) ${r['two lines']} us\n`);
}
