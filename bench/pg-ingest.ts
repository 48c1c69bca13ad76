// PostgreSQL ingest benchmark (README "PostgreSQL storage"): COPY into a fresh schema of the
// database at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropped at the end.
//  1. the real Binance file ../shared/data/binance/BTCUSDT-1m-2024.csv.gz (527,040 one-minute bars)
//     through `tradewind ingest` (child process, storage postgres): first import and re-import;
//  2. the same rows, parsed beforehand, stored by PgMarketStore.insertBars alone (COPY throughput);
//  3. a seeded generated tick CSV (default 2M rows) through `tradewind ingest`: the tick COPY path,
//     first import and re-import (50,000-row batches, PgMarketStore.tickBatchSize), then the same
//     file as another symbol with --batch-size 10000 (the readers' default).
// Each CLI run also reports the CPU seconds of the ingest process (both its threads) and of the
// PostgreSQL server (every postgres process, so other clients of the server count too) and the
// rows per CPU-second of the two: comparable across runs on a shared machine, where rows per
// wall-clock second are not.
// Run: npm run bench:pg [-- tickRows [ticks]] (`ticks`: the generated ticks only, no bars)
import { spawn } from 'node:child_process';
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
import { childrenCpuSeconds, postgresCpuSeconds, processCpuSeconds } from './process-cpu.js';

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
  /** Measured here around the child process. */
  cpuSeconds: { ingest: number; postgres: number; importBackends: number };
}

/**
 * One `tradewind ingest` in a child process. Besides the CLI's figures: the CPU seconds of the
 * child, of every postgres process, and of the import's own backends alone (found in
 * pg_stat_activity by the child's application_name and sampled every 50 ms, so at most the last
 * 50 ms of a backend are missed), which other clients of a shared server do not inflate.
 */
async function ingestCli(file: string, extra: string[] = []): Promise<CliResult> {
  const appName = `tradewind-bench-${process.pid}-${(runs += 1)}`;
  const ingestCpu = childrenCpuSeconds();
  const postgresCpu = postgresCpuSeconds();
  const child = spawn(process.execPath, [bin, 'ingest', file, '--json', '--data-dir', join(tmpdir(), 'tw-bench-pg'), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TRADEWIND_STORAGE: 'postgres', DATABASE_URL: url, TRADEWIND_PG_SCHEMA: schema, PGAPPNAME: appName },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const backends = new Map<number, number>();
  let running = true;
  void exited.then(() => (running = false));
  while (running) {
    const { rows } = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, [appName]);
    for (const { pid } of rows) backends.set(pid, backends.get(pid) ?? 0);
    for (const pid of backends.keys()) {
      const cpu = processCpuSeconds(pid);
      if (cpu !== null) backends.set(pid, cpu);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const code = await exited;
  if (code !== 0) throw new Error(`ingest failed: ${err}`);
  const cpuSeconds = {
    ingest: round2(childrenCpuSeconds() - ingestCpu),
    postgres: round2(postgresCpuSeconds() - postgresCpu),
    importBackends: round2([...backends.values()].reduce((a, b) => a + b, 0)),
  };
  return { ...(JSON.parse(out) as Omit<CliResult, 'cpuSeconds'>), cpuSeconds };
}
let runs = 0;

const round2 = (v: number) => Number(v.toFixed(2));

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
const ticksOnly = process.argv[3] === 'ticks';
const loadBefore = Number(loadavg()[0]?.toFixed(2));
const admin = new pg.Client({ connectionString: url });
await admin.connect();
try {
  const server = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
  const real = ticksOnly ? null : { first: await ingestCli(realFile), again: await ingestCli(realFile) };
  const copy = ticksOnly ? null : await copyOnly(realFile);
  const csv = join(tmpdir(), `tradewind-bench-ticks-${tickRows}.csv`);
  if (!existsSync(csv)) await generateTicks(csv, tickRows);
  const ticks = {
    first: await ingestCli(csv, ['--instrument', 'ES']),
    again: await ingestCli(csv, ['--instrument', 'ES']),
    small: await ingestCli(csv, ['--instrument', 'NQ', '--batch-size', '10000']),
  };
  const pick = (r: CliResult) => ({
    rows: r.totalRows,
    inserted: r.inserted,
    skipped: r.skipped,
    seconds: round2(r.durationMs / 1000),
    rowsPerSecond: r.rowsPerSecond,
    cpuSeconds: r.cpuSeconds,
    /** Rows per CPU-second of the importer and every postgres process. */
    rowsPerCpuSecond: Math.round(r.totalRows / (r.cpuSeconds.ingest + r.cpuSeconds.postgres)),
    /** The same with only the import's own PostgreSQL backends: what a shared server's other clients do not change. */
    rowsPerOwnCpuSecond: Math.round(r.totalRows / (r.cpuSeconds.ingest + r.cpuSeconds.importBackends)),
  });
  const result = {
    machine: machineInfo(),
    /** The 1-minute load average before and after: the machine is shared, and PostgreSQL competes for its two cores. */
    loadAverage: { before: loadBefore, after: Number(loadavg()[0]?.toFixed(2)) },
    postgres: server,
    realFile: real && { file: 'BTCUSDT-1m-2024.csv.gz', import: pick(real.first), reimport: pick(real.again) },
    copyOnlyRealRows: copy,
    generatedTicks: { import: pick(ticks.first), reimport: pick(ticks.again), importBatch10k: pick(ticks.small) },
    targetTickRowsPerSecond: 500_000,
    met: ticks.first.rowsPerSecond >= 500_000,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}
