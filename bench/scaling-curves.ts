// Scaling curves (how the cost grows with the size of the work), as tables and SVG charts:
//   bars:   the SMA 10/30 crossover example (`tradewind backtest ... --long-only --fee 0`) as a
//           process over 1 month, 1 year and 5 years of minute bars (the real 2024 file repeated,
//           times shifted), cold (first run on the raw file) and warm (columnar cache built);
//   ingest: `tradewind ingest` of 1M, 10M and 50M generated ticks (time and peak RSS, VmHWM);
//   ws:     WebSocket fan-out delay p50/p99 with 200, 1,000 and 5,000 clients on one server.
// Each curve gets a growth exponent: the least-squares slope of log(cost) against log(size)
// (1 = linear, below 1 = better than linear).
//
//   npm run bench:curves                 all three (also part of `npm run bench`)
//   node dist/bench/scaling-curves.js bars ingest ws      any subset
//   node dist/bench/scaling-curves.js render              redraw charts and tables from the JSON
//
// Writes docs/bench/scaling-<curve>.json, scaling-*.svg and scaling-curves.md (the tables of
// every curve whose JSON is there, so curves can be rerun one at a time).
// Environment: CURVES_QUICK=1 (tiny sizes, seconds), CURVES_OUT_DIR (docs/bench), CURVES_BARS,
// CURVES_BAR_BASE, CURVES_TICKS, CURVES_CLIENTS (comma-separated sizes), CURVES_RUNS (best of, 1),
// CURVES_WS_COLLECT_S (20), CURVES_WS_SETTLE_S (15).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { repoRoot, tempDir } from '../test/helpers/server.js';
import { defaultBarsFile } from './backtest-bars.js';
import { envNumber, isMain, machineInfo, nowMs, round, startBenchServer, stopServer, waitForTrading, type MachineInfo } from './common.js';
import { runIngestBench } from './ingest.js';
import { readGzLines, writeRepeatedBars } from './repeat-bars.js';
import { lineChart } from './svg-chart.js';
import { measureWsFanout } from './ws-fanout.js';

export type CurveName = 'bars' | 'ingest' | 'ws';
export const CURVES: CurveName[] = ['bars', 'ingest', 'ws'];

/** What a curve's runner measures; the run adds the machine, the load and the exponents. */
export type CurveBody = Omit<CurveResult, 'machine' | 'loadStart' | 'loadEnd' | 'at' | 'quick' | 'exponents'> & { planned: number };

export interface CurveResult {
  curve: CurveName;
  title: string;
  machine: MachineInfo;
  /** 1, 5 and 15-minute load averages when the curve started and when it ended. */
  loadStart: number[];
  loadEnd: number[];
  at: string;
  quick: boolean;
  xLabel: string;
  columns: string[];
  rows: { x: number; label: string; cells: (string | number)[] }[];
  /** Series drawn and fitted: name, unit and a y per row (null where not measured). */
  series: { name: string; unit: string; chart: string; chartTitle?: string; ys: (number | null)[] }[];
  exponents: Record<string, number | null>;
  notes: string[];
}

const quick = process.env.CURVES_QUICK === '1';
const sizes = (name: string, full: number[], small: number[]): number[] => {
  const raw = process.env[name];
  if (!raw) return quick ? small : full;
  const list = raw.split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`${name} must be comma-separated positive integers, got ${raw}`);
  return list;
};
const loads = (): number[] => loadavg().map((v) => round(v, 1));

