import type pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { TickColumnBatch } from '../store-sqlite/market-store.js';
import { encodeTickCopy } from './copy-binary.js';

const COLUMNS = 'sym, ts, price, size, n, seq, trades';
/** The tick's identity (src/core/market-data.ts): symbol, ts, price, size, n. */
const SAME_TICK = 't.ts = s.ts AND t.price = s.price AND t.size = s.size AND t.n = s.n';

/**
 * Writes one symbol's batch of ticks inside the caller's open transaction and returns how many
 * rows are new. `ticks` has no unique index (a B-tree over five columns cost more than the rest
 * of the COPY together, docs/STORAGE.md); duplicates are found here instead, exactly:
 *
 * - a transaction-scoped advisory lock per symbol: writers of one symbol take turns, so what this
 *   transaction reads below cannot change until it commits;
 * - `tick_spans` holds the first and last timestamp and the row count of every batch stored. No
 *   span overlaps the batch's time range: the COPY goes straight into `ticks`. Spans that only
 *   touch its first or last timestamp (the next batch of the same file often starts in the
 *   millisecond the previous one ended): the stored rows at those timestamps are compared here.
 *   Otherwise (a re-import, an overlapping file) the batch is copied into a temporary staging
 *   table and inserted with an anti-join over the batch's time range;
 * - the batch's span is recorded in the same transaction, so a killed import leaves rows and
 *   spans in agreement.
 */
export async function writeTickBatch(client: pg.ClientBase, sym: number, cols: TickColumnBatch, skip: boolean, staging: StagingTable): Promise<number> {
  const { length, ts } = cols;
  if (length === 0) return 0;
  let min = Infinity;
  let max = -Infinity;
  let sorted = true;
  for (let i = 0; i < length; i++) {
    // As the COPY stores it (copy-binary.ts writes whole milliseconds).
    const t = Math.floor(ts[i] as number);
    if (t < min) min = t;
    if (t > max) max = t;
    if (i > 0 && (ts[i] as number) < (ts[i - 1] as number)) sorted = false;
  }
  // One round trip: the lock, then (a statement of its own, so it sees what the lock waited for) the spans.
  const results = (await client.query(
    `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.ticks'), ${int(sym)});
     SELECT bool_or(last_ts > ${int(min)} AND first_ts < ${int(max)}) AS inner, count(*)::int AS touching FROM tick_spans WHERE sym = ${int(sym)} AND last_ts >= ${int(min)} AND first_ts <= ${int(max)}`,
  )) as unknown as pg.QueryResult<{ inner: boolean | null; touching: number }>[];
  const overlap = results[1]?.rows[0];
  const data = encodeTickCopy(sym, cols, staging.buffer);
  if (data.length > (staging.buffer?.length ?? 0)) staging.buffer = data;
  let inserted: number;
  // An unsorted batch may hold one identity twice (the numbering restarts when a timestamp comes back): the merge keeps the first.
  const direct = sorted && (!overlap || overlap.touching === 0 || (overlap.inner !== true && !(await collidesAtEdges(client, sym, cols, min, max))));
  if (direct) {
    await copy(client, `COPY ticks (${COLUMNS}) FROM STDIN (FORMAT binary)`, data);
    inserted = length;
  } else {
    inserted = await merge(client, sym, data, { min, max, sorted }, skip, staging);
  }
  if (inserted > 0) await client.query(`INSERT INTO tick_spans (sym, first_ts, last_ts, rows) VALUES ($1, $2, $3, $4)`, [sym, min, max, inserted]);
  return skip ? inserted : length;
}

/** A safe integer as SQL text (the values above are ids and millisecond timestamps). */
function int(v: number): string {
  if (!Number.isSafeInteger(v)) throw new Error(`not an integer: ${v}`);
  return String(v);
}

/** Does a stored row share its identity with a row of the batch at its first or last timestamp? */
async function collidesAtEdges(client: pg.ClientBase, sym: number, cols: TickColumnBatch, min: number, max: number): Promise<boolean> {
  const stored = await client.query<{ ts: number; price: number; size: number; n: number }>(`SELECT ts, price, size, n FROM ticks WHERE sym = $1 AND ts >= $2 AND ts <= $3 AND (ts = $2 OR ts = $3)`, [sym, min, max]);
  if (stored.rows.length === 0) return false;
  const keys = new Set(stored.rows.map((r) => `${r.ts}|${r.price}|${r.size}|${r.n}`));
  for (let i = 0; i < cols.length; i++) {
    const t = Math.floor(cols.ts[i] as number);
    if ((t === min || t === max) && keys.has(`${t}|${cols.price[i] as number}|${cols.size[i] as number}|${cols.n[i] as number}`)) return true;
  }
  return false;
}

