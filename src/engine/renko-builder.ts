import type { RenkoBar, RenkoSize } from '../core/renko.js';

/**
 * Classic Renko from prices: a brick of `size` points forms when price closes a full brick
 * beyond the last brick in the trend's direction, and a reversal needs two bricks' distance
 * (the new brick opens at the far side of the last one). Written by hand: no maintained
 * library builds streaming Renko bricks.
 */
export class RenkoBuilder {
  private anchor: number | null = null; // close of the last brick (or the first price)
  private direction: 1 | -1 | 0 = 0;
  private seq = 0;

  constructor(
    readonly asset: string,
    readonly size: RenkoSize,
    private readonly emit: (bar: RenkoBar) => void,
  ) {}

  onPrice(price: number, ts: number): void {
    if (this.anchor === null) {
      this.anchor = Math.floor(price / this.size) * this.size;
      return;
    }
    for (;;) {
      const a = this.anchor;
      const up = this.direction >= 0 ? a + this.size : a + 2 * this.size;
      const down = this.direction <= 0 ? a - this.size : a - 2 * this.size;
      if (price >= up) this.brick(1, ts);
      else if (price <= down) this.brick(-1, ts);
      else return;
    }
  }

  private brick(dir: 1 | -1, ts: number): void {
    const a = this.anchor as number;
    const reversal = this.direction !== 0 && dir !== this.direction;
    const open = reversal ? a + dir * this.size : a;
    const close = open + dir * this.size;
    this.anchor = close;
    this.direction = dir;
    this.seq += 1;
    this.emit({
      asset: this.asset,
      size: this.size,
      color: dir === 1 ? 'green' : 'red',
      barId: `${this.asset}-${this.size}-${this.seq}`,
      open: round(open),
      close: round(close),
      ts,
      source: 'ticks',
    });
  }
}

const round = (v: number): number => Math.round(v * 1e6) / 1e6;
