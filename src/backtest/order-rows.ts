import { smallSequenceOf } from '../core/ids.js';
import type { Order } from '../core/orders.js';

/** Text fields of an order row, in `Order`'s key order. */
const S_ID = 0, S_ACCOUNT = 1, S_BOT = 2, S_SYMBOL = 3, S_SIDE = 4, S_TYPE = 5, S_PURPOSE = 6, S_STATUS = 7, S_BROKER_ID = 8, S_REASON = 9, S_TAG = 10;
const TEXTS = 11;
/** Number fields of an order row. */
const N_QTY = 0, N_PRICE = 1, N_STOP = 2, N_FILLED = 3, N_AVG = 4, N_FEES = 5, N_STOP_LOSS = 6, N_TAKE_PROFIT = 7, N_CREATED = 8, N_UPDATED = 9, N_FILLED_AT = 10;
const NUMBERS = 11;
/** Rows per block. */
const SHIFT = 12;
const BLOCK = 1 << SHIFT;
const MASK = BLOCK - 1;
/** Sequence numbers indexed without the map: below 4M (a 16 MB index at most). */
const MAX_SEQ = 1 << 22;

/** Bits of a row's null mask: the number fields that may be null. */
const B_PRICE = 1, B_STOP = 2, B_AVG = 4, B_STOP_LOSS = 8, B_TAKE_PROFIT = 16, B_FILLED_AT = 32;

/**
 * The orders of a journal as rows of columns rather than one object per order: numbers in a
 * Float64Array (nulls in a bit mask), text in one array of references. A backtest journals tens
 * of thousands of orders and keeps them all; as objects each was ~330 bytes (22 fields, every
 * number in a box of its own) that the garbage collector copied, promoted and marked again and
 * again. A row is 11 doubles, 11 references and a byte, and numbers in a typed array are not
 * traced at all. Rows come in blocks of 4,096, so the journal grows without copying itself. Writes copy the values (later changes of the caller's object do not leak in);
 * reads build a fresh `Order` with the keys in the same order as `copyOrder`.
 */
export class OrderRows {
  private count = 0;
  /** Rows in blocks of BLOCK: growing adds a block and copies nothing (no garbage either). */
  private readonly numBlocks: Float64Array[] = [];
  private readonly nullBlocks: Uint8Array[] = [];
  private readonly textBlocks: (string | null)[][] = [];
  /**
   * Row + 1 of the order whose id ends in sequence number n (0: none). A kernel's ids are its
   * prefix and a sequence (O-00000042), so this finds a row without hashing the id: a Map of
   * tens of thousands of fresh strings cost a cache miss or more per lookup. An id without a
   * number, with a number too large, or whose number an id of another prefix took goes to `rowOf`.
   */
  private bySeq = new Int32Array(BLOCK);
  private readonly rowOf = new Map<string, number>();
  /** The id written last and its row: an order is usually written again soon (accepted, filled). */
  private lastId: string | null = null;
  private lastRow = -1;

  get size(): number {
    return this.count;
  }

  /** Writes an order's values into its row (a new row for an id not seen before). */
  save(o: Order): void {
    const id = o.id;
    let row: number;
    if (id === this.lastId) row = this.lastRow;
    else {
      row = this.find(id);
      if (row < 0) {
        row = this.count;
        if ((row & MASK) === 0) this.addBlock();
        this.count = row + 1;
        this.index(id, row);
      }
      this.lastId = id;
      this.lastRow = row;
    }
    const block = row >>> SHIFT;
    const r = row & MASK;
    const t = this.textBlocks[block] as (string | null)[];
    const s = r * TEXTS;
    t[s + S_ID] = id;
    t[s + S_ACCOUNT] = o.accountId;
    t[s + S_BOT] = o.botId;
    t[s + S_SYMBOL] = o.symbol;
    t[s + S_SIDE] = o.side;
    t[s + S_TYPE] = o.type;
    t[s + S_PURPOSE] = o.purpose;
    t[s + S_STATUS] = o.status;
    t[s + S_BROKER_ID] = o.brokerOrderId;
    t[s + S_REASON] = o.reason;
    t[s + S_TAG] = o.tag;
    const n = this.numBlocks[block] as Float64Array;
    const b = r * NUMBERS;
    let mask = 0;
    n[b + N_QTY] = o.qty;
    if (o.price === null) mask |= B_PRICE;
    else n[b + N_PRICE] = o.price;
    if (o.stopPrice === null) mask |= B_STOP;
    else n[b + N_STOP] = o.stopPrice;
    n[b + N_FILLED] = o.filledQty;
    if (o.avgFillPrice === null) mask |= B_AVG;
    else n[b + N_AVG] = o.avgFillPrice;
    n[b + N_FEES] = o.fees;
    if (o.stopLoss === null) mask |= B_STOP_LOSS;
    else n[b + N_STOP_LOSS] = o.stopLoss;
    if (o.takeProfit === null) mask |= B_TAKE_PROFIT;
    else n[b + N_TAKE_PROFIT] = o.takeProfit;
    n[b + N_CREATED] = o.createdAt;
    n[b + N_UPDATED] = o.updatedAt;
    if (o.filledAt === null) mask |= B_FILLED_AT;
    else n[b + N_FILLED_AT] = o.filledAt;
    (this.nullBlocks[block] as Uint8Array)[r] = mask;
  }

