import type pg from 'pg';
import { runAsWorker } from 'synckit';
import { connectPg, migratePg } from './connect.js';
import type { Request, Response, Step, StepResult } from './sync-protocol.js';

interface Conn {
  client: pg.Client;
  url: string;
  schema: string;
  settings: Record<string, string>;
  /** Set when the server dropped the connection; the next call outside a transaction reconnects. */
  broken: Error | null;
  /** Transactions opened by `BEGIN` steps and not yet ended (a lost connection inside one fails the call). */
  inTx: boolean;
}

/**
 * The thread that owns the PostgreSQL connections of the synchronous journal (PgStore). The
 * main thread blocks on each call until this thread answers (synckit: Atomics.wait on a shared
 * buffer), so a journal write has committed in PostgreSQL before the kernel's call returns.
 */
class ConnectionTable {
  private readonly conns = new Map<number, Conn>();
  private nextHandle = 1;

  async handle(req: Request): Promise<Response> {
    switch (req.op) {
      case 'open': {
        const client = await connectPg({ url: req.url, schema: req.schema }, req.settings);
        try {
          await migratePg(client, req.migrations, req.migrationTable);
        } catch (error) {
          await client.end().catch(() => {});
          throw error;
        }
        const handle = this.nextHandle++;
        const conn: Conn = { client, url: req.url, schema: req.schema, settings: req.settings, broken: null, inTx: false };
        this.watch(conn);
        this.conns.set(handle, conn);
        return { handle };
      }
      case 'exec':
        return this.exec(this.get(req.handle), req.steps, req.frame);
      case 'close': {
        const conn = this.conns.get(req.handle);
        this.conns.delete(req.handle);
        if (conn) await conn.client.end().catch(() => {});
        return { closed: true };
      }
    }
  }

  private get(handle: number): Conn {
    const conn = this.conns.get(handle);
    if (!conn) throw new Error('PostgreSQL connection is closed');
    return conn;
  }

  private watch(conn: Conn): void {
    conn.client.on('error', (error) => {
      conn.broken = error;
    });
  }

  private async exec(conn: Conn, steps: readonly Step[], frame: 'none' | 'tx' | 'savepoint'): Promise<Response> {
    if (conn.broken) {
      if (conn.inTx) throw new Error(`PostgreSQL connection lost inside a transaction: ${conn.broken.message}`);
      await conn.client.end().catch(() => {});
      conn.client = await connectPg({ url: conn.url, schema: conn.schema }, conn.settings);
      conn.broken = null;
      this.watch(conn);
    }
    const q = (sql: string) => conn.client.query(sql);
    if (frame === 'tx') await q('BEGIN');
    if (frame === 'savepoint') await q('SAVEPOINT tw_batch');
    const results: StepResult[] = [];
    let stopped = false;
    try {
      for (const s of steps) {
        const r = await conn.client.query({ text: s.sql, values: s.params as unknown[] | undefined });
        results.push({ rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount ?? 0 });
        if (s.sql === 'BEGIN') conn.inTx = true;
        if (s.sql === 'COMMIT' || s.sql === 'ROLLBACK') conn.inTx = false;
        // PostgreSQL answers COMMIT of a transaction a failed statement aborted with ROLLBACK, not an error.
        if (s.sql === 'COMMIT' && r.command === 'ROLLBACK') throw new Error('transaction rolled back: a statement in it had failed');
        if (s.stopIfNone && (r.rowCount ?? 0) === 0) {
          stopped = true;
          break;
        }
      }
      if (frame === 'tx') await q('COMMIT');
      if (frame === 'savepoint') await q('RELEASE SAVEPOINT tw_batch');
    } catch (error) {
      if (frame === 'tx') await q('ROLLBACK').catch(() => {});
      if (frame === 'savepoint') await q('ROLLBACK TO SAVEPOINT tw_batch').then(() => q('RELEASE SAVEPOINT tw_batch')).catch(() => {});
      throw error;
    }
    return { results, stopped };
  }
}

// The worker's entry point (its composition root): one table for the thread's lifetime.
const table = new ConnectionTable();
runAsWorker((req: Request) => table.handle(req));
