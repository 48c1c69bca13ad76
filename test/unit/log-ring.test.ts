import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { LogRing, levelFromPino, parseLogLevel } from '../../src/app/log-ring.js';
import { createLogger, createLogging } from '../../src/cli/logger.js';
import { tempDir } from './support.js';

/** A console stand-in so the test output stays clean; keeps what it got. */
const sink = () => {
  const lines: string[] = [];
  return { lines, write: (s: string) => void lines.push(s) };
};

const logging = (level = 'debug', ringCapacity?: number) => {
  const out = sink();
  const { logger, ring } = createLogging({ level, dataDir: '/nonexistent', toFile: false, stdout: out, ringCapacity });
  return { logger, ring, out };
};

describe('LogRing fed by the real pino logger (createLogging)', () => {
  it('maps pino levels, components and fields to the seed LogEntry shape', () => {
    const { logger, ring } = logging();
    logger.child({ component: 'engine' }).info('Engine started successfully');
    logger.warn({ symbol: 'BTCUSDT', spread: 3.5 }, 'wide spread');
    logger.fatal('disk full');
    logger.debug('tick');
    const all = ring.query();
    assert.equal(all.length, 4);
    const [started, spread, fatal, debug] = all;
    assert.deepEqual(
      { level: started?.level, component: started?.component, message: started?.message, data: started?.data },
      { level: 'INFO', component: 'engine', message: 'Engine started successfully', data: null },
    );
    assert.match(started?.id ?? '', /^engine\.log_\d+$/);
    assert.ok(!Number.isNaN(Date.parse(started?.timestamp ?? '')));
    assert.match(started?.timestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(spread?.level, 'WARNING');
    assert.equal(spread?.component, 'app');
    assert.deepEqual(spread?.data, { symbol: 'BTCUSDT', spread: 3.5 });
    assert.equal(fatal?.level, 'CRITICAL');
    assert.equal(debug?.level, 'DEBUG');
    assert.equal(new Set(all.map((e) => e.id)).size, 4, 'ids are unique');
  });

  it('level is a minimum severity, case-insensitive, WARN accepted; unknown levels throw', () => {
    const { logger, ring } = logging();
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.fatal('c');
    assert.deepEqual(ring.query({ level: 'ERROR' }).map((e) => e.message), ['e', 'c']);
    assert.deepEqual(ring.query({ level: 'warn' }).map((e) => e.message), ['w', 'e', 'c']);
    assert.deepEqual(ring.query({ level: 'Warning' }).map((e) => e.message), ['w', 'e', 'c']);
    assert.deepEqual(ring.query({ level: 'critical' }).map((e) => e.message), ['c']);
    assert.equal(ring.query({ level: 'DEBUG' }).length, 5);
    assert.throws(() => ring.query({ level: 'LOUD' }), RangeError);
  });

  it('filters by component (case-insensitive) and keeps the newest `limit`, oldest first', () => {
    const { logger, ring } = logging();
    const engine = logger.child({ component: 'engine' });
    const api = logger.child({ component: 'api' });
    for (let i = 0; i < 10; i++) {
      engine.info(`engine ${i}`);
      api.info(`api ${i}`);
    }
    const eng = ring.query({ component: 'ENGINE' });
    assert.equal(eng.length, 10);
    assert.ok(eng.every((e) => e.component === 'engine'));
    assert.deepEqual(ring.query({ component: 'api', limit: 3 }).map((e) => e.message), ['api 7', 'api 8', 'api 9']);
    assert.deepEqual(ring.query({ limit: 0 }), []);
    assert.equal(ring.query({ component: 'nobody' }).length, 0);
    assert.throws(() => ring.query({ limit: -1 }), RangeError);
  });

  it('limit defaults to 100 and is capped at 1000', () => {
    const { logger, ring } = logging('info', 1500);
    for (let i = 0; i < 1200; i++) logger.info(`m${i}`);
    assert.equal(ring.query().length, 100);
    assert.equal(ring.query().at(-1)?.message, 'm1199');
    const capped = ring.query({ limit: 5000 });
    assert.equal(capped.length, 1000);
    assert.equal(capped[0]?.message, 'm200');
  });

  it('redacts secrets before they reach the ring (password, authorization header, cookie)', () => {
    const { logger, ring, out } = logging();
    logger.info({ password: 'hunter2', user: 'ops' }, 'login');
    logger.child({ component: 'api' }).info(
      { req: { method: 'GET', headers: { authorization: 'Bearer s3cr3t-token', cookie: 'tw_session=abc123' } } },
      'request',
    );
    logger.info({ config: { password: 'pw-nested', token: 'tok-nested' } }, 'config');
    const entries = ring.query();
    assert.equal(entries.length, 3);
    const text = JSON.stringify(entries);
    for (const secret of ['hunter2', 's3cr3t-token', 'abc123', 'pw-nested', 'tok-nested']) {
      assert.ok(!text.includes(secret), `${secret} leaked into the ring`);
      assert.ok(!out.lines.join('').includes(secret), `${secret} leaked to stdout`);
    }
    assert.equal(entries[0]?.data?.password, '[redacted]');
    assert.equal(entries[0]?.data?.user, 'ops');
    const req = entries[1]?.data?.req as { method: string; headers: Record<string, string> };
    assert.equal(req.method, 'GET');
    assert.equal(req.headers.authorization, '[redacted]');
    assert.equal(req.headers.cookie, '[redacted]');
  });

  it('is bounded: keeps only the last `capacity` entries', () => {
    const { logger, ring } = logging('info', 50);
    for (let i = 0; i < 120; i++) logger.info(`n${i}`);
    assert.equal(ring.size, 50);
    const kept = ring.query({ limit: 1000 });
    assert.equal(kept.length, 50);
    assert.equal(kept[0]?.message, 'n70');
    assert.equal(kept.at(-1)?.message, 'n119');
  });

  it('keeps `capacity` lines per component: a chatty component never evicts the others', () => {
    const { logger, ring } = logging('info', 50);
    logger.child({ component: 'engine' }).info('engine started');
    logger.info({ component: 'presets' }, 'preset loaded');
    const api = logger.child({ component: 'api' });
    for (let i = 0; i < 500; i++) api.info(`Response: 200 (0.001s) GET http://h/api/state #${i}`);
    logger.child({ component: 'engine' }).info('engine scanning');
    assert.equal(ring.size, 53);
    assert.deepEqual(ring.query({ component: 'engine' }).map((e) => e.message), ['engine started', 'engine scanning']);
    assert.deepEqual(ring.query({ component: 'PRESETS' }).map((e) => e.message), ['preset loaded']);
    const all = ring.query({ limit: 1000 });
    assert.equal(all.length, 53);
    assert.equal(all[0]?.message, 'engine started', 'oldest first across components');
    assert.equal(all.at(-1)?.message, 'engine scanning');
    assert.equal(all.filter((e) => e.component === 'api')[0]?.message, 'Response: 200 (0.001s) GET http://h/api/state #450');
    const newest = ring.query({ limit: 3 });
    assert.deepEqual(newest.map((e) => e.message), ['Response: 200 (0.001s) GET http://h/api/state #498', 'Response: 200 (0.001s) GET http://h/api/state #499', 'engine scanning']);
  });

  it('respects the logger level: debug lines do not reach the ring of an info logger', () => {
    const { logger, ring } = logging('info');
    logger.debug('hidden');
    logger.info('shown');
    assert.deepEqual(ring.query({ level: 'DEBUG' }).map((e) => e.message), ['shown']);
  });

  it('createLogger keeps returning a plain Logger and writes to a ring passed in', () => {
    const ring = new LogRing(10);
    const dir = tempDir();
    try {
      const logger = createLogger({ level: 'info', dataDir: dir.dir, toFile: false, stdout: sink(), ring });
      logger.info({ component: 'store' }, 'migrated');
      assert.deepEqual(ring.query().map((e) => [e.component, e.message]), [['store', 'migrated']]);
    } finally {
      dir.cleanup();
    }
  });
});

describe('LogRing as a bare destination', () => {
  it('parses several lines per write, keeps non-JSON lines as INFO text', () => {
    const ring = new LogRing(10, () => Date.UTC(2025, 0, 16, 12));
    ring.write('{"level":50,"time":1737028800000,"msg":"a","component":"x"}\n{"level":30,"time":1737028800001,"msg":"b"}\n');
    ring.write(Buffer.from('not json\n'));
    const e = ring.query({ limit: 10 });
    assert.deepEqual(e.map((x) => [x.level, x.component, x.message]), [['ERROR', 'x', 'a'], ['INFO', 'app', 'b'], ['INFO', 'app', 'not json']]);
    assert.equal(e[0]?.timestamp, '2025-01-16T12:00:00.000Z');
    assert.equal(e[2]?.timestamp, '2025-01-16T12:00:00.000Z');
  });

  it('works as the only pino destination', () => {
    const ring = new LogRing(5);
    const logger = pino({ level: 'info' }, ring);
    logger.error(new Error('boom'), 'failed');
    const [entry] = ring.query();
    assert.equal(entry?.level, 'ERROR');
    assert.equal(entry?.message, 'failed');
    assert.equal((entry?.data?.err as { message: string }).message, 'boom');
    assert.equal(entry?.data?.pid, undefined, 'pino base fields are not data');
  });

  it('level helpers', () => {
    assert.equal(parseLogLevel(' warn '), 'WARNING');
    assert.equal(parseLogLevel('fatal'), 'CRITICAL');
    assert.equal(parseLogLevel('verbose'), null);
    assert.deepEqual([10, 20, 30, 40, 50, 60, 35].map(levelFromPino), ['DEBUG', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL', 'INFO']);
  });
});
