// Ingest benchmark: a seeded 10M-row tick CSV (generated once into a temp dir, never committed)
// imported through `tradewind ingest` (the CLI code path) with duplicate skipping on, in a child
// process so its peak memory (VmHWM) is measured alone. Run: node dist/bench/ingest.js [rows]
// BENCH_CPU_PROF_DIR=dir also writes V8 CPU profiles of the child (one per thread: the writer and
// the tick parser worker) into dir, for `node --cpu-prof` style analysis.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateTicks } from './gen-ticks.js';

export interface IngestBenchResult {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number | null;
  inserted: number;
  skipped: number;
  /** Re-import of the same file: every row a duplicate. */
  reimportRowsPerSecond: number;
  targetRowsPerSecond: number;
  targetPeakRssMb: number;
  met: boolean;
}

const bin = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'bin', 'tradewind.js');

/**
 * `options.csv`: where the generated file is (made when missing; default: a file per row count in
 * the temp dir, kept for the next run). `options.reimport: false` skips the second import.
 */
export async function runIngestBench(rows = 10_000_000, options: { csv?: string; reimport?: boolean } = {}): Promise<IngestBenchResult> {
  const csv = options.csv ?? join(tmpdir(), `tradewind-bench-ticks-${rows}.csv`);
  if (!existsSync(csv)) await generateTicks(csv, rows);
  const dataDir = mkdtempSync(join(tmpdir(), 'tw-bench-ingest-'));
  const run = () => {
    const prof = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF_DIR] : [];
    const r = spawnSync(process.execPath, [...prof, bin, 'ingest', csv, '--instrument', 'ES', '--json', '--data-dir', dataDir], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`ingest failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as { totalRows: number; inserted: number; skipped: number; durationMs: number; rowsPerSecond: number; peakRssMb: number | null };
  };
  try {
    const first = run();
    const again = options.reimport === false ? null : run();
    const result = {
      rows: first.totalRows,
      seconds: Number((first.durationMs / 1000).toFixed(2)),
      rowsPerSecond: first.rowsPerSecond,
      peakRssMb: Math.max(first.peakRssMb ?? 0, again?.peakRssMb ?? 0) || null,
      inserted: first.inserted,
      skipped: again?.skipped ?? 0,
      reimportRowsPerSecond: again?.rowsPerSecond ?? 0,
      targetRowsPerSecond: 1_000_000,
      targetPeakRssMb: 300,
      met: false,
    };
    result.met = result.rowsPerSecond >= result.targetRowsPerSecond && (result.peakRssMb ?? 0) < result.targetPeakRssMb;
    return result;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = Number(process.argv[2] ?? 10_000_000);
  process.stdout.write(`${JSON.stringify(await runIngestBench(rows), null, 2)}\n`);
}
