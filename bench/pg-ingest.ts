// PostgreSQL ingest benchmark (README "PostgreSQL storage"): COPY into a fresh schema of the
// database at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropped at the end.
//  1. the real Binance file ../shared/data/binance/BTCUSDT-1m-2024.csv.gz (527,040 one-minute bars)
//     through `tradewind ingest` (child process, storage postgres): first import and re-import;
//  2. the same rows, parsed beforehand, stored by PgMarketStore.insertBars alone (COPY throughput);
//  3. a seeded generated tick CSV (default 2M rows) through `tradewind ingest`: the tick COPY path.
// Run: npm run bench:pg [-- tickRows]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { readBars } from '../src/adapters/importers/index.js';
import { PgMarketStore } from '../src/adapters/store-postgres/market-store.js';
import type { Bar } from '../src/core/market.js';
import { generateTicks } from './gen-ticks.js';
import { machineInfo } from './common.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'tradewind.js');
const realFile = join(root, '..', 'shared', 'data', 'binance', 'BTCUSDT-1m-2024.csv.gz');
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `tw_bench_${process.pid}`;

interface CliResult {
  totalRows: number;
  inserted: number;
  skipped: number;
  durationMs: number;
  rowsPerSecond: number;
}

function ingestCli(file: string, extra: string[] = []): CliResult {
  const r = spawnSync(process.execPath, [bin, 'ingest', file, '--json', '--data-dir', join(tmpdir(), 'tw-bench-pg'), ...extra], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    env: { ...process.env, TRADEWIND_STORAGE: 'postgres', DATABASE_URL: url, TRADEWIND_PG_SCHEMA: schema },
  });
  if (r.status !== 0) throw new Error(`ingest failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as CliResult;
}

async function copyOnly(file: string): Promise<{ rows: number; seconds: number; rowsPerSecond: number }> {
  const bars: Bar[][] = [];
  for await (const batch of readBars(file, { symbol: 'BTC/USDT' })) bars.push(batch.map((b) => ({ ...b, symbol: 'BTC/USDT-COPY' })));
  const store = await PgMarketStore.open({ url, schema });
  try {
    const started = performance.now();
    let rows = 0;
    for (const batch of bars) rows += (await store.insertBars(batch)).inserted;
    const seconds = (performance.now() - started) / 1000;
    return { rows, seconds: Number(seconds.toFixed(2)), rowsPerSecond: Math.round(rows / seconds) };
  } finally {
    await store.closeAsync();
  }
}

const tickRows = Number(process.argv[2] ?? 2_000_000);
const loadBefore = Number(loadavg()[0]?.toFixed(2));
const admin = new pg.Client({ connectionString: url });
await admin.connect();
try {
  const server = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
  const real = { first: ingestCli(realFile), again: ingestCli(realFile) };
  const copy = await copyOnly(realFile);
  const csv = join(tmpdir(), `tradewind-bench-ticks-${tickRows}.csv`);
  if (!existsSync(csv)) await generateTicks(csv, tickRows);
  const ticks = { first: ingestCli(csv, ['--instrument', 'ES']), again: ingestCli(csv, ['--instrument', 'ES']) };
  const pick = (r: CliResult) => ({ rows: r.totalRows, inserted: r.inserted, skipped: r.skipped, seconds: Number((r.durationMs / 1000).toFixed(2)), rowsPerSecond: r.rowsPerSecond });
  const result = {
    machine: machineInfo(),
    /** The 1-minute load average before and after: the machine is shared, and PostgreSQL competes for its two cores. */
    loadAverage: { before: loadBefore, after: Number(loadavg()[0]?.toFixed(2)) },
    postgres: server,
    realFile: { file: 'BTCUSDT-1m-2024.csv.gz', import: pick(real.first), reimport: pick(real.again) },
    copyOnlyRealRows: copy,
    generatedTicks: { import: pick(ticks.first), reimport: pick(ticks.again) },
    targetTickRowsPerSecond: 500_000,
    met: ticks.first.rowsPerSecond >= 500_000,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}
