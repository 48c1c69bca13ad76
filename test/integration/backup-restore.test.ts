import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, openSync, readdirSync, writeSync, closeSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { fastConfig, getJson, repoRoot, startServer, tempDir, waitFor } from '../helpers/server.js';

type Row = Record<string, unknown>;
const run = promisify(execFile);

/** `tradewind ARGS`: exit code, stdout and stderr (a non-zero exit is an answer, not an error). */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'bin', 'tradewind.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, DATA_DIR: '', TRADEWIND_CONFIG: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

interface Table {
  /** Columns identifying a row: the primary key, or the rowid. */
  key: string[];
  rows: Map<string, Row>;
}

/** Every table of a database file, read-only, each row keyed by its primary key. */
function readTables(file: string): Map<string, Table> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    const out = new Map<string, Table>();
    for (const name of names) {
      const cols = db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string; pk: number }[];
      const pk = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
      const withoutRowid = (db.prepare(`SELECT sql FROM sqlite_master WHERE name = ?`).get(name) as { sql: string }).sql.includes('WITHOUT ROWID');
      const key = pk.length > 0 ? pk : ['rowid'];
      const select = key[0] === 'rowid' && !withoutRowid ? `SELECT rowid, * FROM "${name}"` : `SELECT * FROM "${name}"`;
      const rows = new Map<string, Row>();
      for (const r of db.prepare(select).all() as Row[]) rows.set(JSON.stringify(key.map((k) => r[k])), r);
      out.set(name, { key, rows });
    }
    return out;
  } finally {
    db.close();
  }
}

const count = (tables: Map<string, Table>, name: string): number => tables.get(name)?.rows.size ?? 0;

/**
 * Tables whose rows never change once written: a backup's rows are the original's, byte for byte.
 * The others (orders, positions, accounts ...) are updated in place, so the original later holds
 * the same keys with newer values.
 */
const APPEND_ONLY = new Set(['schema_migrations', 'fills', 'closed_trades', 'events', 'account_snapshots', 'bridge_reports', 'bridge_pnl_snapshots']);

