import { columnsOf, tableOver, type MarketTable } from '../../core/columns.js';

const BLOCK = 1 << 16;

/**
 * Columns appended to row by row, in blocks of 65,536 rows (never regrown and copied); `table()`
 * lays them out once, contiguously. Writers fill `cols[k][fill]` and call `next()` when
 * `fill === BLOCK` (then re-read `cols`).
 */
export class GrowingTable {
  static readonly BLOCK = BLOCK;
  cols: Float64Array[];
  fill = 0;
  private readonly done: Float64Array[][] = [];

  constructor(readonly kind: MarketTable['kind']) {
    this.cols = this.block();
  }

  get rows(): number {
    return this.done.length * BLOCK + this.fill;
  }

  /** The columns of block `b` (rows b x BLOCK onwards); the last one is being filled. */
  blockAt(b: number): Float64Array[] {
    return b < this.done.length ? (this.done[b] as Float64Array[]) : this.cols;
  }

  /** The current block is full: start a new one. */
  next(): void {
    this.done.push(this.cols);
    this.cols = this.block();
    this.fill = 0;
  }

  /** Appends rows [0, n) of the given columns (in column order). */
  append(columns: readonly Float64Array[], n: number): void {
    let from = 0;
    while (from < n) {
      if (this.fill === BLOCK) this.next();
      const take = Math.min(n - from, BLOCK - this.fill);
      columns.forEach((c, k) => (this.cols[k] as Float64Array).set(c.subarray(from, from + take), this.fill));
      this.fill += take;
      from += take;
    }
  }

  /** The rows as one contiguous buffer (one copy), ready to write or share. */
  table(): MarketTable {
    const rows = this.rows;
    const buffer = new ArrayBuffer(Math.max(8, this.cols.length * rows * 8));
    const blocks = [...this.done, this.cols];
    for (let k = 0; k < this.cols.length; k++) {
      const col = new Float64Array(buffer, k * rows * 8, rows);
      blocks.forEach((b, j) => col.set(j < this.done.length ? (b[k] as Float64Array) : (b[k] as Float64Array).subarray(0, this.fill), j * BLOCK));
    }
    return tableOver(this.kind, buffer, 0, rows);
  }

  private block(): Float64Array[] {
    return columnsOf(this.kind).map(() => new Float64Array(BLOCK));
  }
}
