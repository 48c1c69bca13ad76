/**
 * A set of strings (the fill ids a journal holds) as an open-addressing table of hashes and
 * indexes in typed arrays. A `Set` of tens of thousands of fresh strings reads a key string for
 * each entry of a probed bucket (a cache miss each, the largest cost of a backtest's journal);
 * this table compares a string only when its 32-bit hash matches, so a lookup is one slot read.
 */
export class StringSet {
  private mask: number;
  /** Hash of the string in each slot (meaningful where `slots` is not 0). */
  private hashes: Int32Array;
  /** Index + 1 into `items` of each slot; 0: empty. */
  private slots: Int32Array;
  private readonly items: string[] = [];

  constructor(capacity = 1024) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.hashes = new Int32Array(size);
    this.slots = new Int32Array(size);
  }

  get size(): number {
    return this.items.length;
  }

  has(s: string): boolean {
    return this.slotOf(s, hashOf(s)) >= 0;
  }

  /** Adds `s`; false when it was there already. */
  add(s: string): boolean {
    const h = hashOf(s);
    if (this.slotOf(s, h) >= 0) return false;
    if ((this.items.length + 1) * 2 > this.mask + 1) this.grow();
    this.items.push(s);
    this.place(h, this.items.length);
    return true;
  }

  /** The slot holding `s`, or -1. */
  private slotOf(s: string, h: number): number {
    const { hashes, slots, mask } = this;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = slots[i] as number;
      if (at === 0) return -1;
      if (hashes[i] === h && this.items[at - 1] === s) return i;
    }
  }

  private place(h: number, at: number): void {
    const { hashes, slots, mask } = this;
    let i = h & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    hashes[i] = h;
    slots[i] = at;
  }

  private grow(): void {
    const oldHashes = this.hashes;
    const oldSlots = this.slots;
    const size = (this.mask + 1) * 2;
    this.mask = size - 1;
    this.hashes = new Int32Array(size);
    this.slots = new Int32Array(size);
    for (let i = 0; i < oldSlots.length; i += 1) if (oldSlots[i] !== 0) this.place(oldHashes[i] as number, oldSlots[i] as number);
  }
}

/** FNV-1a over the UTF-16 code units. */
function hashOf(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i += 1) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}
