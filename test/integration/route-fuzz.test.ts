import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { getJson, startServer, type ServerHandle } from '../helpers/server.js';
import { rawAnnounced, rawHttp, type RawAnswer } from '../helpers/raw-http.js';
import { operations, requestsFor, vocabulary, type FuzzRequest } from '../helpers/route-fuzz.js';

type Obj = Record<string, unknown>;
const TOKEN = 'fuzz-token-0123456789abcdef';
const PASSWORD = 'fuzz password 0123';
const BRIDGE_SECRET = 'fuzz-bridge-secret-0123456789';
const TV_SECRET = 'fuzz-tv-secret-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
/** Fixed so a failure reproduces; TRADEWIND_FUZZ_SEED explores others. */
const SEED = Number(process.env.TRADEWIND_FUZZ_SEED ?? 20_261_202);

/** Runs `tasks` with at most `n` in flight. */
async function pool<T>(tasks: (() => Promise<T>)[], n: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await (tasks[i] as () => Promise<T>)();
      }
    }),
  );
  return results;
}

const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);

/**
 * What must hold in the journal whatever the requests were, read-only from the SQLite file: the
 * file is sound, no orphan rows, every amount a finite number, no order over-filled, and each
 * account's fees are the sum of its fills' fees.
 */
function storeProblems(dataDir: string): string[] {
  const db = new Database(join(dataDir, 'tradewind.db'), { readonly: true, fileMustExist: true });
  const problems: string[] = [];
  try {
    db.pragma('busy_timeout = 5000');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') problems.push(`quick_check: ${String(check)}`);
    // One read transaction: the checks see one snapshot while the server keeps writing.
    db.transaction(() => {
      const fk = db.pragma('foreign_key_check') as unknown[];
      if (fk.length > 0) problems.push(`foreign key violations: ${JSON.stringify(fk.slice(0, 3))}`);
      const rows = (sql: string) => (db.prepare(sql).all() as { data: string }[]).map((r) => JSON.parse(r.data) as Obj);
      const feesByAccount = new Map<string, number>();
      for (const f of rows('SELECT data FROM fills')) {
        if (!finite(f.price) || !((f.price as number) > 0) || !finite(f.qty) || !((f.qty as number) > 0) || !finite(f.fee)) problems.push(`fill ${String(f.id)}: ${JSON.stringify(f)}`);
        feesByAccount.set(f.accountId as string, (feesByAccount.get(f.accountId as string) ?? 0) + (f.fee as number));
      }
      for (const a of rows('SELECT data FROM accounts')) {
        for (const k of ['balance', 'realizedPnl', 'fees', 'dayStartEquity']) if (!finite(a[k])) problems.push(`account ${String(a.id)}: ${k} ${String(a[k])}`);
        const fees = feesByAccount.get(a.id as string) ?? 0;
        if (Math.abs(fees - (a.fees as number)) > 1e-6 * Math.max(1, Math.abs(fees))) problems.push(`account ${String(a.id)}: fees ${String(a.fees)} but its fills' fees add to ${fees}`);
      }
      for (const o of rows('SELECT data FROM orders')) {
        const bad = !finite(o.qty) || !((o.qty as number) > 0) || !finite(o.filledQty) || (o.filledQty as number) < 0 || (o.filledQty as number) > (o.qty as number) + 1e-9 || !finite(o.fees);
        if (bad) problems.push(`order ${String(o.id)}: qty ${String(o.qty)} filled ${String(o.filledQty)} fees ${String(o.fees)}`);
      }
      for (const p of rows('SELECT data FROM positions WHERE open = 1')) {
        if (!finite(p.qty) || !((p.qty as number) > 0) || !finite(p.avgPrice) || !finite(p.unrealizedPnl)) problems.push(`open position ${String(p.id)}: ${JSON.stringify(p)}`);
      }
      const orphanTrades = db.prepare('SELECT id FROM closed_trades WHERE position_id NOT IN (SELECT id FROM positions)').all();
      if (orphanTrades.length > 0) problems.push(`closed trades without their position: ${JSON.stringify(orphanTrades)}`);
      const badPnl = db.prepare('SELECT id, net_pnl FROM closed_trades WHERE NOT (net_pnl BETWEEN -1e15 AND 1e15)').all();
      if (badPnl.length > 0) problems.push(`closed trades with a non-finite PnL: ${JSON.stringify(badPnl)}`);
      const bridge = db.prepare('SELECT id, qty, fill_qty FROM bridge_orders WHERE NOT (qty > 0) OR (fill_qty IS NOT NULL AND (fill_qty < 0 OR fill_qty > qty + 1e-9))').all();
      if (bridge.length > 0) problems.push(`bridge orders with a bad quantity: ${JSON.stringify(bridge)}`);
      const orphanReports = db.prepare('SELECT order_id FROM bridge_reports WHERE order_id NOT IN (SELECT id FROM bridge_orders) LIMIT 3').all();
      if (orphanReports.length > 0) problems.push(`bridge reports without their order: ${JSON.stringify(orphanReports)}`);
    })();
  } finally {
    db.close();
  }
  return problems;
}

