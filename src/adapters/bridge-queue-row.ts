import type { BridgeOrder, BridgeStatus } from '../core/bridge.js';

/** A `bridge_orders` row as both store engines hold it (same columns in SQLite and PostgreSQL). */
export interface Row {
  id: string;
  account_id: string;
  symbol: string;
  contract: string;
  exchange: string;
  side: 'BUY' | 'SELL';
  qty: number;
  kind: 'ENTRY' | 'EXIT';
  mode: string;
  env: string;
  ref_price: number | null;
  status: BridgeStatus;
  cancel_requested: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  fill_price: number | null;
  fill_qty: number | null;
  fill_fee: number | null;
  fill_ts: number | null;
  broker_order_id: string | null;
  reason: string | null;
  created_at: number;
  updated_at: number;
}

export const fromRow = (r: Row): BridgeOrder => ({
  id: r.id,
  accountId: r.account_id,
  symbol: r.symbol,
  contract: r.contract,
  exchange: r.exchange,
  side: r.side,
  qty: r.qty,
  kind: r.kind,
  mode: r.mode,
  env: r.env,
  refPrice: r.ref_price,
  status: r.status,
  cancelRequested: r.cancel_requested === 1,
  leaseOwner: r.lease_owner,
  leaseExpiresAt: r.lease_expires_at,
  fillPrice: r.fill_price,
  fillQty: r.fill_qty,
  fillFee: r.fill_fee,
  fillTs: r.fill_ts,
  brokerOrderId: r.broker_order_id,
  reason: r.reason,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
