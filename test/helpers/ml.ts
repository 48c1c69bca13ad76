// Helpers of the model tests and benchmarks: the python3-xgboost reference (Debian's
// /usr/bin/python3 with python3-xgboost and python3-onnx, installed by scripts/ensure-deps.mjs
// --ml) and the real market data.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './server.js';

export const BTC_2024 = join(repoRoot, '..', 'shared', 'data', 'binance', 'BTCUSDT-1m-2024.csv.gz');
export const PYTHON = process.env.TRADEWIND_PYTHON || '/usr/bin/python3';
const SCRIPTS = join(repoRoot, 'scripts', 'ml');

/** null when python3-xgboost and python3-onnx can be used, else why not (the tests skip with it). */
export function referenceMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing (install python3-xgboost python3-onnx; npm test does it as root)`;
  const r = spawnSync(PYTHON, ['-c', 'import xgboost, onnx'], { encoding: 'utf8' });
  if (r.status !== 0) return `python3-xgboost / python3-onnx are not installed for ${PYTHON} (npm test installs them as root)`;
  return null;
}

export function runPython(script: 'xgb_reference.py' | 'xgb_to_onnx.py', args: string[]): string {
  const r = spawnSync(PYTHON, [join(SCRIPTS, script), ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

export interface XgbRun {
  train_seconds?: number;
  train_cpu_seconds?: number;
  predict_seconds?: number;
  rows?: number;
  trees?: number;
  xgboost_version: string;
}

/** Trains with python3-xgboost (hist) and predicts `predict` rows; returns the timings and the predictions. */
export function xgbTrainPredict(opts: { train: string; out: string; params: Record<string, unknown>; rounds: number; predict?: string; predOut?: string }): XgbRun {
  const args = ['--train', opts.train, '--out', opts.out, '--params', JSON.stringify(opts.params), '--rounds', String(opts.rounds)];
  if (opts.predict && opts.predOut) args.push('--predict', opts.predict, '--pred-out', opts.predOut);
  return JSON.parse(runPython('xgb_reference.py', args)) as XgbRun;
}

/** margin,probability rows written by xgb_reference.py. */
export function readPredictions(file: string): { margin: number[]; probability: number[] } {
  const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
  const margin: number[] = [];
  const probability: number[] = [];
  for (const l of lines) {
    const [m, p] = l.split(',');
    margin.push(Number(m));
    probability.push(Number(p));
  }
  return { margin, probability };
}

/**
 * A seeded synthetic binary problem: features uniform in [-1, 1], label 1 when
 * x0 + 0.5·x1 - x2·x3 + noise > 0 (other features are noise). `missing` blanks that share of
 * x0 values and moves those rows' labels to 1, so a missing value carries signal.
 */
export function synthetic(rows: number, features: number, seed: number, noise: number, missing = 0) {
  let s = seed >>> 0 || 1;
  const u = () => {
    // xorshift32: enough for test data, independent of the code under test.
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const x = new Float64Array(rows * features);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) x[r * features + f] = u() * 2 - 1;
    const v = (k: number) => x[r * features + k] ?? 0;
    const score = v(0) + 0.5 * v(1) - (features > 3 ? v(2) * v(3) : 0) + noise * (u() * 2 - 1);
    y[r] = score > 0 ? 1 : 0;
    if (missing > 0 && u() < missing) {
      x[r * features] = Number.NaN;
      y[r] = 1;
    }
  }
  return { x, y, rows, features };
}
