/** Deterministic, restart-safe identifiers: a prefix and a sequence restored from the store. */
export class SequenceIds {
  constructor(
    private readonly prefix: string,
    private seq = 0,
  ) {}

  next(): string {
    this.seq += 1;
    return `${this.prefix}${this.seq.toString().padStart(8, '0')}`;
  }

  get last(): number {
    return this.seq;
  }
}

export const sequenceOf = (id: string): number => {
  const m = /(\d+)$/.exec(id);
  return m ? Number(m[1]) : 0;
};
