import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ingest } from '../../src/adapters/importers/ingest.js';
import { migratePg } from '../../src/adapters/store-postgres/connect.js';
import { PgMarketStore } from '../../src/adapters/store-postgres/market-store.js';
import { PG_MARKET_MIGRATIONS } from '../../src/adapters/store-postgres/migrations.js';
import type { Tick } from '../../src/core/market.js';
import { generateTicks } from '../../bench/gen-ticks.js';
import { postgresEngine, testDatabaseUrl } from '../helpers/store-engines.js';
import { tempDir } from './support.js';

// The PostgreSQL tick store without a unique key (docs/STORAGE.md "Tick and bar ingest"):
// exact duplicate counts must hold with two importers at once, after a killed import, and for
// ticks stored before migration 2.
const engine = await postgresEngine();
const url = testDatabaseUrl();
const run = `tw_test_ticks_${process.pid}_${Date.now().toString(36)}`;
let n = 0;
const newSchema = () => `${run}_${(n += 1)}`;
const admin = async () => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
};
const ROWS = 30_000;

describe('PostgreSQL ticks: duplicates without a unique key', { skip: engine.skip }, () => {
  const dir = tempDir('tw-pg-ticks-');
  const file = dir.file('ticks.csv');
  before(() => generateTicks(file, ROWS, 7));
  after(async () => {
    dir.cleanup();
    const c = await admin();
    try {
      for (let i = 1; i <= n; i++) await c.query(`DROP SCHEMA IF EXISTS ${run}_${i} CASCADE`);
    } finally {
      await c.end();
    }
  });

  const countRows = async (schema: string): Promise<number> => {
    const c = await admin();
    try {
      return Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.ticks`)).rows[0]?.n);
    } finally {
      await c.end();
    }
  };

  it('two importers of one file at once store every row once and count the other half as duplicates', async () => {
    const schema = newSchema();
    const a = await PgMarketStore.open({ url, schema });
    const b = await PgMarketStore.open({ url, schema });
    try {
      const [ra, rb] = await Promise.all([ingest(file, a, 'tick', { symbol: 'ES', batchSize: 1_000 }), ingest(file, b, 'tick', { symbol: 'ES', batchSize: 1_000 })]);
      assert.equal(ra.totalRows, ROWS);
      assert.equal(ra.inserted + rb.inserted, ROWS, `inserted ${ra.inserted} + ${rb.inserted}`);
      assert.equal(ra.skipped + rb.skipped, ROWS, `skipped ${ra.skipped} + ${rb.skipped}`);
      assert.equal(await countRows(schema), ROWS);
      assert.equal((await a.tickRange('ES'))?.count, ROWS);
    } finally {
      await a.closeAsync();
      await b.closeAsync();
    }
  });

  it('an import killed midway leaves whole batches whose counts agree; importing again stores exactly the rest', async () => {
    const schema = newSchema();
    const modules = ['../../src/adapters/importers/ingest.js', '../../src/adapters/store-postgres/market-store.js'].map((m) => new URL(m, import.meta.url).href);
    const code = `
      const { ingest } = await import(${JSON.stringify(modules[0])});
      const { PgMarketStore } = await import(${JSON.stringify(modules[1])});
      const [url, schema, file] = process.argv.slice(1);
      const store = await PgMarketStore.open({ url, schema });
      await ingest(file, store, 'tick', { symbol: 'ES', batchSize: 500, onBatch: (p) => process.stdout.write('batch ' + p.batch + '\\n') });
      process.stdout.write('finished\\n');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code, url, schema, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/batch 5\n/.test(out)) resolve();
      });
      child.once('exit', (c) => reject(new Error(`importer exited ${c} before batch 5: ${err}`)));
    });
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.ok(!out.includes('finished'), 'killed before the end');
    const stored = await countRows(schema);
    assert.ok(stored >= 5 * 500 && stored < ROWS && stored % 500 === 0, `whole batches stored: ${stored}`);
    const store = await PgMarketStore.open({ url, schema });
    try {
      assert.equal((await store.tickRange('ES'))?.count, stored, 'the spans count the stored rows');
      const again = await ingest(file, store, 'tick', { symbol: 'ES', batchSize: 2_000 });
      assert.deepEqual([again.inserted, again.skipped], [ROWS - stored, stored]);
      assert.equal(await countRows(schema), ROWS);
    } finally {
      await store.closeAsync();
    }
  });

  it('ticks stored before migration 2 are read back, counted, and skipped on re-import', async () => {
    const schema = newSchema();
    const c = await admin();
    const ticks: Tick[] = Array.from({ length: 50 }, (_, i) => ({ symbol: 'NQ', ts: 5_000 + Math.floor(i / 3), price: 100 + (i % 2), size: 1, trades: 1 + (i % 4) }));
    try {
      await c.query(`CREATE SCHEMA ${schema}`);
      await c.query(`SET search_path TO ${schema}`);
      await migratePg(c, PG_MARKET_MIGRATIONS.slice(0, 1), 'market_schema_migrations');
      await c.query(`INSERT INTO symbols (symbol) VALUES ('NQ')`);
      // As the version-1 store numbered them: n among identical prints of a timestamp, seq within it.
      const seen = new Map<string, number>();
      let values = '';
      ticks.forEach((t, i) => {
        const key = `${t.ts}|${t.price}|${t.size}`;
        const dup = seen.get(key) ?? 0;
        seen.set(key, dup + 1);
        values += `${i ? ',' : ''}(1, ${t.ts}, ${t.price}, ${t.size}, ${dup}, ${i % 3}, ${t.trades})`;
      });
      await c.query(`INSERT INTO ticks (sym, ts, price, size, n, seq, trades) VALUES ${values}`);
    } finally {
      await c.end();
    }
    const store = await PgMarketStore.open({ url, schema });
    try {
      assert.deepEqual(await store.tickRange('NQ'), { symbol: 'NQ', kind: 'tick', count: 50, first: 5_000, last: 5_016 });
      const back: Tick[] = [];
      for await (const batch of store.readTicks('NQ', {}, 7)) back.push(...batch);
      assert.deepEqual(back, ticks);
      assert.deepEqual(await store.insertTicks(ticks), { inserted: 0, skipped: 50 });
      assert.deepEqual(await store.insertTicks([{ symbol: 'NQ', ts: 5_016, price: 99, size: 1, trades: 1 }]), { inserted: 1, skipped: 0 });
    } finally {
      await store.closeAsync();
    }
  });
});
