/**
 * Feature rows as CSV: a header of feature names (and optionally `label`), one row per line,
 * an empty cell (or NaN) for a missing value. What `tradewind model features` writes, what
 * `tradewind model predict --input` reads, and what the python3-xgboost reference reads.
 */

export class RowsCsvError extends Error {
  override name = 'RowsCsvError';
}

const fmt = (v: number) => (Number.isNaN(v) ? '' : String(v));

/** CSV text of a row-major matrix with its header; `labels` adds a `label` column. */
export function rowsToCsv(names: readonly string[], x: ArrayLike<number>, rows: number, labels?: ArrayLike<number>): string {
  const d = names.length;
  const out: string[] = [labels ? [...names, 'label'].join(',') : names.join(',')];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let j = 0; j < d; j++) cells.push(fmt(x[r * d + j] as number));
    if (labels) cells.push(fmt(labels[r] as number));
    out.push(cells.join(','));
  }
  return `${out.join('\n')}\n`;
}

function cell(s: string, line: number, col: number): number {
  const t = s.trim();
  if (t === '' || /^(nan|na|null)$/i.test(t)) return Number.NaN;
  const v = Number(t);
  if (!Number.isFinite(v) && !/^[-+]?inf(inity)?$/i.test(t)) throw new RowsCsvError(`line ${line}, column ${col}: "${t.slice(0, 30)}" is not a number`);
  return Number.isFinite(v) ? v : t.startsWith('-') ? -Infinity : Infinity;
}

/**
 * Rows for a model with `featureNames`. With a header that names every feature, columns are
 * matched by name (others, e.g. `label`, are ignored); a file whose first line is numbers is
 * read positionally and must have exactly one value per feature.
 */
export function csvToRows(text: string, featureNames: readonly string[]): Float64Array[] {
  const lines = text.split(/\r?\n/);
  while (lines.length && (lines[lines.length - 1] as string).trim() === '') lines.pop();
  if (lines.length === 0) return [];
  const first = (lines[0] as string).split(',').map((s) => s.trim());
  const numeric = first.every((s) => s === '' || !Number.isNaN(Number(s)) || /^(nan|[-+]?inf(inity)?)$/i.test(s));
  let columns: number[];
  let start: number;
  if (numeric) {
    columns = featureNames.map((_, i) => i);
    start = 0;
  } else {
    const at = new Map(first.map((n, i) => [n, i]));
    const missing = featureNames.filter((n) => !at.has(n));
    if (missing.length) throw new RowsCsvError(`the header lacks the model's features: ${missing.join(', ')}`);
    columns = featureNames.map((n) => at.get(n) as number);
    start = 1;
  }
  const rows: Float64Array[] = [];
  for (let i = start; i < lines.length; i++) {
    const parts = (lines[i] as string).split(',');
    if (numeric && parts.length !== featureNames.length) throw new RowsCsvError(`line ${i + 1}: ${parts.length} values, the model takes ${featureNames.length}`);
    if (!numeric && parts.length !== first.length) throw new RowsCsvError(`line ${i + 1}: ${parts.length} cells, the header has ${first.length}`);
    rows.push(Float64Array.from(columns, (c) => cell(parts[c] as string, i + 1, c + 1)));
  }
  return rows;
}
