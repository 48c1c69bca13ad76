// The journal's listings as the history grows: the newest orders (all, of one account, working
// only), the newest closed trades and a page of the trade history, on a real SQLite journal holding
// 10,000 then 100,000 orders and as many closed trades (3 of 4 on one account). These reads run on
// the event loop, so their time is time every other request and order waits. Target: each
// listing's 100,000-row figure within 2x of its 10,000-row one (an index walk, not a sort of the
// history).
//
//   npm run bench:journal-reads
//
// Environment: BENCH_JOURNAL_SIZES ("10000,100000").
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../src/adapters/store-sqlite/sqlite-store.js';
import { repoRoot, tempDir } from '../test/helpers/server.js';
import { isMain, machineInfo, round } from './common.js';

const READS: [string, (s: SqliteStore) => unknown][] = [
  ['newest 50 orders', (s) => s.listOrders({ limit: 50 })],
  ['newest 50 orders of an account', (s) => s.listOrders({ accountId: 'paper', limit: 50 })],
  ['working orders of an account', (s) => s.listOrders({ accountId: 'paper', limit: 50, openOnly: true })],
  ['newest 50 closed trades', (s) => s.recentTrades(50)],
  ['newest 50 closed trades of an account', (s) => s.recentTrades(50, 'paper')],
  ['trade history page (account, 50)', (s) => s.tradeHistory({ accountId: 'paper', limit: 50, offset: 0 })],
];

function journalOf(rows: number, file: string): SqliteStore {
  const store = new SqliteStore({ file });
  const db = store.db;
  db.pragma('foreign_keys = OFF');
  const order = db.prepare(`INSERT INTO orders (id, seq, account_id, symbol, status, created_at, updated_at, data) VALUES (?, ?, ?, 'ES', ?, ?, ?, ?)`);
  const trade = db.prepare(`INSERT INTO closed_trades (id, seq, position_id, account_id, symbol, closed_at, net_pnl, data) VALUES (?, ?, ?, ?, 'ES', ?, 0, ?)`);
  const pad = 'x'.repeat(400); // about the size of a real order's JSON
  db.transaction(() => {
    for (let i = 1; i <= rows; i += 1) {
      const account = i % 4 === 0 ? 'other' : 'paper';
      const status = i % 1000 === 0 ? 'accepted' : 'filled';
      order.run(`o${i}`, i, account, status, i, i, JSON.stringify({ id: `o${i}`, accountId: account, status, pad }));
      trade.run(`t${i}`, i, `p${i}`, account, i, JSON.stringify({ id: `t${i}`, accountId: account, pad }));
    }
  })();
  db.pragma('foreign_keys = ON');
  return store;
}

export function runJournalReads(log: (s: string) => void = console.log) {
  const sizes = (process.env.BENCH_JOURNAL_SIZES ?? '10000,100000').split(',').map(Number);
  const dir = tempDir('tw-bench-journal-');
  const byRead = new Map<string, number[]>();
  for (const rows of sizes) {
    const store = journalOf(rows, join(dir, `journal-${rows}.db`));
    try {
      for (const [name, read] of READS) {
        read(store);
        const t0 = performance.now();
        for (let i = 0; i < 50; i += 1) read(store);
        const ms = round((performance.now() - t0) / 50, 3);
        byRead.set(name, [...(byRead.get(name) ?? []), ms]);
        log(`${rows} rows: ${name} ${ms} ms`);
      }
    } finally {
      store.close();
    }
  }
  log(`| read | ${sizes.map((n) => `${n.toLocaleString('en-US')} rows, ms`).join(' | ')} |`);
  log(`|---|${sizes.map(() => '---').join('|')}|`);
  for (const [name, ms] of byRead) log(`| ${name} | ${ms.join(' | ')} |`);
  // The trade history page also counts the matching trades (its `total`), which grows with them,
  // so the target is the listings'.
  const listings = [...byRead].filter(([name]) => !name.startsWith('trade history'));
  const worst = Math.max(...listings.map(([, ms]) => (ms[ms.length - 1] as number) / Math.max(ms[0] as number, 0.001)));
  log(`listings, largest growth from the smallest to the largest journal: ${round(worst, 2)}x (target ≤ 2x: ${worst <= 2 ? 'met' : 'NOT met'})`);
  const result = { machine: machineInfo(), sizes, reads: Object.fromEntries(byRead), worstGrowth: round(worst, 2) };
  const out = join(repoRoot, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'journal-reads-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (isMain(import.meta.url)) runJournalReads();
