import type { SmaCrossSpec } from './strategies.js';

/**
 * Parameter grids for sweeps: `fast=5..20,slow=20..60` (ranges inclusive), `slow=20..60:5`
 * (a step), `fast=5|8|13` (a list) or `fast=10` (one value). Parameters of the SMA crossover:
 * fast, slow, stop-atr, target-atr.
 */
export type GridParam = 'fast' | 'slow' | 'stopAtr' | 'targetAtr';

export interface GridAxis {
  param: GridParam;
  values: number[];
}

const NAMES: Record<string, GridParam> = { fast: 'fast', slow: 'slow', 'stop-atr': 'stopAtr', stopAtr: 'stopAtr', 'target-atr': 'targetAtr', targetAtr: 'targetAtr' };
const MAX_COMBINATIONS = 100_000;

export class GridError extends Error {
  override name = 'GridError';
}

const number = (s: string, what: string): number => {
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v)) throw new GridError(`${what}: '${s}' is not a number`);
  return v;
};

export function parseGrid(text: string): GridAxis[] {
  const axes: GridAxis[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new GridError(`'${part}': expected name=from..to[:step], name=a|b|c or name=value`);
    const name = part.slice(0, eq).trim();
    const param = NAMES[name];
    if (!param) throw new GridError(`unknown grid parameter '${name}' (fast, slow, stop-atr, target-atr)`);
    if (axes.some((a) => a.param === param)) throw new GridError(`'${name}' is given twice`);
    const spec = part.slice(eq + 1).trim();
    let values: number[];
    const range = /^(.+?)\.\.([^:]+)(?::(.+))?$/.exec(spec);
    if (range) {
      const from = number(range[1] as string, name), to = number(range[2] as string, name);
      const step = range[3] === undefined ? 1 : number(range[3], `${name} step`);
      if (!(step > 0)) throw new GridError(`${name}: the step must be above 0`);
      if (to < from) throw new GridError(`${name}: ${from}..${to} is empty`);
      values = [];
      // Values computed from the index, not by adding steps, so 0.1 steps do not drift.
      for (let i = 0; from + i * step <= to + 1e-9; i++) {
        values.push(Math.round((from + i * step) * 1e9) / 1e9);
        if (values.length > MAX_COMBINATIONS) throw new GridError(`${name}: more than ${MAX_COMBINATIONS} values`);
      }
    } else {
      values = spec.split('|').map((v) => number(v, name));
    }
    for (const v of values) {
      if ((param === 'fast' || param === 'slow') && !(Number.isInteger(v) && v > 0)) throw new GridError(`${name}: ${v} is not a positive integer`);
      if ((param === 'stopAtr' || param === 'targetAtr') && !(v >= 0)) throw new GridError(`${name}: ${v} must be >= 0`);
    }
    axes.push({ param, values: [...new Set(values)] });
  }
  if (axes.length === 0) throw new GridError('an empty grid');
  return axes;
}

/**
 * Every combination of the axes applied to `base`, in grid order (last axis fastest); SMA
 * combinations whose fast average is not shorter than the slow one are left out (counted).
 */
export function gridCombinations(base: SmaCrossSpec, axes: GridAxis[]): { specs: SmaCrossSpec[]; skipped: number } {
  let combos: Partial<Record<GridParam, number>>[] = [{}];
  for (const axis of axes) {
    combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.param]: v })));
    if (combos.length > MAX_COMBINATIONS) throw new GridError(`more than ${MAX_COMBINATIONS} combinations`);
  }
  const specs: SmaCrossSpec[] = [];
  let skipped = 0;
  for (const c of combos) {
    const spec = { ...base, ...c };
    if (spec.fast >= spec.slow) skipped++;
    else specs.push(spec);
  }
  return { specs, skipped };
}
