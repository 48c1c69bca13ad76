import {
  comparePositions,
  contractPositions,
  isStale,
  resolveFromPositions,
  type BridgeAlert,
  type BridgeContract,
  type BridgeOrder,
  type BridgeQueue,
  type PositionDiff,
} from '../core/bridge.js';

/** A WORKING order whose owner went silent, with what the bridge's last position report says of it. */
export interface StaleOrderView {
  order_id: string;
  symbol: string;
  contract: string;
  side: 'BUY' | 'SELL';
  qty: number;
  owner: string | null;
  lease_expired_at: string | null;
  silent_s: number;
  /** From the last pnl snapshot sent after the lease ran out: FILLED, CANCELLED (never executed) or null (cannot tell yet). */
  resolution: 'FILLED' | 'CANCELLED' | null;
  resolution_reason: string;
}

export interface BridgeWatchDeps {
  queue: BridgeQueue;
  accountId: string;
  contracts: Readonly<Record<string, BridgeContract>>;
  leaseMs: number;
  /** A WORKING order is stale once its lease ran out this long ago. */
  staleGraceMs: number;
  /** The server's signed position (long +, short -) per kernel symbol. */
  serverPositions?: () => Readonly<Record<string, number>>;
  alert: (alert: BridgeAlert) => void;
}

/**
 * What the bridge broker watches besides the reports: WORKING orders whose owner went silent
 * (stale), and the bridge's own position reports against the server's positions. It raises
 * alerts and answers what a stale order's outcome was; ending one is the broker's (resolveStale).
 */
export class BridgeWatch {
  /** Stale WORKING orders already flagged by this process (each is flagged once). */
  private readonly flagged = new Set<string>();
  /** The unexplained position differences of the last pnl snapshot ('' when none). */
  private mismatchKey = '';
  private mismatch: PositionDiff[] = [];

  constructor(private readonly deps: BridgeWatchDeps) {}

  /** The order moved (renewed, ended): a new staleness is flagged again. */
  forget(orderId: string): void {
    this.flagged.delete(orderId);
  }

  /**
   * Each snapshot's positions against the server's (per contract): a difference the in-flight
   * orders cannot account for is a `position-mismatch` alert (once per distinct difference), and
   * the return to agreement a `positions-match`.
   */
  comparePositions(symbols: readonly { symbol: string; position: number }[], now: number): void {
    const server = this.deps.serverPositions?.();
    if (!server) return;
    const diffs = comparePositions(symbols, server, this.deps.contracts, this.openQueued()).filter((d) => !d.explained);
    const key = diffs.map((d) => `${d.contract}:${d.server}:${d.bridge}`).join('|');
    if (key === this.mismatchKey) return;
    const had = this.mismatchKey !== '';
    this.mismatchKey = key;
    this.mismatch = diffs;
    const id = this.deps.accountId;
    if (diffs.length > 0) {
      const what = diffs.map((d) => `${d.symbol} (${d.contract}): bridge ${d.bridge}, server ${d.server}`).join('; ');
      this.deps.alert({ kind: 'position-mismatch', accountId: id, ts: now, message: `bridge positions differ from the server's: ${what}`, diffs });
    } else if (had) {
      this.deps.alert({ kind: 'positions-match', accountId: id, ts: now, message: 'bridge positions agree with the server again' });
    }
  }

  /** The unexplained differences of the last snapshot (empty when the positions agree). */
  positionMismatch(): PositionDiff[] {
    return this.mismatch;
  }

  /**
   * Flags WORKING orders whose owner has not renewed the lease (WORKING again) for staleGraceMs
   * past its expiry: one `stale-working` alert per order and process.
   */
  checkStale(now: number): StaleOrderView[] {
    const stale = this.staleOrders(now);
    const ids = new Set(stale.map((s) => s.order_id));
    for (const id of this.flagged) if (!ids.has(id)) this.flagged.delete(id); // renewed, or ended
    for (const s of stale) {
      if (this.flagged.has(s.order_id)) continue;
      this.flagged.add(s.order_id);
      const message =
        `bridge order ${s.order_id} (${s.side} ${s.qty} ${s.contract}) is WORKING but its owner ${s.owner ?? '?'} has been silent for ${s.silent_s} s; ` +
        (s.resolution ? `the bridge's position report says ${s.resolution}: resolve it with POST /api/bridge/orders/${s.order_id}/resolve` : s.resolution_reason);
      this.deps.alert({
        kind: 'stale-working',
        accountId: this.deps.accountId,
        ts: now,
        message,
        orderId: s.order_id,
        symbol: s.symbol,
        owner: s.owner,
        leaseExpiredAt: Date.parse(s.lease_expired_at ?? '') || now,
        resolution: s.resolution,
      });
    }
    return stale;
  }

  /** The stale WORKING orders now, each with what the bridge's last position report says of it. */
  staleOrders(now: number): StaleOrderView[] {
    const open = this.openQueued();
    return open
      .filter((o) => isStale(o, now, this.deps.staleGraceMs))
      .map((o) => {
        const r = this.resolution(o, open);
        return {
          order_id: o.id,
          symbol: o.symbol,
          contract: o.contract,
          side: o.side,
          qty: o.qty,
          owner: o.leaseOwner,
          lease_expired_at: o.leaseExpiresAt === null ? null : new Date(o.leaseExpiresAt).toISOString(),
          silent_s: Math.round((now - (o.leaseExpiresAt ?? now) + this.deps.leaseMs) / 1000),
          resolution: r.outcome,
          resolution_reason: r.reason,
        };
      });
  }

  private openQueued(): BridgeOrder[] {
    return this.deps.queue.list({ accountId: this.deps.accountId, limit: 10_000, openOnly: true });
  }

  /** What the last pnl snapshot sent after `o`'s lease ran out says happened to it. */
  private resolution(o: BridgeOrder, open: readonly BridgeOrder[]): { outcome: 'FILLED' | 'CANCELLED' | null; reason: string } {
    const snap = this.deps.queue.lastPnlSnapshot(this.deps.accountId);
    const symbols = snap?.data.symbols;
    if (!snap || !Array.isArray(symbols) || o.leaseExpiresAt === null || snap.ts < o.leaseExpiresAt) {
      return { outcome: null, reason: 'waiting for a pnl snapshot with positions sent after the lease ran out' };
    }
    const server = this.deps.serverPositions?.();
    if (!server) return { outcome: null, reason: 'the server positions are not available' };
    // Per contract, as the broker sees it (several kernel symbols may be routed to one contract).
    const contract = o.contract;
    let bridgeQty = 0;
    for (const s of symbols as { symbol: string; position: number }[]) if ((this.deps.contracts[s.symbol]?.contract ?? s.symbol) === contract) bridgeQty += s.position;
    const serverQty = contractPositions(server, this.deps.contracts).get(contract) ?? 0;
    const others = open.filter((x) => x.id !== o.id && x.contract === contract && (x.status === 'WORKING' || x.status === 'CLAIMED')).length;
    const outcome = resolveFromPositions(o, serverQty, bridgeQty, others);
    if (outcome) return { outcome, reason: `bridge holds ${bridgeQty} ${contract}, server ${serverQty}: ${outcome === 'FILLED' ? 'executed' : 'not executed'}` };
    return {
      outcome: null,
      reason: others > 0 ? `${others} other order(s) of ${contract} in flight: cannot tell from positions` : `bridge holds ${bridgeQty} ${contract}, server ${serverQty}: matches neither outcome`,
    };
  }
}
