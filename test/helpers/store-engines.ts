import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { BridgeQueue } from '../../src/core/bridge.js';
import type { MarketDataStore } from '../../src/core/market-data.js';
import type { JournalStore } from '../../src/core/ports.js';
import { MIGRATIONS } from '../../src/adapters/store-sqlite/migrations.js';
import { PG_MIGRATIONS } from '../../src/adapters/store-postgres/migrations.js';
import { SqliteMarketStore } from '../../src/adapters/store-sqlite/market-store.js';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { PgMarketStore } from '../../src/adapters/store-postgres/market-store.js';
import { PgStore } from '../../src/adapters/store-postgres/pg-store.js';
import { tempDir } from '../unit/support.js';

/**
 * The storage engines the shared store suite runs against. Each `fresh()` is an empty database
 * of its own (a new SQLite file; a new PostgreSQL schema named tw_test_<random>), dropped by
 * cleanup(), so parallel runs never collide.
 */
export interface StoreEngine {
  name: 'sqlite' | 'postgres';
  /** Why this engine's tests are skipped (PostgreSQL unreachable outside CI), or false. */
  skip: string | false;
  /** The schema version a new journal has (the engine's last migration). */
  latestVersion: number;
  /** A new, empty database; `open` opens another connection to that same database. */
  fresh(options?: { maxEvents?: number }): { store: JournalStore; open(): JournalStore; queue(store: JournalStore): BridgeQueue };
  market(): Promise<MarketDataStore & { closeAsync?(): Promise<void> }>;
  /** Makes the journal's connection refuse writes (a real database error), or accept them again. */
  readOnly(store: JournalStore, on: boolean): void;
  /** Rows in a table of the journal. */
  count(store: JournalStore, table: string): number;
  cleanup(): Promise<void>;
}

export const testDatabaseUrl = (): string => process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function sqliteEngine(): StoreEngine {
  const dirs = tempDir('tw-store-');
  let n = 0;
  return {
    name: 'sqlite',
    skip: false,
    latestVersion: Math.max(...MIGRATIONS.map((m) => m.version)),
    fresh(options = {}) {
      const file = dirs.file(`store-${(n += 1)}.db`);
      return { store: new SqliteStore({ file, ...options }), open: () => new SqliteStore({ file }), queue: (s) => s.bridgeQueue() };
    },
    market: async () => new SqliteMarketStore({ file: ':memory:' }),
    readOnly: (s, on) => void (s as SqliteStore).db.pragma(`query_only = ${on ? 'ON' : 'OFF'}`),
    count: (s, table) => ((s as SqliteStore).db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n,
    cleanup: async () => dirs.cleanup(),
  };
}

/** Probes PostgreSQL once; unreachable is a skip outside CI and a failure under CI=true. */
export async function postgresEngine(): Promise<StoreEngine> {
  const url = testDatabaseUrl();
  let skip: string | false = false;
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await probe.connect();
    await probe.query('SELECT 1');
  } catch (error) {
    const why = `PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')} is unreachable (${(error as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${why}: the PostgreSQL store tests must run under CI=true`, { cause: error });
    skip = `${why}: PostgreSQL store tests skipped (they fail instead under CI=true)`;
  } finally {
    await probe.end().catch(() => {});
  }
  const run = `tw_test_${randomBytes(4).toString('hex')}`;
  const schemas: string[] = [];
  let n = 0;
  const newSchema = () => {
    const schema = `${run}_${(n += 1)}`;
    schemas.push(schema);
    return schema;
  };
  return {
    name: 'postgres',
    skip,
    latestVersion: Math.max(...PG_MIGRATIONS.map((m) => m.version)),
    fresh(options = {}) {
      const schema = newSchema();
      return { store: new PgStore({ url, schema, ...options }), open: () => new PgStore({ url, schema }), queue: (s) => s.bridgeQueue() };
    },
    market: () => PgMarketStore.open({ url, schema: newSchema() }),
    readOnly: (s, on) => void (s as PgStore).conn.run(`SET default_transaction_read_only = ${on ? 'on' : 'off'}`),
    count: (s, table) => (s as PgStore).conn.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`)[0]?.n ?? -1,
    cleanup: async () => {
      if (skip || schemas.length === 0) return;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