describe('backup and restore', () => {
  it('a backup taken while the server trades restores into a new data directory with every table equal, and a server runs on it', async () => {
    const dir = tempDir('tw-backup-');
    const originalDir = join(dir, 'original');
    const restoredDir = join(dir, 'restored');
    const backupFile = join(dir, 'tradewind-backup.db');
    const server = await startServer({ dataDir: originalDir, config: fastConfig(dir) });
    let backupOutput: string;
    try {
      // Trading history: closed trades (orders, fills, positions), events and snapshots.
      await waitFor(
        'fills on the original server',
        async () => ((await getJson<Row[]>(`${server.url}/api/trades`)).body.length >= 10 ? true : undefined),
        90_000,
      );
      // The backup runs while the server keeps trading and writing.
      const backup = await cli(['backup', backupFile, '--data-dir', originalDir]);
      assert.equal(backup.code, 0, backup.stderr);
      backupOutput = backup.stdout;
      const again = await cli(['backup', backupFile, '--data-dir', originalDir]);
      assert.equal(again.code, 1, 'an existing backup file is not overwritten without --force');
      assert.match(again.stderr, /exists: pass --force/);
      // Still trading after the backup: the server was not disturbed.
      const before = (await getJson<Row[]>(`${server.url}/api/trades`)).body.length;
      await waitFor('a trade after the backup', async () => ((await getJson<Row[]>(`${server.url}/api/trades`)).body.length > before ? true : undefined), 90_000);
    } finally {
      await server.stop();
    }
    assert.match(backupOutput, /journal, schema version \d+, \d+ bytes, integrity ok/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('tradewind-backup')), ['tradewind-backup.db'], 'one self-contained file, no WAL beside it');

    const backup = readTables(backupFile);
    assert.ok(count(backup, 'fills') >= 10 && count(backup, 'closed_trades') >= 1 && count(backup, 'orders') >= 10, 'the backup holds the trading history');
    assert.ok(count(backup, 'events') > 0 && count(backup, 'accounts') >= 1);

    // The backup is a consistent snapshot of the original: every row it holds is the original's.
    const original = readTables(join(originalDir, 'tradewind.db'));
    assert.deepEqual([...backup.keys()], [...original.keys()], 'same tables');
    for (const [name, table] of backup) {
      const now = original.get(name) as Table;
      for (const [key, row] of table.rows) {
        assert.ok(now.rows.has(key), `${name} ${key} of the backup is in the original`);
        if (APPEND_ONLY.has(name)) assert.deepEqual(now.rows.get(key), row, `${name} ${key} unchanged`);
      }
    }
    // Inside the snapshot, money adds up: the account's fees are its fills' fees (the demo bot trades its own `demo` account).
    const demo = [...(backup.get('accounts') as Table).rows.values()].find((r) => r.id === 'demo');
    assert.ok(demo, 'the demo account is in the backup');
    const account = JSON.parse(demo.data as string) as Row;
    const fills = [...(backup.get('fills') as Table).rows.values()].filter((r) => r.account_id === 'demo').map((r) => JSON.parse(r.data as string) as Row);
    assert.ok(fills.length >= 10, 'the demo account traded before the backup');
    assert.ok(Math.abs((account.fees as number) - fills.reduce((s, f) => s + (f.fee as number), 0)) < 1e-6, 'account fees = sum of the snapshot fills');

    // Refusals: a data directory that is not empty, a file that is not a database, a damaged one.
    const busy = await cli(['restore', backupFile, '--data-dir', originalDir]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /is not empty/);
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'not a database at all, just some text'.repeat(200));
    const notDb = await cli(['restore', garbage, '--data-dir', join(dir, 'never')]);
    assert.equal(notDb.code, 1);
    assert.match(notDb.stderr, /not a usable SQLite database|cannot be opened/);
    assert.equal(existsSync(join(dir, 'never')), false, 'nothing created for a refused restore');
    const damaged = join(dir, 'damaged.db');
    copyFileSync(backupFile, damaged);
    // Overwrite the headers of B-tree pages past the first (not the file header): the file opens,
    // its pages do not parse.
    const fd = openSync(damaged, 'r+');
    const size = statSync(damaged).size;
    const probe = new Database(damaged, { readonly: true });
    const pageSize = probe.pragma('page_size', { simple: true }) as number;
    probe.close();
    for (let at = pageSize * 2; at < size; at += pageSize * 2) writeSync(fd, Buffer.alloc(16, 0xa5), 0, 16, at);
    closeSync(fd);
    const broken = await cli(['restore', damaged, '--data-dir', join(dir, 'never')]);
    assert.equal(broken.code, 1, broken.stdout);
    assert.match(broken.stderr, /integrity check|not a usable SQLite database|malformed/);
    const wrongKind = await cli(['restore', backupFile, '--market', backupFile, '--data-dir', join(dir, 'never')]);
    assert.equal(wrongKind.code, 1);
    assert.match(wrongKind.stderr, /not a Tradewind market data store/);

    const restore = await cli(['restore', backupFile, '--data-dir', restoredDir, '--json']);
    assert.equal(restore.code, 0, restore.stderr);
    const summary = JSON.parse(restore.stdout) as { ok: boolean; databases: { tables: Record<string, number> }[] };
    assert.equal(summary.databases[0]?.tables.fills, count(backup, 'fills'));

    // Row for row: every table of the restored journal equals the backup.
    const restored = readTables(join(restoredDir, 'tradewind.db'));
    assert.deepEqual([...restored.keys()], [...backup.keys()]);
    for (const [name, table] of backup) assert.deepEqual(restored.get(name)?.rows, table.rows, `table ${name} restored row for row`);

    // A server on the restored directory serves the backup's account and trades.
    const frozen = fastConfig(restoredDir, { feed: { tickIntervalMs: 60_000 }, demoBot: { enabled: false } });
    const second = await startServer({ dataDir: restoredDir, config: frozen });
    try {
      const listed = (await getJson<{ accounts: { id: string; account: Row }[] }>(`${second.url}/api/accounts`)).body.accounts;
      const acct = listed.find((a) => a.id === 'demo')?.account ?? {};
      assert.equal(acct.balance, account.balance);
      assert.equal(acct.fees, account.fees);
      const trades = (await getJson<Row[]>(`${second.url}/api/trades`)).body;
      const recent = fills.sort((a, b) => (a.ts as number) - (b.ts as number)).slice(-50);
      assert.deepEqual(new Set(trades.map((t) => t.fill_id)), new Set(recent.map((f) => f.id)), 'the restored server lists the backup fills');
    } finally {
      await second.stop();
    }
    // Running on it appended (events, snapshots) but changed no history.
    const after = readTables(join(restoredDir, 'tradewind.db'));
    for (const name of APPEND_ONLY) {
      const rows = backup.get(name)?.rows ?? new Map();
      for (const [key, row] of rows) assert.deepEqual(after.get(name)?.rows.get(key), row, `${name} ${key} kept by the restored server`);
    }
  });
});
