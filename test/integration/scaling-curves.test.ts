// The scaling-curves bench in its quick mode (CURVES_QUICK=1: tiny sizes) run as a process into a
// temporary directory: every table and chart is written, with the expected points. No timing is
// asserted (the machine may be loaded); the SVGs are parsed by Python's XML parser.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { repoRoot, tempDir } from '../helpers/server.js';
import type { CurveResult } from '../../bench/scaling-curves.js';

const python = spawnSync('python3', ['-c', 'import xml.etree.ElementTree'], { stdio: 'ignore' }).status === 0;
// GNU time measures the backtest processes' CPU time and peak RSS.
const gnuTime = existsSync('/usr/bin/time');

/** Polylines of an SVG (one per series) as their point counts, from a real XML parser. */
function svgSeries(file: string): { root: string; polylines: number[]; texts: string[] } {
  const script = [
    'import json, sys, xml.etree.ElementTree as ET',
    'ns = "{http://www.w3.org/2000/svg}"',
    'root = ET.parse(sys.argv[1]).getroot()',
    'print(json.dumps({"root": root.tag, "polylines": [len(p.get("points").split()) for p in root.iter(ns + "polyline")], "texts": [t.text or "" for t in root.iter(ns + "text")]}))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${file} is not well-formed XML: ${r.stderr}`);
  return JSON.parse(r.stdout) as { root: string; polylines: number[]; texts: string[] };
}

test('scaling curves (quick mode) write tables and SVG charts with every point', { timeout: 600_000, skip: (!python || !gnuTime) && process.env.CI !== 'true' ? 'python3 (its XML parser) or /usr/bin/time (GNU time) is not installed' : false }, () => {
  const out = tempDir('tw-curves-test-');
  try {
    const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'bench', 'scaling-curves.js')], {
      env: { ...process.env, CURVES_QUICK: '1', CURVES_OUT_DIR: out, BENCH_RUNS: '1' },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(r.status, 0, `scaling-curves failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /bars: growth exponents cold process [\d.-]+/);

    const expected: Record<string, { xs: number[]; charts: Record<string, number> }> = {
      bars: { xs: [1_440, 10_080, 20_160], charts: { 'scaling-backtest.svg': 3, 'scaling-backtest-cpu.svg': 2 } },
      ingest: { xs: [10_000, 50_000, 100_000], charts: { 'scaling-ingest-time.svg': 1, 'scaling-ingest-rss.svg': 1 } },
      ws: { xs: [5, 10, 20], charts: { 'scaling-ws.svg': 2 } },
    };
    const md = readFileSync(join(out, 'scaling-curves.md'), 'utf8');
    for (const [curve, want] of Object.entries(expected)) {
      const result = JSON.parse(readFileSync(join(out, `scaling-${curve}.json`), 'utf8')) as CurveResult;
      assert.deepEqual(result.rows.map((row) => row.x), want.xs, `${curve} points`);
      assert.equal(result.quick, true);
      assert.equal(result.machine.cores > 0, true);
      assert.equal(result.loadStart.length, 3);
      for (const s of result.series) {
        assert.equal(s.ys.length, want.xs.length, `${curve} ${s.name}`);
        assert.ok(s.ys.every((y) => y === null || (typeof y === 'number' && y >= 0)), `${curve} ${s.name}: ${s.ys.join(',')}`);
        assert.ok(s.name in result.exponents, `${curve} ${s.name} has an exponent`);
      }
      // Backtests and ingest always measure something; a quick fan-out may see no broadcast.
      if (curve !== 'ws') for (const s of result.series) assert.ok(s.ys.every((y) => y !== null && y > 0), `${curve} ${s.name}: ${s.ys.join(',')}`);
      assert.ok(md.includes(`## ${result.title}`), `${curve} section in the markdown`);
      // The table: a header, a separator and a row per point.
      const section = md.slice(md.indexOf(`## ${result.title}`));
      const tableRows = section.split('\n').filter((l) => l.startsWith('| '));
      assert.ok(tableRows.length >= want.xs.length + 1, `${curve} table rows`);
      assert.ok(section.includes(`${result.machine.cores} cores`), `${curve} names its machine`);
      for (const [chart, lines] of Object.entries(want.charts)) {
        assert.ok(md.includes(`](${chart})`), `${chart} linked from the markdown`);
        const svg = svgSeries(join(out, chart));
        assert.equal(svg.root, '{http://www.w3.org/2000/svg}svg');
        assert.equal(svg.polylines.length, lines, `${chart} series`);
        // Every series has every point (a fan-out that saw no broadcast draws zeros).
        assert.deepEqual(svg.polylines, Array(lines).fill(want.xs.length), `${chart} points`);
        assert.ok(svg.texts.some((t) => t.includes('exponent')), `${chart} labels its series with the exponent`);
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