/** Least-squares slope of log(y) on log(x); null with fewer than two usable points. */
export function growthExponent(xs: number[], ys: (number | null)[]): number | null {
  const pts = xs.flatMap((x, i) => {
    const y = ys[i];
    return y !== null && y !== undefined && y > 0 && x > 0 ? [[Math.log(x), Math.log(y)] as const] : [];
  });
  if (pts.length < 2) return null;
  const mx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
  const my = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  const sxx = pts.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  const sxy = pts.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  return sxx === 0 ? null : round(sxy / sxx, 2);
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** A child process timed by /usr/bin/time: wall, CPU (user + system) and peak RSS. */
function timed(args: string[]): { wallS: number; cpuS: number | null; maxRssMb: number | null; stdout: string } {
  const out = join(tempDir('tw-curves-time-'), 'time.txt');
  const hasTime = existsSync('/usr/bin/time');
  const [cmd, argv] = hasTime ? ['/usr/bin/time', ['-f', '%U %S %M', '-o', out, process.execPath, ...args]] : [process.execPath, args];
  const t0 = nowMs();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const wallS = (nowMs() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${args.slice(0, 2).join(' ')} failed (${r.status}): ${r.stderr}`);
  let cpuS: number | null = null;
  let maxRssMb: number | null = null;
  if (hasTime) {
    const [u, s, m] = readFileSync(out, 'utf8').trim().split(/\s+/).slice(-3).map(Number);
    cpuS = round((u ?? 0) + (s ?? 0), 2);
    maxRssMb = Math.round((m ?? 0) / 1024);
  }
  rmSync(join(out, '..'), { recursive: true, force: true });
  return { wallS: round(wallS, 2), cpuS, maxRssMb, stdout: r.stdout };
}

const bin = join(repoRoot, 'bin', 'tradewind.js');

async function barsCurve(log: (s: string) => void, progress: (body: CurveBody) => void): Promise<CurveBody> {
  const YEAR = 527_040;
  const points = sizes('CURVES_BARS', [44_640, YEAR, 5 * YEAR], [1_440, 10_080, 20_160]);
  const base = Math.floor(envNumber('CURVES_BAR_BASE', quick ? 10_080 : YEAR));
  const runs = Math.floor(envNumber('CURVES_RUNS', 1));
  const dir = tempDir('tw-curves-bars-');
  const rows: CurveResult['rows'] = [];
  const cold: (number | null)[] = [];
  const warm: (number | null)[] = [];
  const kernel: (number | null)[] = [];
  const coldCpu: (number | null)[] = [];
  const warmCpu: (number | null)[] = [];
  const body: CurveBody = {
    curve: 'bars',
    title: 'Backtest time against bars (SMA 10/30 example, as a process)',
    xLabel: 'minute bars',
    columns: ['span', 'bars', 'cold s', 'cold CPU s', 'warm s', 'warm CPU s', 'kernel s', 'kernel bars/s', 'warm peak RSS MB', 'closed trades'],
    rows,
    series: [
      { name: 'cold process', unit: 's', chart: 'scaling-backtest.svg', ys: cold },
      { name: 'warm process', unit: 's', chart: 'scaling-backtest.svg', ys: warm },
      { name: 'kernel (warm)', unit: 's', chart: 'scaling-backtest.svg', ys: kernel },
      // CPU time (user + system) of the processes: what a loaded machine distorts least.
      { name: 'cold CPU', unit: 's', chart: 'scaling-backtest-cpu.svg', chartTitle: 'Backtest CPU time (user + system) against bars', ys: coldCpu },
      { name: 'warm CPU', unit: 's', chart: 'scaling-backtest-cpu.svg', ys: warmCpu },
    ],
    notes: [],
    planned: points.length,
  };
  try {
    const lines = await readGzLines(process.env.BENCH_BARS_FILE ?? defaultBarsFile(), base);
    log(`bars: base of ${fmt(lines.length)} bars, sizes ${points.map(fmt).join(', ')}, best of ${runs}`);
    for (const n of points) {
      const file = join(dir, `bars-${n}.csv.gz`);
      await writeRepeatedBars(file, lines, n);
      const dataDir = join(dir, `data-${n}`);
      const args = [bin, 'backtest', '--data', file, '--fast', '10', '--slow', '30', '--size', '1', '--long-only', '--cash', '1000000', '--fee', '0', '-d', dataDir, '--json'];
      const best = (mode: 'cold' | 'warm') => {
        let top: (ReturnType<typeof timed> & { kernelMs: number; bars: number; trades: number }) | null = null;
        for (let i = 0; i < runs; i += 1) {
          if (mode === 'cold') rmSync(join(dataDir, 'cache'), { recursive: true, force: true });
          const t = timed(args);
          const report = JSON.parse(t.stdout) as { kernelMs: number; bars: number; closedTrades: number };
          if (!top || t.wallS < top.wallS) top = { ...t, kernelMs: report.kernelMs, bars: report.bars, trades: report.closedTrades };
        }
        if (!top) throw new Error('no run');
        return top;
      };
      const c = best('cold');
      const w = best('warm');
      if (c.bars !== n || w.bars !== n) throw new Error(`expected ${n} bars, the backtest ran ${c.bars} / ${w.bars}`);
      cold.push(c.wallS);
      warm.push(w.wallS);
      kernel.push(round(w.kernelMs / 1000, 3));
      coldCpu.push(c.cpuS);
      warmCpu.push(w.cpuS);
      const label = n === 44_640 ? '1 month' : n === YEAR ? '1 year' : n === 5 * YEAR ? '5 years' : `${fmt(n)} bars`;
      rows.push({ x: n, label, cells: [label, fmt(n), c.wallS, c.cpuS ?? '-', w.wallS, w.cpuS ?? '-', round(w.kernelMs / 1000, 2), fmt(Math.round(n / (w.kernelMs / 1000))), w.maxRssMb ?? '-', w.trades] });
      progress(body);
      log(`  ${label}: cold ${c.wallS} s (CPU ${c.cpuS}), warm ${w.wallS} s (CPU ${w.cpuS}, kernel ${round(w.kernelMs, 0)} ms, peak RSS ${w.maxRssMb} MB), ${w.trades} trades`);
      rmSync(file, { force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return body;
}

async function ingestCurve(log: (s: string) => void, progress: (body: CurveBody) => void): Promise<CurveBody> {
  const points = sizes('CURVES_TICKS', [1_000_000, 10_000_000, 50_000_000], [10_000, 50_000, 100_000]);
  const dir = tempDir('tw-curves-ingest-');
  const rows: CurveResult['rows'] = [];
  const secs: (number | null)[] = [];
  const rss: (number | null)[] = [];
  const body: CurveBody = {
    curve: 'ingest',
    title: 'Tick ingest (`tradewind ingest`, duplicate skipping on) against file size',
    xLabel: 'ticks',
    columns: ['ticks', 'CSV MB', 'import s', 'rows/s', 'peak RSS MB (VmHWM)', 'inserted'],
    rows,
    series: [
      { name: 'import time', unit: 's', chart: 'scaling-ingest-time.svg', chartTitle: 'Tick ingest time against ticks', ys: secs },
      { name: 'peak RSS', unit: 'MB', chart: 'scaling-ingest-rss.svg', chartTitle: 'Tick ingest peak RSS against ticks', ys: rss },
    ],
    notes: [],
    planned: points.length,
  };
  try {
    for (const n of points) {
      const csv = join(dir, `ticks-${n}.csv`);
      log(`ingest: ${fmt(n)} ticks`);
      const r = await runIngestBench(n, { csv, reimport: false });
      const mb = round(statSync(csv).size / 2 ** 20, 1);
      rmSync(csv, { force: true });
      if (r.rows !== n) throw new Error(`expected ${n} rows, ingest read ${r.rows}`);
      secs.push(r.seconds);
      rss.push(r.peakRssMb);
      rows.push({ x: n, label: fmt(n), cells: [fmt(n), mb, r.seconds, fmt(r.rowsPerSecond), r.peakRssMb ?? '-', fmt(r.inserted)] });
      progress(body);
      log(`  ${fmt(n)} ticks (${mb} MB): ${r.seconds} s, ${fmt(r.rowsPerSecond)} rows/s, peak RSS ${r.peakRssMb} MB`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return body;
}

async function wsCurve(log: (s: string) => void, progress: (body: CurveBody) => void): Promise<CurveBody> {
  const points = sizes('CURVES_CLIENTS', [200, 1_000, 5_000], [5, 10, 20]);
  const collectS = envNumber('CURVES_WS_COLLECT_S', quick ? 3 : 20);
  const settleS = envNumber('CURVES_WS_SETTLE_S', quick ? 1 : 15);
  const server = await startBenchServer();
  const rows: CurveResult['rows'] = [];
  const p50: (number | null)[] = [];
  const p99: (number | null)[] = [];
  const body: CurveBody = {
    curve: 'ws',
    title: 'WebSocket fan-out delay against clients (one server, clients in one process)',
    xLabel: 'clients',
    columns: ['clients', 'connected', 'connect ms', 'broadcasts', 'deliveries', 'p50 ms', 'p99 ms', 'max ms', 'server CPU %', 'bench CPU %'],
    rows,
    series: [
      { name: 'p50', unit: 'ms', chart: 'scaling-ws.svg', ys: p50 },
      { name: 'p99', unit: 'ms', chart: 'scaling-ws.svg', ys: p99 },
    ],
    notes: [],
    planned: points.length,
  };
  try {
    const warm = await waitForTrading(server, settleS, settleS * 4);
    log(`ws: server settled after ${warm.seconds} s; clients ${points.map(fmt).join(', ')}, ${collectS} s each`);
    for (const n of points) {
      const r = await measureWsFanout(server, { clients: n, collectS, settleS: warm.seconds }, log);
      p50.push(r.delayMs.p50);
      p99.push(r.delayMs.p99);
      rows.push({ x: n, label: fmt(n), cells: [fmt(n), `${r.connected}/${r.clients}`, r.connectMs, r.broadcasts, `${fmt(r.deliveries)}/${fmt(r.expectedDeliveries)}`, r.delayMs.p50, r.delayMs.p99, r.delayMs.max, r.serverCpuPct ?? '-', r.benchCpuPct ?? '-'] });
      progress(body);
    }
  } finally {
    await stopServer(server);
  }
  return body;
}

function table(headers: string[], rows: (string | number)[][]): string {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function renderCurve(r: CurveResult): string {
  const m = r.machine;
  const charts = [...new Set(r.series.map((s) => s.chart))];
  return [
    `## ${r.title}`,
    '',
    `${r.at}${r.quick ? ' (CURVES_QUICK: tiny sizes)' : ''}; ${m.cpuModel}, ${m.cores} cores, ${m.totalMemoryGiB} GiB, node ${m.node}, ${m.platform} ${m.osRelease}; ` +
      `load average ${r.loadStart.join(' / ')} at the start, ${r.loadEnd.join(' / ')} at the end (1 / 5 / 15 min).`,
    '',
    table(r.columns, r.rows.map((row) => row.cells)),
    '',
    `Growth exponent (slope of log cost on log ${r.xLabel}; 1 = linear): ${r.series.map((s) => `${s.name} **${r.exponents[s.name] ?? 'n/a'}**`).join(', ')}.`,
    ...r.notes.map((n) => `\n${n}`),
    '',
    ...charts.map((c) => `![${r.series.find((s) => s.chart === c)?.chartTitle ?? r.title}](${c})`),
    '',
  ].join('\n');
}

function writeOutputs(r: CurveResult, out: string): void {
  writeFileSync(join(out, `scaling-${r.curve}.json`), `${JSON.stringify(r, null, 2)}\n`);
  for (const chart of new Set(r.series.map((s) => s.chart))) {
    const series = r.series
      .filter((s) => s.chart === chart)
      .map((s) => ({ name: `${s.name} (exponent ${r.exponents[s.name] ?? 'n/a'})`, points: r.rows.flatMap((row, i) => (s.ys[i] === null || s.ys[i] === undefined ? [] : [{ x: row.x, y: s.ys[i] as number }])) }));
    const head = r.series.find((s) => s.chart === chart);
    const title = head?.chartTitle ?? r.title.replace(/ \(.*\)$/, '');
    const load = `load ${r.loadStart[0]}→${r.loadEnd[0]}`;
    writeFileSync(join(out, chart), `${lineChart({ title: `${title} · ${r.machine.cores} cores, ${load}`, xLabel: r.xLabel, yLabel: head?.unit ?? '', series })}\n`);
  }
  const sections = CURVES.flatMap((c) => {
    const f = join(out, `scaling-${c}.json`);
    return existsSync(f) ? [renderCurve(JSON.parse(readFileSync(f, 'utf8')) as CurveResult)] : [];
  });
  writeFileSync(join(out, 'scaling-curves.md'), `# Scaling curves\n\nMade by \`npm run bench:curves\` (bench/scaling-curves.ts); each section is one run of that curve.\n\n${sections.join('\n')}`);
}

const RUNNERS: Record<CurveName, typeof barsCurve> = { bars: barsCurve, ingest: ingestCurve, ws: wsCurve };

export async function runScalingCurves(wanted: CurveName[] = CURVES, log: (s: string) => void = console.log, out = process.env.CURVES_OUT_DIR ?? join(repoRoot, 'docs', 'bench')): Promise<CurveResult[]> {
  mkdirSync(out, { recursive: true });
  const results: CurveResult[] = [];
  for (const name of wanted) {
    const loadStart = loads();
    const at = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
    // Written after every point, so a run stopped part-way leaves the points it finished.
    const finish = (body: CurveBody): CurveResult => {
      const { planned, ...measured } = body;
      const result: CurveResult = { ...measured, notes: [...body.notes], exponents: {}, machine: machineInfo(), loadStart, loadEnd: loads(), at, quick };
      for (const s of result.series) {
        const e = growthExponent(result.rows.map((r) => r.x), s.ys);
        result.exponents[s.name] = e;
        if (e !== null && e > 1.1) result.notes.push(`${s.name} grows faster than linear here (exponent ${e}); see the README's *Scaling curves* for why.`);
      }
      if (result.rows.length < planned) result.notes.push(`Partial: ${result.rows.length} of ${planned} points measured (the run was stopped or is still going).`);
      writeOutputs(result, out);
      return result;
    };
    const result = finish(await RUNNERS[name](log, finish));
    log(`${name}: growth exponents ${Object.entries(result.exponents).map(([k, v]) => `${k} ${v ?? 'n/a'}`).join(', ')}`);
    results.push(result);
  }
  log(`scaling curves written to ${out} (${readdirSync(out).filter((f) => f.startsWith('scaling-')).join(', ')})`);
  return results;
}

/** Redraws the charts and the markdown from the JSON of every curve in `out` (no measuring). */
export function renderScalingCurves(out = process.env.CURVES_OUT_DIR ?? join(repoRoot, 'docs', 'bench')): void {
  for (const c of CURVES) {
    const f = join(out, `scaling-${c}.json`);
    if (existsSync(f)) writeOutputs(JSON.parse(readFileSync(f, 'utf8')) as CurveResult, out);
  }
}

if (isMain(import.meta.url) && process.argv[2] === 'render') renderScalingCurves();
else if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const bad = args.filter((a) => !CURVES.includes(a as CurveName));
  if (bad.length) throw new Error(`unknown curve ${bad.join(', ')}; choose from ${CURVES.join(', ')}`);
  await runScalingCurves(args.length ? (args as CurveName[]) : CURVES);
}
