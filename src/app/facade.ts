import type { Clock } from '../core/clock.js';
import type { Cancel, TradingStore } from '../core/ports.js';
import type { Kernel } from '../engine/kernel.js';
import type { LiveStream, StreamListener } from './live-stream.js';
import { seedAccount, seedOrder, seedPosition, seedTrade, type SeedAccount, type SeedOrder, type SeedPosition, type SeedScan, type SeedTrade } from './seed-shapes.js';
import type { CancelOutcome } from '../engine/execution-engine.js';
import type { Order } from '../core/orders.js';
import { closingSide, type ClosedTrade, type Position } from '../core/portfolio-types.js';
import { sequenceOf } from '../core/ids.js';
import type { StateBody, StreamState } from './stream-state.js';
import { MAX_EVENTS, MAX_RECENT_TRADES } from './stream-state.js';
import { isoTime } from '../core/clock.js';
import type { TradingAccount } from './kill-switch.js';

export interface FacadeDeps {
  kernel: Kernel;
  state: StreamState;
  stream: LiveStream;
  store: TradingStore;
  clock: Clock;
  version: string;
  mode: 'paper' | 'live';
  startedAt: number;
  /** Every trading account (primary, demo, desk, bridge) for `?account=`; the primary alone by default. */
  accounts?: () => readonly TradingAccount[];
}

/** `?account=` of GET /api/positions and /api/orders: an account id, `all`, or absent (the engine's account). */
export const ALL_ACCOUNTS = 'all';
/** `?account=dashboard` on GET /api/positions: what the seed 000 dashboard shows (the engine's and the demo bot's). */
export const DASHBOARD_ACCOUNTS = 'dashboard';

/**
 * Closing is idempotent from the trader's view: `closing` (an exit was placed now),
 * `already_closing` (an exit for it was already working: that order), `already_closed` (it was
 * closed before, e.g. by its bot a moment earlier: the closing trade). Unknown ids are not_found.
 */
export type ClosePositionOutcome =
  | { ok: true; status: 'closing' | 'already_closing'; positionId: string; order: Order }
  | { ok: true; status: 'already_closed'; positionId: string; trade: ClosedTrade }
  | { ok: false; code: 'not_found' | 'invalid'; message: string };

/** How far back a close request looks for the trade that closed the position. */
const CLOSED_LOOKBACK = 2_000;

/** The application facade: one set of use cases for REST, WebSocket and the CLI. */
export class TradingFacade {
  constructor(private readonly deps: FacadeDeps) {}

  /** Fills the seed 000 state from the store and the kernel after a (re)start. */
  hydrate(): void {
    const { store, state, kernel } = this.deps;
    const fills = store.recentFills(MAX_RECENT_TRADES);
    const trades = fills.map((f) => seedTrade(f, store.getOrder(f.orderId)));
    const events = store.recentEvents(MAX_EVENTS).map((e) => e.payload as Record<string, unknown>);
    state.seed({
      account: seedAccount(kernel.portfolio.view(), this.deps.mode),
      positions: this.dashboardKernels().flatMap((k) => k.portfolio.openPositions()).map(seedPosition),
      recent_trades: trades,
      events,
    });
  }

  health() {
    const now = this.deps.clock.now();
    return {
      status: 'ok',
      service: 'tradewind',
      message: 'Tradewind streaming API',
      version: this.deps.version,
      mode: this.deps.mode,
      broker: this.deps.kernel.broker.name,
      broker_available: this.deps.kernel.broker.isAvailable(),
      uptime_s: Math.round((now - this.deps.startedAt) / 1000),
      timestamp: isoTime(now),
    };
  }

  /** Live from the account's broker; the last known state when the broker cannot answer. */
  account(): SeedAccount | null {
    return this.live(() => seedAccount(this.deps.kernel.portfolio.view(), this.deps.mode), () => this.deps.state.lastAccount());
  }

  /** The accounts the seed 000 dashboard shows positions of: the engine's and the demo bot's. */
  dashboardKernels(): Kernel[] {
    return this.accountList().filter((a) => a.role === 'primary' || a.role === 'demo').map((a) => a.kernel);
  }

  /** The kernel of the account that holds order `id` (ids carry their account's prefix), or undefined. */
  private kernelOfOrder(id: string): Kernel | undefined {
    const accounts = this.accountList();
    const working = accounts.find((a) => a.kernel.execution.openOrders().some((o) => o.id === id));
    if (working) return working.kernel;
    const stored = this.deps.store.getOrder(id);
    return stored ? accounts.find((a) => a.id === stored.accountId)?.kernel : undefined;
  }

  /** The account ids `?account=` accepts. */
  accountIds(): string[] {
    return this.accountList().map((a) => a.id);
  }

  /** GET /api/accounts: each account's role, figures, halt and kill-switch state and risk refusals. */
  accountsView() {
    return {
      default: this.deps.kernel.accountId,
      accounts: this.accountList().map((a) => ({
        id: a.id,
        role: a.role,
        account: a.kernel.portfolio.view(),
        open_positions: a.kernel.portfolio.openPositions().length,
        working_orders: a.kernel.execution.openOrders().length,
        bots: a.kernel.allBots().map((b) => ({ id: b.id, running: b.isRunning })),
        halted: a.kernel.execution.halted(),
        kill_switch: a.kernel.killSwitch.reason,
        risk_limits: a.kernel.accountRisk.limits,
        risk_refusals: a.kernel.accountRisk.refusals(),
      })),
    };
  }