  /** The row of an id, or -1. */
  find(id: string): number {
    const seq = smallSequenceOf(id);
    if (seq >= 0 && seq < this.bySeq.length) {
      const row = (this.bySeq[seq] as number) - 1;
      if (row >= 0 && this.idAt(row) === id) return row;
    }
    return this.rowOf.size === 0 ? -1 : (this.rowOf.get(id) ?? -1);
  }

  private index(id: string, row: number): void {
    const seq = smallSequenceOf(id);
    if (seq >= 0 && seq < MAX_SEQ) {
      if (seq >= this.bySeq.length) {
        let length = this.bySeq.length * 2;
        while (length <= seq) length *= 2;
        const grown = new Int32Array(length);
        grown.set(this.bySeq);
        this.bySeq = grown;
      }
      if (this.bySeq[seq] === 0) {
        this.bySeq[seq] = row + 1;
        return;
      }
    }
    this.rowOf.set(id, row);
  }

  private idAt(row: number): string {
    return (this.textBlocks[row >>> SHIFT] as (string | null)[])[(row & MASK) * TEXTS + S_ID] as string;
  }

  /** Ids in row order (creation order). */
  *ids(): IterableIterator<string> {
    for (let row = 0; row < this.count; row += 1) yield this.idAt(row);
  }

  accountIdAt(row: number): string {
    return (this.textBlocks[row >>> SHIFT] as (string | null)[])[(row & MASK) * TEXTS + S_ACCOUNT] as string;
  }

  statusAt(row: number): Order['status'] {
    return (this.textBlocks[row >>> SHIFT] as (string | null)[])[(row & MASK) * TEXTS + S_STATUS] as Order['status'];
  }

  /** A new Order object with the row's values. */
  orderAt(row: number): Order {
    const block = row >>> SHIFT;
    const r = row & MASK;
    const t = this.textBlocks[block] as (string | null)[];
    const s = r * TEXTS;
    const n = this.numBlocks[block] as Float64Array;
    const b = r * NUMBERS;
    const mask = (this.nullBlocks[block] as Uint8Array)[r] as number;
    return {
      id: t[s + S_ID] as string,
      accountId: t[s + S_ACCOUNT] as string,
      botId: t[s + S_BOT] as string,
      symbol: t[s + S_SYMBOL] as string,
      side: t[s + S_SIDE] as Order['side'],
      type: t[s + S_TYPE] as Order['type'],
      purpose: t[s + S_PURPOSE] as Order['purpose'],
      qty: n[b + N_QTY] as number,
      price: mask & B_PRICE ? null : (n[b + N_PRICE] as number),
      stopPrice: mask & B_STOP ? null : (n[b + N_STOP] as number),
      status: t[s + S_STATUS] as Order['status'],
      filledQty: n[b + N_FILLED] as number,
      avgFillPrice: mask & B_AVG ? null : (n[b + N_AVG] as number),
      fees: n[b + N_FEES] as number,
      brokerOrderId: t[s + S_BROKER_ID] as string | null,
      reason: t[s + S_REASON] as string | null,
      stopLoss: mask & B_STOP_LOSS ? null : (n[b + N_STOP_LOSS] as number),
      takeProfit: mask & B_TAKE_PROFIT ? null : (n[b + N_TAKE_PROFIT] as number),
      tag: t[s + S_TAG] as string | null,
      createdAt: n[b + N_CREATED] as number,
      updatedAt: n[b + N_UPDATED] as number,
      filledAt: mask & B_FILLED_AT ? null : (n[b + N_FILLED_AT] as number),
    };
  }

  private addBlock(): void {
    this.numBlocks.push(new Float64Array(BLOCK * NUMBERS));
    this.nullBlocks.push(new Uint8Array(BLOCK));
    this.textBlocks.push(new Array<string | null>(BLOCK * TEXTS).fill(null));
  }
}
