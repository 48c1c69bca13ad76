// The console and file destinations gather lines (asynchronous sonic-boom, up to LOG_WRITE_BYTES
// per write, at most LOG_FLUSH_MS late): what is gathered must still reach the file when the
// process exits right after logging, cleanly or by an uncaught exception. (Not covered: a process
// that exits before the file is even open, in the first moments after the logger is made; the
// asynchronous open loses those lines. The child waits for its first line in the file first.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from '../helpers/server.js';

const loggerModule = pathToFileURL(join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'src', 'cli', 'logger.js')).href;

/** Runs a child that logs `n` access-sized lines and then ends as `how` says; returns the file's lines. */
function logThenEnd(how: 'exit' | 'throw', n: number): { lines: string[]; stdout: string; status: number | null } {
  const dataDir = tempDir('tw-log-exit-');
  const script = `
    import { existsSync, readFileSync } from 'node:fs';
    import { createLogging } from ${JSON.stringify(loggerModule)};
    const { logger } = createLogging({ level: 'info', dataDir: ${JSON.stringify(dataDir)}, toFile: true });
    const file = ${JSON.stringify(join(dataDir, 'logs', 'tradewind.log'))};
    logger.info('logger up');
    // The file is open once that line is in it (within the logger's 200 ms flush).
    while (!(existsSync(file) && readFileSync(file, 'utf8').includes('logger up'))) await new Promise((r) => setTimeout(r, 20));
    const api = logger.child({ component: 'api' });
    for (let i = 0; i < ${n}; i++) api.info({ reqId: 'req-' + i, method: 'GET', url: 'http://127.0.0.1:8000/api/state', status: 200 }, 'Response: 200 (0.001s) GET http://127.0.0.1:8000/api/state');
    ${how === 'exit' ? 'process.exit(0);' : "throw new Error('crash after logging');"}
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  const text = readFileSync(join(dataDir, 'logs', 'tradewind.log'), 'utf8');
  rmSync(dataDir, { recursive: true, force: true });
  return { lines: text.split('\n').filter((l) => l !== '' && !l.includes('logger up')), stdout: r.stdout, status: r.status };
}

describe('logger: gathered lines are written at exit', () => {
  for (const how of ['exit', 'throw'] as const) {
    it(`${how === 'exit' ? 'process.exit right after logging' : 'an uncaught exception right after logging'}: every line reaches the file and the console`, () => {
      // 5 lines (about 1 KB, below one gathered write) and 3,000 (many writes, some in flight at exit).
      for (const n of [5, 3_000]) {
        const { lines, stdout, status } = logThenEnd(how, n);
        assert.equal(status, how === 'exit' ? 0 : 1);
        assert.equal(lines.length, n, `${n} lines logged, ${lines.length} in the file`);
        assert.deepEqual(lines.map((l) => (JSON.parse(l) as { reqId: string }).reqId), Array.from({ length: n }, (_, i) => `req-${i}`));
        assert.equal(stdout.split('\n').filter((l) => l.includes('"component":"api"')).length, n, 'the console got them all too');
      }
    });
  }
});
