/** Zeros that pad a sequence number to 8 digits, by how many are needed. */
const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000', '0000000'];

/** Deterministic, restart-safe identifiers: a prefix and a sequence restored from the store. */
export class SequenceIds {
  constructor(
    private readonly prefix: string,
    private seq = 0,
  ) {}

  /** The id of `seq + 1` once formatted by `peek` (a fill's preview peeks, its commit takes it). */
  private peeked: string | null = null;

  next(): string {
    const id = this.peek();
    this.seq += 1;
    this.peeked = null;
    return id;
  }

  /** The id `next()` will return, without taking it (for changes computed before they are committed). */
  peek(): string {
    if (this.peeked === null) this.peeked = this.format(this.seq + 1);
    return this.peeked;
  }

  private format(seq: number): string {
    // As `${prefix}${seq.toString().padStart(8, '0')}`, without padStart's work per id.
    const digits = String(seq);
    return digits.length < 8 ? this.prefix + (ZEROS[8 - digits.length] as string) + digits : this.prefix + digits;
  }

  get last(): number {
    return this.seq;
  }
}

/** The trailing digits of an id as a number (0 without any): what /(\d+)$/ finds, without a regex per call. */
export const sequenceOf = (id: string): number => {
  let start = id.length;
  while (start > 0) {
    const c = id.charCodeAt(start - 1);
    if (c < 48 || c > 57) break;
    start -= 1;
  }
  return start === id.length ? 0 : Number(id.slice(start));
};

/**
 * The number an id ends in (O-00000042: 42), or -1 without one or with more than 9 digits:
 * `sequenceOf` without the substring it makes, for lookups on a hot path (OrderRows).
 */
export function smallSequenceOf(id: string): number {
  let value = 0;
  let scale = 1;
  let i = id.length - 1;
  for (; i >= 0; i -= 1) {
    const c = id.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    if (scale === 1e9) return -1;
    value += c * scale;
    scale *= 10;
  }
  return scale === 1 ? -1 : value;
}
