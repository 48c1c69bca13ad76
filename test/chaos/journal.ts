// Read-only views of a Tradewind data directory for the chaos audit: the journal (orders, fills,
// positions, bots) read in ONE read transaction, so it is a single consistent snapshot even while
// the server writes.
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface JournalOrder { id: string; accountId: string; botId: string; symbol: string; side: 'buy' | 'sell'; type: string; qty: number; filledQty: number; status: string; stopPrice: number | null }
export interface JournalFill { id: string; orderId: string; accountId: string; symbol: string; side: 'buy' | 'sell'; qty: number }
export interface JournalPosition { id: string; accountId: string; symbol: string; side: 'long' | 'short'; qty: number; stopPrice: number | null }
export interface JournalBot { id: string; kind: string; accountId: string; status: string }

export interface JournalSnapshot {
  orders: Map<string, JournalOrder>;
  fills: JournalFill[];
  openPositions: JournalPosition[];
  bots: JournalBot[];
  /** quick_check's answer: 'ok' for a sound file. */
  integrity: string;
}

export function readJournal(dataDir: string): JournalSnapshot {
  const db = new Database(join(dataDir, 'tradewind.db'), { readonly: true, fileMustExist: true });
  try {
    return db.transaction(() => {
      const rows = <T>(sql: string) => (db.prepare(sql).all() as { data: string }[]).map((r) => JSON.parse(r.data) as T);
      const orders = new Map<string, JournalOrder>();
      for (const o of rows<JournalOrder>('SELECT data FROM orders')) orders.set(o.id, o);
      const bots = db.prepare('SELECT id, kind, account_id AS accountId, status FROM bots').all() as JournalBot[];
      return {
        orders,
        fills: rows<JournalFill>('SELECT data FROM fills'),
        openPositions: rows<JournalPosition>('SELECT data FROM positions WHERE open = 1'),
        bots,
        integrity: String((db.prepare('PRAGMA quick_check').get() as { quick_check: string }).quick_check),
      };
    })();
  } finally {
    db.close();
  }
}

const signed = (side: string, qty: number) => (side === 'buy' || side === 'long' ? qty : -qty);
const key = (account: string, symbol: string) => `${account} ${symbol}`;

/** Net signed quantity per "account symbol" from the fills, and from the open positions. */
export function netQuantities(j: JournalSnapshot): { fromFills: Map<string, number>; fromPositions: Map<string, number> } {
  const fromFills = new Map<string, number>();
  for (const f of j.fills) fromFills.set(key(f.accountId, f.symbol), (fromFills.get(key(f.accountId, f.symbol)) ?? 0) + signed(f.side, f.qty));
  const fromPositions = new Map<string, number>();
  for (const p of j.openPositions) fromPositions.set(key(p.accountId, p.symbol), (fromPositions.get(key(p.accountId, p.symbol)) ?? 0) + signed(p.side, p.qty));
  return { fromFills, fromPositions };
}
