/**
 * The broker's P&L snapshot (POST /api/rithmic/pnl-snapshot, seed 003) against the desk's daily
 * stop: the day P&L is the snapshot's realized figure, plus its unrealized one when configured
 * (renkoDesk.pnlSnapshotIncludesUnrealized). Pure: the desk applies the verdict.
 */
export interface BrokerPnl {
  realized: number | null;
  unrealized: number | null;
  account_balance: number | null;
  /** The figure compared with the daily stop. */
  day_pnl: number;
  at: number;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const cents = (v: number): number => Math.round(v * 100) / 100;

/** The snapshot's figures; null when it carries neither realized nor unrealized P&L. */
export function brokerPnl(data: Record<string, unknown>, includeUnrealized: boolean, at: number): BrokerPnl | null {
  const realized = num(data.realized);
  const unrealized = num(data.unrealized);
  if (realized === null && unrealized === null) return null;
  const day = (realized ?? 0) + (includeUnrealized ? (unrealized ?? 0) : 0);
  return { realized, unrealized, account_balance: num(data.accountBalance), day_pnl: cents(day), at };
}

/** True when the day P&L is at or below the stop (a loss of `dailyStopUsd` or more). */
export const dailyStopReached = (dayPnl: number, dailyStopUsd: number): boolean => dayPnl <= -dailyStopUsd;