interface Failure {
  op: string;
  who: string;
  request: FuzzRequest;
  answer: RawAnswer | string;
}

describe(`route fuzzing from the OpenAPI document (seed ${SEED}; TRADEWIND_FUZZ_SEED=N to vary)`, () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer({
      env: {
        DASHBOARD_PASSWORD: PASSWORD,
        TRADEWIND_API_TOKENS: TOKEN,
        BRIDGE_HEARTBEAT_SECRET: BRIDGE_SECRET,
        TV_WEBHOOK_SECRET: TV_SECRET,
        TRADEWIND_RATE_LIMIT: 'off',
      },
    });
  });
  after(async () => {
    await server?.stop();
  });

  /** Jobs a fuzzed request may legitimately have started (backtests, Max bots) are stopped after each batch. */
  const stoppedJobs = new Set<string>();
  async function stopJobs(): Promise<void> {
    const jobs = (await getJson<unknown>(`${server.url}/api/backtests`, { headers: auth })).body;
    const list = Array.isArray(jobs) ? jobs : ((jobs as Obj | null)?.jobs as unknown[] | undefined) ?? [];
    for (const j of list as Obj[]) {
      const id = j.job_id;
      if (typeof id === 'string' && j.state === 'running') {
        stoppedJobs.add(id);
        await fetch(`${server.url}/api/backtests/${encodeURIComponent(id)}`, { method: 'DELETE', headers: auth });
      }
    }
    const bots = (await getJson<unknown>(`${server.url}/api/v1/run-bot/max`, { headers: auth })).body;
    const botList = Array.isArray(bots) ? bots : ((bots as Obj | null)?.bots as unknown[] | undefined) ?? [];
    for (const b of botList as Obj[]) {
      const id = b.bot_id;
      if (typeof id === 'string' && b.status !== 'stopped') {
        stoppedJobs.add(id);
        await fetch(`${server.url}/api/v1/run-bot/max/${encodeURIComponent(id)}/stop`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
      }
    }
  }

  it('every route, every field: wrong types, extreme numbers, deep nesting, oversized bodies, anonymously and authenticated; no 5xx, the server alive, the store consistent', async () => {
    const doc = (await getJson<{ paths: Record<string, Record<string, Obj>> }>(`${server.url}/api/docs/json`)).body;
    const table = (await getJson<{ routes: Record<string, { access: string }> }>(`${server.url}/api/metrics/routes`, { headers: auth })).body.routes;
    const login = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
    assert.equal(login.status, 200);
    const sessionCookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    assert.match(sessionCookie, /^tw_session=./);
    const ops = operations(doc);
    assert.ok(ops.length >= 60, `${ops.length} operations in the OpenAPI document`);
    const words = vocabulary(doc);
    const failures: Failure[] = [];
    const storeFailures: string[] = [];
    let sent = 0;
    const statuses = new Map<number, number>();

    for (const [index, op] of ops.entries()) {
      const key = `${op.method} ${op.path.replace(/\{([^}]+)\}/g, ':$1')}`;
      const access = table[key]?.access ?? 'operator';
      const secret = access === 'bridge' ? BRIDGE_SECRET : access === 'webhook' ? TV_SECRET : null;
      // Anonymous; with the credential of the route's class (a bearer token for operator routes, the
      // secret for bridge and webhook routes); and for operator routes with an operator's session
      // cookie too (the browser's way, with its own checks on state changes).
      const callers = access === 'operator' ? (['anonymous', 'authenticated', 'session'] as const) : (['anonymous', 'authenticated'] as const);
      for (const [mode, who] of callers.entries()) {
        const authed = who !== 'anonymous';
        const requests = requestsFor(op, {
          seed: SEED + index * 3 + mode,
          vocabulary: words,
          baseBody: authed && secret ? { secret } : {},
          perField: who === 'authenticated' ? 5 : who === 'session' ? 2 : 1,
          mixed: who === 'authenticated' ? 10 : who === 'session' ? 4 : 2,
        });
        const headersOf = (r: FuzzRequest): Record<string, string> => ({
          ...(who === 'authenticated' && access === 'operator' ? auth : {}),
          ...(who === 'session' ? { cookie: sessionCookie } : {}),
          ...(r.contentType ? { 'content-type': r.contentType } : {}),
        });
        const withSecret = (path: string) => (authed && access === 'bridge' ? `${path}${path.includes('?') ? '&' : '?'}secret=${BRIDGE_SECRET}` : path);
        const answers = await pool(
          requests.map((r) => async () => {
            try {
              return { r, a: await rawHttp(server.url, { method: r.method, path: withSecret(r.path), headers: headersOf(r), body: r.body }) as RawAnswer | string };
            } catch (error) {
              return { r, a: `no answer: ${(error as Error).message}` };
            }
          }),
          4,
        );
        if (op.method !== 'GET' && op.method !== 'DELETE') {
          // Oversized: a body past the limit is refused before it is read.
          const big = await rawAnnounced(server.url, { method: op.method, path: withSecret(op.path.replace(/\{[^}]+\}/g, 'fuzz-id')), headers: { ...headersOf({ method: op.method, path: '', what: '', contentType: 'application/json' }) }, declaredBytes: 400 * 1024 * 1024, firstBytes: '{"a":"' + 'x'.repeat(1024) }).catch((e: Error) => `no answer: ${e.message}`);
          answers.push({ r: { method: op.method, path: op.path, what: 'declared 400 MB body' }, a: big });
        }
        sent += answers.length;
        for (const { r, a } of answers) {
          if (typeof a === 'string' || a.status >= 500 || a.status === 0) failures.push({ op: key, who, request: r, answer: a });
          if (typeof a !== 'string') statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        }
      }
      // After each route's batch: alive, jobs stopped, the journal consistent.
      const health = await getJson(`${server.url}/`);
      assert.equal(health.status, 200, `server alive after ${key}\n${server.output().slice(-3000)}`);
      await stopJobs();
      for (const p of storeProblems(server.dataDir)) storeFailures.push(`after ${key}: ${p}`);
    }

    // The fuzz reached the handlers, not only the validators: every operation's handler ran.
    const hits = (await getJson<{ routes: Record<string, { hits: number }> }>(`${server.url}/api/metrics/routes`, { headers: auth })).body.routes;
    const unreached = ops.map((op) => `${op.method} ${op.path.replace(/\{([^}]+)\}/g, ':$1')}`).filter((k) => !((hits[k]?.hits ?? 0) > 0));
    process.stdout.write(`# route fuzz: handlers never run: ${unreached.join(', ') || 'none'}\n`);

    const report = failures
      .slice(0, 15)
      .map((f) => `${f.who} ${f.request.method} ${f.request.path.slice(0, 120)} [${f.request.what}] body ${String(f.request.body?.slice(0, 120))}\n  -> ${typeof f.answer === 'string' ? f.answer : `${f.answer.status} ${f.answer.body.slice(0, 300)}`}`)
      .join('\n');
    process.stdout.write(`# route fuzz: seed ${SEED}, ${ops.length} operations, ${sent} requests, ${stoppedJobs.size} backtest jobs or Max bots started and stopped, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}\n`);
    assert.equal(failures.length, 0, `seed ${SEED}: ${failures.length} requests answered 5xx or not at all:\n${report}`);
    assert.deepEqual(storeFailures, [], `seed ${SEED}: the journal is inconsistent`);
    assert.equal(server.proc.exitCode, null, 'the server is still running');
  });
});