  private accountList(): readonly TradingAccount[] {
    return this.deps.accounts?.() ?? [{ id: this.deps.kernel.accountId, role: 'primary', kernel: this.deps.kernel }];
  }

  /**
   * Open positions of one account: the engine's (primary) account by default, `all` for every
   * account, undefined for an unknown account id.
   */
  positions(account?: string): SeedPosition[] | undefined {
    const id = account ?? this.deps.kernel.accountId;
    if (id === this.deps.kernel.accountId) return this.live(() => this.deps.kernel.portfolio.openPositions().map(seedPosition), () => this.deps.state.lastPositions());
    const kernels =
      id === ALL_ACCOUNTS ? this.accountList().map((a) => a.kernel) : id === DASHBOARD_ACCOUNTS ? this.dashboardKernels() : this.accountList().filter((a) => a.id === id).map((a) => a.kernel);
    if (kernels.length === 0) return undefined;
    return kernels.flatMap((k) => k.portfolio.openPositions()).map(seedPosition);
  }

  /** Open position by id (seed 001 GET /api/positions/{id}). */
  /** Any account's open position by id (ids carry their account's prefix) or ticket (the engine's account first). */
  position(id: string): SeedPosition | undefined {
    const byId = (list: SeedPosition[] | undefined) => list?.find((p) => p.id === id) ?? list?.find((p) => String(p.ticket) === id);
    return byId(this.positions()) ?? byId(this.positions(ALL_ACCOUNTS));
  }

  /** Orders of one account (default the engine's, `all` for every account); undefined for an unknown account. */
  orders(query: { status?: 'open' | 'filled' | 'cancelled' | 'rejected'; symbol?: string; limit: number; account?: string }): SeedOrder[] | undefined {
    const account = query.account ?? this.deps.kernel.accountId;
    if (account !== ALL_ACCOUNTS && !this.accountIds().includes(account)) return undefined;
    const openOnly = query.status === 'open';
    const rows = this.deps.store.listOrders({
      accountId: account === ALL_ACCOUNTS ? undefined : account,
      limit: query.status || query.symbol ? Math.max(query.limit * 5, 500) : query.limit,
      openOnly,
    });
    return rows
      .map(seedOrder)
      .filter((o) => (!query.status || o.status === query.status) && (!query.symbol || o.symbol === query.symbol))
      .slice(0, query.limit);
  }

  /** Cancels a working order of whichever account holds it. */
  cancelOrder(id: string): CancelOutcome {
    return (this.kernelOfOrder(id) ?? this.deps.kernel).execution.cancel(id, 'cancelled by operator');
  }

  /**
   * Closes an open position of the account at market: one exit order for its full quantity,
   * placed for the bot that owns it. Idempotent: an exit already working for it, or the position
   * already closed, is answered as such (ClosePositionOutcome); only unknown ids are not_found.
   */
  closePosition(id: string, reason = 'closed by operator'): ClosePositionOutcome {
    const found = this.findPosition(id);
    if (!found) return this.closedBefore(id);
    const { kernel, position } = found;
    const working = kernel.execution.openOrders().find((o) => o.symbol === position.symbol && o.purpose === 'exit');
    if (working) return { ok: true, status: 'already_closing', positionId: position.id, order: working };
    const r = kernel.submit(
      { botId: position.botId, symbol: position.symbol, side: closingSide(position.side), type: 'market', purpose: 'exit', qty: position.qty, reason, tag: 'operator' },
      'close',
    );
    return r.ok ? { ok: true, status: 'closing', positionId: position.id, order: r.order } : { ok: false, code: 'invalid', message: r.message };
  }

  /** An open position by id on any account, or by seed 000 ticket (the engine's account first). */
  private findPosition(id: string) {
    const accounts = [this.deps.kernel, ...this.accountList().map((a) => a.kernel).filter((k) => k !== this.deps.kernel)];
    for (const match of [(p: Position) => p.id === id, (p: Position) => String(seedPosition(p).ticket) === id]) {
      for (const kernel of accounts) {
        const position = kernel.portfolio.openPositions().find(match);
        if (position) return { kernel, position };
      }
    }
    return undefined;
  }

  /** The trade that closed position `id` (its id or seed 000 ticket), if it closed recently. */
  private closedBefore(id: string): ClosePositionOutcome {
    const trades = this.deps.store.recentTrades(CLOSED_LOOKBACK);
    for (let i = trades.length - 1; i >= 0; i -= 1) {
      const t = trades[i] as ClosedTrade;
      if (t.positionId === id || String(sequenceOf(t.positionId)) === id) return { ok: true, status: 'already_closed', positionId: t.positionId, trade: t };
    }
    return { ok: false, code: 'not_found', message: `Position ${id} not found` };
  }

  trades(): SeedTrade[] {
    return this.deps.state.recentTrades();
  }

  scan(): SeedScan {
    return this.deps.state.scanSummary();
  }

  stateJson(): string {
    return this.deps.state.json();
  }

  stateBody(): StateBody {
    return this.deps.state.body();
  }

  snapshotJson(): string {
    const data = this.deps.state.snapshot();
    return JSON.stringify({ type: 'STATE_SNAPSHOT', timestamp: isoTime(this.deps.clock.now()), data });
  }

  subscribe(listener: StreamListener): Cancel {
    return this.deps.stream.subscribe(listener);
  }

  private live<T>(read: () => T, fallback: () => T): T {
    if (!this.deps.kernel.broker.isAvailable()) return fallback();
    try {
      return read();
    } catch {
      return fallback();
    }
  }
}
