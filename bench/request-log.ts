// The cost of the request/response log lines (src/api/request-log.ts) per request, in process:
// the two lines at info through the server's real logger (console, log file and ring), with the
// logger's redaction (as before) and without it (as the request log now logs: its fields carry
// nothing to redact). Console output goes to /dev/null.
//
//   npm run build && node dist/bench/request-log.js > /dev/null
import { createLogging } from '../src/cli/logger.js';
import { tempDir } from '../test/helpers/server.js';
import { isMain } from './common.js';

export function runRequestLogBench(n = 200_000): { redactedUs: number; plainUs: number } {
  const { logger } = createLogging({ level: 'info', dataDir: tempDir('tw-bench-log-'), toFile: true });
  const redacted = logger.child({ component: 'http' });
  const plain = logger.child({ component: 'http' }, { redact: { paths: [] } });
  const url = 'http://127.0.0.1:8000/api/state';
  const lines = (log: typeof plain) => {
    log.info({ method: 'GET', url }, `Request: GET ${url}`);
    log.info({ method: 'GET', url, status: 200, duration_s: 0.001 }, `Response: 200 (0.001s) GET ${url}`);
  };
  const cost = (log: typeof plain) => {
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) lines(log);
    const c = process.cpuUsage(t);
    return (c.user + c.system) / n;
  };
  // Alternated, best of three each: other load on the machine hits both alike.
  const r: number[] = [], p: number[] = [];
  cost(redacted);
  cost(plain);
  for (let k = 0; k < 3; k++) {
    r.push(cost(redacted));
    p.push(cost(plain));
  }
  return { redactedUs: Math.round(Math.min(...r) * 100) / 100, plainUs: Math.round(Math.min(...p) * 100) / 100 };
}

if (isMain(import.meta.url)) {
  const { redactedUs, plainUs } = runRequestLogBench();
  process.stderr.write(`request log, two lines per request: ${redactedUs} us CPU with redaction (before), ${plainUs} us without (now)\n`);
}
