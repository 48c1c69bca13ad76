import { fileURLToPath } from 'node:url';
import { createSyncFn } from 'synckit';
import type { Migration } from '../store-sqlite/migrations.js';
import { schemaOf, type PgTarget } from './connect.js';
import type { Frame, Request, Response, Step, StepResult } from './sync-protocol.js';
import { distFile } from '../../core/dist-files.js';

/** How long a call may block before it fails (statement and lock timeouts on the server are shorter, so this is the last resort). */
const CALL_TIMEOUT_MS = 60_000;
/** Server-side limits: a statement or a row lock that takes longer fails instead of blocking the kernel. */
const SESSION_SETTINGS = { statement_timeout: '20s', lock_timeout: '10s', idle_in_transaction_session_timeout: '60s' };

type Call = (req: Request) => Response;

/**
 * A synchronous PostgreSQL connection for the trading journal: each call blocks the calling
 * thread until the connection thread (pg-worker.ts) has the answer, as better-sqlite3 blocks on
 * its fsync. Written to match the TradingStore contract exactly: a write has committed when the
 * call returns, a write that throws changed nothing.
 *
 * Why not the `pg` client on this thread: its calls return promises, and the kernel's journal
 * port is synchronous by design (commit before apply; see docs/STORAGE.md). synckit provides the
 * blocking call (Atomics.wait on a SharedArrayBuffer plus receiveMessageOnPort).
 */
export class SyncPg {
  private readonly call: Call;
  private readonly handle: number;
  private depth = 0;
  private closed = false;

  constructor(target: PgTarget, migrations: readonly Migration[], migrationTable: string) {
    this.call = createSyncFn(fileURLToPath(distFile('adapters/store-postgres/pg-worker.js')), { timeout: CALL_TIMEOUT_MS }) as Call;
    const r = this.call({ op: 'open', url: target.url, schema: schemaOf(target), migrations, migrationTable, settings: SESSION_SETTINGS });
    this.handle = (r as { handle: number }).handle;
  }

  /** True while atomically() has a transaction open (nothing written in it is durable yet). */
  get inTransaction(): boolean {
    return this.depth > 0;
  }

  /** Rows of one statement (a read, or a write whose RETURNING rows are wanted). */
  rows<T>(sql: string, params: readonly unknown[] = []): T[] {
    return this.exec([{ sql, params }], 'none').results[0]?.rows as T[];
  }

  /** One write; returns the number of rows it changed. Inside a transaction it is a savepoint of it (a failure leaves the transaction usable). */
  run(sql: string, params: readonly unknown[] = []): number {
    return this.exec([{ sql, params }], this.depth > 0 ? 'savepoint' : 'none').results[0]?.rowCount ?? 0;
  }

  /** Several statements in one round trip, all or nothing: their own transaction, or a savepoint of the open one. */
  batch(steps: readonly Step[]): { results: StepResult[]; stopped: boolean } {
    return this.exec(steps, this.depth > 0 ? 'savepoint' : 'tx');
  }

  /**
   * Runs `fn` in one transaction; nested calls are savepoints (an inner failure undoes only the
   * inner writes), as better-sqlite3's transactions. The COMMIT has returned before this does.
   */
  atomically<T>(fn: () => T): T {
    const outer = this.depth === 0;
    const name = `tw_sp${this.depth}`;
    this.exec([{ sql: outer ? 'BEGIN' : `SAVEPOINT ${name}` }], 'none');
    this.depth++;
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.depth--;
      try {
        this.exec(outer ? [{ sql: 'ROLLBACK' }] : [{ sql: `ROLLBACK TO SAVEPOINT ${name}` }, { sql: `RELEASE SAVEPOINT ${name}` }], 'none');
      } catch {
        // The connection is gone: the server rolls the transaction back itself.
      }
      throw error;
    }
    this.depth--;
    try {
      this.exec([{ sql: outer ? 'COMMIT' : `RELEASE SAVEPOINT ${name}` }], 'none');
    } catch (error) {
      if (outer) {
        try {
          this.exec([{ sql: 'ROLLBACK' }], 'none');
        } catch {
          // as above
        }
      }
      throw error;
    }
    return result;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.call({ op: 'close', handle: this.handle });
  }

  private exec(steps: readonly Step[], frame: Frame): { results: StepResult[]; stopped: boolean } {
    if (this.closed) throw new Error('PostgreSQL store is closed');
    return this.call({ op: 'exec', handle: this.handle, steps, frame }) as { results: StepResult[]; stopped: boolean };
  }
}
