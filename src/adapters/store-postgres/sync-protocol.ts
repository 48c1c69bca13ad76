import type { Migration } from '../store-sqlite/migrations.js';

/** One statement of a batch sent to the connection thread. */
export interface Step {
  sql: string;
  params?: readonly unknown[];
  /** When this statement changes no row, the rest of the batch is skipped (an INSERT ... ON CONFLICT DO NOTHING that found the key). */
  stopIfNone?: boolean;
}

export interface StepResult {
  rows: Record<string, unknown>[];
  rowCount: number;
}

/**
 * How a batch is framed: `none` runs in whatever transaction is open (or autocommits each
 * statement); `tx` is BEGIN ... COMMIT around it; `savepoint` a SAVEPOINT inside the open
 * transaction, so a failure undoes only this batch.
 */
export type Frame = 'none' | 'tx' | 'savepoint';

export type Request =
  | { op: 'open'; url: string; schema: string; migrations: readonly Migration[]; migrationTable: string; settings: Record<string, string> }
  | { op: 'exec'; handle: number; steps: readonly Step[]; frame: Frame }
  | { op: 'close'; handle: number };

export type Response = { handle: number } | { results: StepResult[]; stopped: boolean } | { closed: true };