/** The batch through the staging table: rows already stored are skipped, or overwritten when `skip` is false. Returns the rows inserted. */
async function merge(client: pg.ClientBase, sym: number, data: Buffer, batch: { min: number; max: number; sorted: boolean }, skip: boolean, staging: StagingTable): Promise<number> {
  const { min, max } = batch;
  const stage = await staging.ready(client);
  await copy(client, `COPY ${stage} (${COLUMNS}) FROM STDIN (FORMAT binary)`, data);
  // The staging table has no statistics; a nested loop would scan the stored range once per row.
  await client.query('SET LOCAL enable_nestloop = off');
  const stored = `SELECT 1 FROM ticks t WHERE t.sym = $1 AND t.ts >= $2 AND t.ts <= $3 AND ${SAME_TICK}`;
  if (!skip) {
    await client.query(`UPDATE ticks t SET seq = s.seq, trades = s.trades FROM ${stage} s WHERE t.sym = $1 AND t.ts >= $2 AND t.ts <= $3 AND ${SAME_TICK}`, [sym, min, max]);
  }
  const added = await client.query(
    `INSERT INTO ticks (${COLUMNS}) SELECT ${COLUMNS} FROM ${batch.sorted ? stage : `(SELECT DISTINCT ON (ts, price, size, n) * FROM ${stage} ORDER BY ts, price, size, n, ctid)`} s WHERE NOT EXISTS (${stored})`,
    [sym, min, max],
  );
  return added.rowCount ?? 0;
}

/** One binary COPY of `data` (already encoded, copy-binary.ts). */
export async function copy(client: pg.ClientBase, sql: string, data: Buffer): Promise<void> {
  await pipeline(Readable.from([data]), client.query(copyFrom(sql)));
}

/** Per connection: a temporary staging table like `table` (ticks, bars), created on first use and emptied for each batch, and the encoding buffer. */
export class StagingTable {
  private created = false;
  readonly name: string;
  /** The COPY bytes of the last batch, reused for the next one (the connection runs one batch at a time). */
  buffer: Buffer | undefined;

  constructor(private readonly table: string) {
    this.name = `${table}_stage`;
  }

  async ready(client: pg.ClientBase): Promise<string> {
    if (!this.created) {
      await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${this.name} (LIKE ${this.table}) ON COMMIT DELETE ROWS`);
      this.created = true;
    }
    await client.query(`TRUNCATE ${this.name}`);
    return this.name;
  }
}

/** Pages per BRIN range of ticks_sym_ts_brin (migration 2). */
const PAGES_PER_RANGE = 32;

/**
 * Summarizes the BRIN index's complete page ranges from block `from` on (those the last batches
 * filled; a range already summarized is left as is) and returns where the next call starts.
 * Until a range is summarized a query reads its pages whole; a summary is never wrong, only
 * missing. The range still being filled is left alone: once summarized, every row inserted into
 * it would rewrite its summary. Runs after the batch committed; it needs a lock VACUUM also
 * takes, and when another session holds it, waits a moment at most and leaves the ranges to the
 * next call or to VACUUM.
 */
export async function summarizeTicks(client: pg.ClientBase, from: number): Promise<number> {
  try {
    const results = (await client.query(
      `BEGIN; SET LOCAL lock_timeout = '20ms';
       SELECT coalesce(max(b), ${int(from - PAGES_PER_RANGE)}) + ${PAGES_PER_RANGE} AS next, count(brin_summarize_range('ticks_sym_ts_brin', b)) FROM generate_series(${int(from)}, pg_relation_size('ticks') / current_setting('block_size')::int - ${PAGES_PER_RANGE}, ${PAGES_PER_RANGE}) b;
       COMMIT`,
    )) as unknown as pg.QueryResult<{ next: number }>[];
    return Number(results[2]?.rows[0]?.next ?? from);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
    return from;
  }
}
const LOCK_NOT_AVAILABLE = '55P03';
