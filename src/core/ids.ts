/** Deterministic, restart-safe identifiers: a prefix and a sequence restored from the store. */
export class SequenceIds {
  constructor(
    private readonly prefix: string,
    private seq = 0,
  ) {}

  next(): string {
    this.seq += 1;
    return this.format(this.seq);
  }

  /** The id `next()` will return, without taking it (for changes computed before they are committed). */
  peek(): string {
    return this.format(this.seq + 1);
  }

  private format(seq: number): string {
    return `${this.prefix}${seq.toString().padStart(8, '0')}`;
  }

  get last(): number {
    return this.seq;
  }
}

export const sequenceOf = (id: string): number => {
  const m = /(\d+)$/.exec(id);
  return m ? Number(m[1]) : 0;
};