describe('non-finite numbers coerced from strings are refused (found by the route fuzzer)', () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer({ env: { TRADEWIND_API_TOKENS: TOKEN, TRADEWIND_DEMO_BOT: 'false' } });
  });
  after(async () => {
    await server?.stop();
  });

  it('?limit=Infinity is a 422 naming the field, not a 500 (Ajv coerced it and skipped maximum)', async () => {
    for (const v of ['Infinity', '-Infinity', '+Infinity']) {
      const r = await getJson<{ detail: { loc: string[]; msg: string }[] }>(`${server.url}/api/logs?limit=${encodeURIComponent(v)}`, { headers: auth });
      assert.equal(r.status, 422, `limit=${v}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body.detail[0]?.loc, ['querystring', 'limit']);
      assert.match(r.body.detail[0]?.msg ?? '', /finite/);
    }
    assert.equal((await getJson(`${server.url}/api/logs?limit=5`, { headers: auth })).status, 200, 'a finite limit still works');
  });

  it('a body number given as "Infinity" never reaches a handler', async () => {
    const r = await getJson<{ detail: { loc: string[] }[] }>(`${server.url}/api/backtests`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { instrument: 'ES', from: '2024-01-01', to: '2024-01-02' }, strategy: { name: 'sma-cross', fast: 2, slow: 4 }, cash: 'Infinity' }),
    });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.deepEqual(r.body.detail[0]?.loc, ['body', 'cash']);
  });
});
