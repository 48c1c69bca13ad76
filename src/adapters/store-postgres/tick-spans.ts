import type pg from 'pg';

/** A stored batch of one symbol's ticks: its first and last timestamp and the rows it added. */
export interface TickSpan {
  first: number;
  last: number;
  rows: number;
}

/** The spans of a symbol reaching into [from, to), by first timestamp. */
export async function loadSpans(client: pg.ClientBase, sym: number, from: number, to: number): Promise<TickSpan[]> {
  const { rows } = await client.query<TickSpan>(
    `SELECT first_ts AS first, last_ts AS last, rows FROM tick_spans WHERE sym = $1 AND last_ts >= $2 AND first_ts < $3 ORDER BY first_ts, last_ts`,
    [sym, from, to],
  );
  return rows;
}

/**
 * Where a read window starting at `from` should end so that it holds about `rows` ticks: the
 * `ticks` table has a BRIN index, not a B-tree, so a query over [from, to) with a LIMIT would
 * still visit every page up to `to`. Reading window by window keeps each query proportional to
 * what it returns. Never less than from + 1; Infinity when the spans after `from` hold fewer rows.
 */
export function windowEnd(spans: readonly TickSpan[], from: number, rows: number): number {
  let count = 0;
  let end = from + 1;
  for (const s of spans) {
    if (s.last < from) continue;
    count += s.rows;
    end = Math.max(end, s.last + 1);
    if (count >= rows) return end;
  }
  return Infinity;
}
