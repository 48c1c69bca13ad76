import pg from 'pg';
import type { Migration } from '../store-sqlite/migrations.js';

export interface PgTarget {
  /** postgres://user@host:port/database (DATABASE_URL). */
  url: string;
  /** Schema holding Tradewind's tables (created when missing); default `public`. */
  schema?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function schemaOf(target: PgTarget): string {
  const schema = target.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`PostgreSQL schema name '${schema}' must be lower-case letters, digits and _`);
  return schema;
}

/** int8 (BIGINT, COUNT) as a JS number: every value Tradewind stores (ms timestamps, counts) is a safe integer. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** A connected client whose search_path is the target schema (created when missing). */
export async function connectPg(target: PgTarget, settings: Record<string, string> = {}): Promise<pg.Client> {
  const schema = schemaOf(target);
  // PGAPPNAME as libpq reads it: tells one process's connections apart in pg_stat_activity (bench:pg does).
  const client = new pg.Client({ connectionString: target.url, types, application_name: process.env.PGAPPNAME || 'tradewind' });
  await client.connect();
  try {
    if (schema !== 'public') await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`SET search_path TO ${schema}`);
    for (const [key, value] of Object.entries(settings)) await client.query(`SELECT set_config($1, $2, false)`, [key, value]);
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return client;
}

/**
 * Applies the migrations the schema has not seen yet, each in its own transaction (as the
 * SQLite runner does), under an advisory lock: two servers starting on one database at once
 * migrate one after the other.
 */
export async function migratePg(client: pg.ClientBase, migrations: readonly Migration[], table: string): Promise<void> {
  const lockKey = `tradewind:${table}`;
  await client.query(`SELECT pg_advisory_lock(hashtext(current_schema() || $1))`, [lockKey]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const applied = new Set((await client.query<{ version: number }>(`SELECT version FROM ${table}`)).rows.map((r) => r.version));
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query(`INSERT INTO ${table} (version, name) VALUES ($1, $2)`, [m.version, m.name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
  } finally {
    await client.query(`SELECT pg_advisory_unlock(hashtext(current_schema() || $1))`, [lockKey]);
  }
}
