import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { PG_MIGRATIONS } from '../../src/adapters/store-postgres/migrations.js';
import { PgStore } from '../../src/adapters/store-postgres/pg-store.js';
import { BridgeBroker } from '../../src/adapters/broker-bridge.js';
import { SimClock } from '../../src/core/clock.js';
import type { Order } from '../../src/core/orders.js';
import { postgresEngine, testDatabaseUrl } from '../helpers/store-engines.js';
import { storeSuite } from './store-suite.js';

// The store contract shared with SQLite (store-sqlite.test.ts), against the PostgreSQL at
// TEST_DATABASE_URL / DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), each store
// in a schema of its own. Unreachable: skipped with the reason outside CI, a failure under CI=true.
const engine = await postgresEngine();
storeSuite(engine);

const url = testDatabaseUrl();
const schema = `tw_test_pg_${process.pid}_${Date.now().toString(36)}`;
const admin = () => {
  const c = new pg.Client({ connectionString: url });
  return c.connect().then(() => c);
};

describe('PgStore specifics', { skip: engine.skip }, () => {
  after(async () => {
    const c = await admin();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });

  it('records each migration once in its own table, also when two servers start at once', async () => {
    const a = new PgStore({ url, schema });
    const b = new PgStore({ url, schema });
    const c = await admin();
    try {
      const rows = (await c.query<{ version: number; name: string }>(`SELECT version, name FROM ${schema}.schema_migrations ORDER BY version`)).rows;
      assert.deepEqual(rows.map((r) => [r.version, r.name]), PG_MIGRATIONS.map((m) => [m.version, m.name]));
    } finally {
      await c.end();
      a.close();
      b.close();
    }
  });

  it('a claim skips the rows another transaction holds locked (FOR UPDATE SKIP LOCKED) instead of waiting', async () => {
    const store = new PgStore({ url, schema });
    const queue = store.bridgeQueue();
    const order = (id: string) => ({ id, accountId: 'lock', symbol: 'ES', contract: 'MESM6', exchange: 'CME', side: 'BUY' as const, qty: 1, kind: 'ENTRY' as const, mode: 'm', env: 'DEMO', refPrice: 1, createdAt: 1 });
    queue.enqueue(order('L-1'));
    queue.enqueue(order('L-2'));
    const other = await admin();
    try {
      // Another server is in the middle of claiming L-1.
      await other.query('BEGIN');
      await other.query(`SELECT id FROM ${schema}.bridge_orders WHERE id = 'L-1' FOR UPDATE`);
      assert.deepEqual(queue.claim('lock', 'A', 10, 10, 30_000).claimed.map((o) => o.id), ['L-2']);
      await other.query('ROLLBACK');
      assert.deepEqual(queue.claim('lock', 'B', 10, 11, 30_000).claimed.map((o) => o.id), ['L-1']);
    } finally {
      await other.end();
      store.close();
    }
  });

  it('two processes, each with its own connection, claiming at once never take the same order', async () => {
    const store = new PgStore({ url, schema });
    const queue = store.bridgeQueue();
    const N = 200;
    for (let i = 0; i < N; i++) {
      queue.enqueue({ id: `R-${String(i).padStart(3, '0')}`, accountId: 'race', symbol: 'ES', contract: 'MESM6', exchange: 'CME', side: 'BUY', qty: 1, kind: 'ENTRY', mode: 'm', env: 'DEMO', refPrice: 1, createdAt: i });
    }
    const storeUrl = new URL('../../src/adapters/store-postgres/pg-store.js', import.meta.url).href;
    // Each child says "ready", waits for "go" on stdin, claims until the queue stays empty, prints its ids.
    const code = `
      const { PgStore } = await import(${JSON.stringify(storeUrl)});
      const [url, schema, owner] = process.argv.slice(1);
      const store = new PgStore({ url, schema });
      const queue = store.bridgeQueue();
      process.stdout.write('ready\\n');
      await new Promise((resolve) => process.stdin.once('data', resolve));
      const ids = [];
      for (let empty = 0; empty < 3; ) {
        const r = queue.claim('race', owner, 2, 1000, 30000);
        if (r.claimed.length === 0) empty += 1;
        for (const o of r.claimed) ids.push(o.id);
        await new Promise((resolve) => setImmediate(resolve));
      }
      store.close();
      process.stdout.write(JSON.stringify(ids) + '\\n');
      process.exit(0);
    `;
    const run = (owner: string) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', code, url, schema, owner], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.startsWith('ready\n')) resolve();
        });
        child.once('exit', (c) => reject(new Error(`child ${owner} exited ${c}: ${err}`)));
      });
      const done = new Promise<string[]>((resolve, reject) =>
        child.once('exit', (c) => (c === 0 ? resolve(JSON.parse(out.slice('ready\n'.length)) as string[]) : reject(new Error(`child ${owner} exited ${c}: ${err}`)))),
      );
      return { ready, done, go: () => child.stdin.end('go\n') };
    };
    try {
      const a = run('A');
      const b = run('B');
      await Promise.all([a.ready, b.ready]);
      a.go();
      b.go();
      const [idsA, idsB] = await Promise.all([a.done, b.done]);
      const all = [...idsA, ...idsB];
      assert.equal(all.length, N, `every order claimed once (A ${idsA.length}, B ${idsB.length})`);
      assert.equal(new Set(all).size, N, 'no order claimed by both');
      for (const id of idsA) assert.equal(queue.get(id)?.leaseOwner, 'A');
      for (const id of idsB) assert.equal(queue.get(id)?.leaseOwner, 'B');
    } finally {
      store.close();
    }
  });

  it('a journal write that PostgreSQL refuses throws and leaves the transaction usable for the next write', () => {
    const store = new PgStore({ url, schema });
    try {
      assert.throws(() => store.conn.run(`INSERT INTO meta (key, value) VALUES (NULL, 'x')`), /null value/);
      store.setMeta('after-failure', 'ok');
      assert.equal(store.getMeta('after-failure'), 'ok');
    } finally {
      store.close();
    }
  });

  it('the bridge broker claims for a waiting push channel inside the queuing transaction, and never hands out a rolled-back claim', async () => {
    const store = new PgStore({ url, schema });
    const queue = store.bridgeQueue();
    const broker = new BridgeBroker({ clock: new SimClock(1_000), queue, accountId: 'push', contracts: { ES: { contract: 'MESM6', exchange: 'CME' } }, env: 'DEMO', leaseMs: 30_000, heartbeatTimeoutMs: 60_000 });
    const order = (id: string) => ({ id, accountId: 'push', symbol: 'ES', side: 'buy', type: 'market', qty: 1, purpose: 'entry' }) as Order;
    try {
      broker.heartbeat({ tsConnected: true });
      const waiting = broker.waitToClaim('A', 10, 10_000);
      store.atomically(() => broker.submit(order('P-1')));
      assert.deepEqual((await waiting)?.map((o) => o.id), ['P-1']);
      assert.equal(queue.get('P-1')?.status, 'CLAIMED');
      assert.equal(queue.get('P-1')?.leaseOwner, 'A');

      const again = broker.waitToClaim('A', 10, 10_000);
      assert.throws(() =>
        store.atomically(() => {
          broker.submit(order('P-2'));
          throw new Error('later write failed');
        }),
      );
      assert.equal(await again, null, 'woken to claim for itself');
      assert.equal(queue.get('P-2'), null);
    } finally {
      store.close();
    }
  });
});
