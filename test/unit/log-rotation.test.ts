import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../src/cli/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'tw-logrot-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

const waitFor = async (what: string, ok: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('log file retention', () => {
  it('rotates tradewind.log past maxFileBytes, keeps keepFiles old files and drops the oldest', async () => {
    const logger = createLogger({ level: 'info', dataDir: dir, toFile: true, stdout: sink(), maxFileBytes: 20_000, keepFiles: 2, rotateCheckMs: 20 });
    const file = join(dir, 'logs', 'tradewind.log');
    const line = 'x'.repeat(500);
    for (let round = 1; round <= 4; round++) {
      for (let i = 0; i < 60; i++) logger.info({ round, i }, line);
      logger.flush();
      await waitFor(`rotation ${round}`, () => existsSync(`${file}.1`) && readFileSync(`${file}.1`, 'utf8').includes(`"round":${round}`));
    }
    // The reopened tradewind.log is created by the destination's asynchronous reopen, a moment after
    // the rename that made tradewind.log.1.
    const expected = ['tradewind.log', 'tradewind.log.1', 'tradewind.log.2'];
    const listing = () => readdirSync(join(dir, 'logs')).sort();
    await waitFor(`the logs directory to hold ${expected.join(', ')} (it holds ${listing().join(', ')})`, () => listing().join() === expected.join(), 5_000).catch(() => undefined);
    const files = listing();
    assert.deepEqual(files, expected, 'two rotated files kept, the oldest dropped');
    assert.ok(readFileSync(`${file}.2`, 'utf8').includes('"round":3'));
    logger.info('after the last rotation');
    logger.flush();
    await waitFor('the reopened file written', () => existsSync(file) && readFileSync(file, 'utf8').includes('after the last rotation'));
    for (const f of files) assert.ok(statSync(join(dir, 'logs', f)).size < 60_000, `${f} is bounded`);
  });
});
