import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MIGRATIONS } from '../../src/adapters/store-sqlite/migrations.js';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { sqliteEngine } from '../helpers/store-engines.js';
import { storeSuite } from './store-suite.js';
import { tempDir } from './support.js';

// The store contract shared with PostgreSQL (store-postgres.test.ts).
storeSuite(sqliteEngine());

const dirs = tempDir('tw-store-');
after(() => dirs.cleanup());

describe('SqliteStore specifics', () => {
  it('records each migration with its version, in WAL mode with full sync', () => {
    const s = new SqliteStore({ file: dirs.file('a.db') });
    const rows = s.db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as { version: number; name: string; applied_at: string }[];
    assert.deepEqual(rows.map((r) => [r.version, r.name]), MIGRATIONS.map((m) => [m.version, m.name]));
    assert.ok(rows.every((r) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(r.applied_at)));
    assert.equal(s.schemaVersion(), Math.max(...MIGRATIONS.map((m) => m.version)));
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(s.db.pragma('synchronous', { simple: true }), 2); // FULL
    assert.equal(s.db.pragma('foreign_keys', { simple: true }), 1);
    // Savepoint journals in memory, not in a temp file per nested write (docs/STORAGE.md).
    assert.equal(s.db.pragma('temp_store', { simple: true }), 2); // MEMORY
    s.close();
  });

  it('does not re-apply migrations when reopened', () => {
    const file = dirs.file('b.db');
    const a = new SqliteStore({ file });
    const before = a.db.prepare('SELECT version, name, applied_at FROM schema_migrations').all();
    a.close();
    const b = new SqliteStore({ file });
    assert.deepEqual(b.db.prepare('SELECT version, name, applied_at FROM schema_migrations').all(), before);
    b.close();
  });
});
