// The bridge queue as it grows: it keeps every order it ever held, so a server that has queued
// many orders must enqueue, claim, report and list as fast as a new one. Per-operation time on a
// real SQLite journal (WAL, synchronous = FULL, as the server runs it) in buckets of rows already
// held, one order at a time through its whole life (enqueue, claim, REJECTED report) plus the
// operator's two listings. Target: the last bucket within 1.5x of the first (flat).
//
//   npm run bench:bridge-queue
//
// Environment: BENCH_QUEUE_ROWS (50000), BENCH_QUEUE_BUCKETS (5).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteBridgeQueue } from '../src/adapters/store-sqlite/bridge-queue.js';
import { SqliteStore } from '../src/adapters/store-sqlite/sqlite-store.js';
import { repoRoot, tempDir } from '../test/helpers/server.js';
import { envNumber, isMain, machineInfo, round } from './common.js';

interface Bucket {
  rowsBefore: number;
  enqueueMs: number;
  claimMs: number;
  reportMs: number;
  listOpenMs: number;
  listNewestMs: number;
}

export function runBridgeQueueGrowth(log: (s: string) => void = console.log) {
  const total = Math.floor(envNumber('BENCH_QUEUE_ROWS', 50_000));
  const buckets = Math.floor(envNumber('BENCH_QUEUE_BUCKETS', 5));
  const per = Math.floor(total / buckets);
  const dir = tempDir('tw-bench-queue-');
  const store = new SqliteStore({ file: join(dir, 'journal.db') });
  const queue = new SqliteBridgeQueue(store.db);
  const rows: Bucket[] = [];
  const time = (f: () => unknown) => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  try {
    let n = 0;
    for (let b = 0; b < buckets; b += 1) {
      const sum = { enqueue: 0, claim: 0, report: 0, listOpen: 0, listNewest: 0 };
      const rowsBefore = n;
      for (let i = 0; i < per; i += 1, n += 1) {
        const id = `q-${n}`;
        sum.enqueue += time(() =>
          store.db.transaction(() => queue.enqueue({ id, accountId: 'bridge', symbol: 'ES', contract: 'MESM6', exchange: 'CME', side: 'BUY', qty: 1, kind: 'EXIT', mode: 'SCALP', env: 'DEMO', refPrice: 6000, createdAt: n })).immediate(),
        );
        let claimed: string | undefined;
        sum.claim += time(() => (claimed = queue.claim('bridge', 'bench', 10, n, 30_000).claimed[0]?.id));
        if (claimed !== id) throw new Error(`claim gave ${claimed}, expected ${id}`);
        sum.report += time(() => queue.report(id, { status: 'REJECTED', owner: 'bench' }, n, 30_000));
        if (i % 10 === 0) {
          sum.listOpen += time(() => queue.list({ accountId: 'bridge', limit: 100, openOnly: true }));
          sum.listNewest += time(() => queue.list({ accountId: 'bridge', limit: 100 }));
        }
      }
      const lists = Math.ceil(per / 10);
      const row: Bucket = {
        rowsBefore,
        enqueueMs: round(sum.enqueue / per, 3),
        claimMs: round(sum.claim / per, 3),
        reportMs: round(sum.report / per, 3),
        listOpenMs: round(sum.listOpen / lists, 3),
        listNewestMs: round(sum.listNewest / lists, 3),
      };
      rows.push(row);
      log(`${rowsBefore}-${n} rows: enqueue ${row.enqueueMs} ms, claim ${row.claimMs} ms, report ${row.reportMs} ms, list open ${row.listOpenMs} ms, list newest 100 ${row.listNewestMs} ms`);
    }
  } finally {
    store.close();
  }
  const first = rows[0] as Bucket;
  const last = rows[rows.length - 1] as Bucket;
  const growth = round((last.enqueueMs + last.claimMs + last.reportMs) / (first.enqueueMs + first.claimMs + first.reportMs), 2);
  const result = { machine: machineInfo(), rows: total, buckets: rows, growth, target: { maxGrowth: 1.5 }, flat: growth <= 1.5 };
  log('| rows already held | enqueue ms | claim ms | report ms | list open ms | list newest 100 ms |');
  log('|---|---|---|---|---|---|');
  for (const r of rows) log(`| ${r.rowsBefore.toLocaleString('en-US')} | ${r.enqueueMs} | ${r.claimMs} | ${r.reportMs} | ${r.listOpenMs} | ${r.listNewestMs} |`);
  log(`an order's enqueue + claim + report, last bucket / first: ${growth}x (target ≤ 1.5x: ${result.flat ? 'met' : 'NOT met'})`);
  const out = join(repoRoot, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'bridge-queue-growth-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (isMain(import.meta.url)) runBridgeQueueGrowth();
