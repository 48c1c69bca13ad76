import type { Clock } from '../core/clock.js';
import type { Cancel, Scheduler, StoredEvent, TradingStore } from '../core/ports.js';
import type { Kernel } from '../engine/kernel.js';
import type { LiveStream } from './live-stream.js';
import { seedAccount, seedOrder, seedPosition, seedScan, seedTrade } from './seed-shapes.js';
import { isoTime } from '../core/clock.js';
import type { StreamEvent, StreamState } from './stream-state.js';

/** Events kept for the event log while it cannot be written. */
const MAX_PENDING_LOG = 10_000;

export interface ProjectorDeps {
  kernel: Kernel;
  /**
   * Further accounts whose trading activity the dashboard shows (the demo bot's, the `accounts`
   * list's paper and exchange accounts): their
   * positions join POSITION_UPDATE and their fills, orders, trades, signals and scans are
   * streamed; the account figures stay the primary kernel's.
   */
  alsoShow?: readonly Kernel[];
  state: StreamState;
  stream: LiveStream;
  store: TradingStore;
  clock: Clock;
  scheduler: Scheduler;
  mode: 'paper' | 'live';
  /** Mark-to-market refreshes are sent at most this often. */
  refreshMs: number;
  /** HEARTBEAT interval and payload (latency figures); no heartbeat when absent. */
  heartbeat?: { everyMs: number; payload: () => Record<string, unknown> };
  /**
   * The bar intervals (ms) whose closed bars of the primary kernel are streamed as BAR (the
   * dashboard's chart intervals, so its charts need not poll GET /api/bars); none when absent.
   */
  barIntervals?: readonly number[];
}

/**
 * Turns kernel events into seed 000 events: fills, opened/closed positions and scans are sent
 * at once and logged; mark-to-market changes are coalesced into one refresh per interval.
 */
export class StreamProjector {
  private accountDirty = false;
  private positionsDirty = false;
  private pendingLog: StoredEvent[] = [];
  private cancels: Cancel[] = [];

  constructor(private readonly deps: ProjectorDeps) {}

  start(): void {
    const { kernel, scheduler, refreshMs } = this.deps;
    const bus = kernel.bus;
    this.cancels.push(
      scheduler.every(refreshMs, () => this.refresh()),
      ...[kernel, ...(this.deps.alsoShow ?? [])].flatMap((k) => this.activity(k.bus)),
      // Operator alerts go to seed 000's event log (GET /api/state `events`, the dashboard) and the stream.
      bus.on('bridge-alert', ({ alert }) => {
        const { kind, accountId, message, ts, ...details } = alert;
        this.send({ type: 'ALERT', kind: `bridge-${kind}`, account_id: accountId, message, at: isoTime(ts), ...details }, true);
      }),
      bus.on('fill-refused', ({ accountId, fill, reason, halted, ts }) =>
        this.send({ type: 'ALERT', kind: 'fill-refused', account_id: accountId, message: reason, halted, order_id: fill.orderId, fill_id: fill.id, at: isoTime(ts) }, true),
      ),
      // Venue accounts (ccxt): connection changes and reconciliation differences join the event log.
      bus.on('venue-connection', ({ accountId, state, detail, ts }) =>
        this.send({ type: 'ALERT', kind: 'venue-connection', account_id: accountId, state, message: `venue ${accountId} ${state}${detail ? `: ${detail}` : ''}`, at: isoTime(ts) }, true),
      ),
      bus.on('venue-difference', ({ accountId, reason, difference, ts }) =>
        this.send({ type: 'ALERT', kind: `venue-${difference.kind}`, account_id: accountId, reason, message: `reconciliation (${reason}) on ${accountId}: ${difference.kind}`, difference, at: isoTime(ts) }, true),
      ),
      bus.on('kill-switch', ({ engaged, reason, ts }) => this.send({ type: 'ALERT', kind: engaged ? 'kill-switch-engaged' : 'kill-switch-reset', account_id: 'all', message: reason, at: isoTime(ts) }, true)),
      bus.on('scan-result', ({ botId, snapshot }) => this.broadcast('SCAN_RESULT', { bot_id: botId, ...snapshot })),
      bus.on('engine-state', ({ botId, transition }) =>
        this.broadcast('ENGINE_UPDATE', {
          bot_id: botId,
          state: transition.to,
          previous_state: transition.from,
          command: transition.event,
          reason: transition.reason,
          metadata: transition.metadata,
        }),
      ),
    );
    const barIntervals = this.deps.barIntervals ?? [];
    if (barIntervals.length > 0)
      this.cancels.push(
        bus.on('bar', ({ bar }) => {
          if (!barIntervals.includes(bar.intervalMs)) return;
          this.broadcast('BAR', { symbol: bar.symbol, interval_ms: bar.intervalMs, bar: { time: bar.start, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume } });
        }),
      );
    const hb = this.deps.heartbeat;
    if (hb) this.cancels.push(scheduler.every(hb.everyMs, () => this.broadcast('HEARTBEAT', hb.payload())));
  }

  /** One account's trading activity: positions, fills, scans, orders, closed trades, signals. */
  private activity(bus: Kernel['bus']): Cancel[] {
    return [
      bus.on('account', ({ material }) => {
        if (material) this.sendAccount(true);
        else this.accountDirty = true;
      }),
      bus.on('position', ({ change }) => {
        if (change === 'marked') this.positionsDirty = true;
        else this.sendPositions(true);
      }),
      bus.on('fill', ({ fill, order }) => this.send({ type: 'TRADE_EXECUTION', ...seedTrade(fill, order), account_id: fill.accountId }, true)),
      bus.on('account-halted', ({ accountId, context, reason, ts }) =>
        this.send({ type: 'ALERT', kind: 'account-halted', account_id: accountId, message: `account ${accountId} halted: ${reason}`, context, at: isoTime(ts) }, true),
      ),
      bus.on('scan', ({ scan }) => this.send({ type: 'SCAN_SUMMARY', ...seedScan(scan) }, true)),
      // Seed 001 events: broadcast only, not in seed 000's event log.
      bus.on('order', ({ order, previous }) => {
        const view = seedOrder(order);
        const account_id = order.accountId;
        this.broadcast('ORDER_UPDATE', { order: view, previous_state: previous, account_id });
        if (previous === null) this.broadcast('ORDER_PLACED', { order: view, account_id });
        if (order.status === 'filled') this.broadcast('ORDER_FILLED', { order: view, account_id });
        if (order.status === 'cancelled') this.broadcast('ORDER_CANCELLED', { order: view, reason: order.reason, account_id });
      }),
      bus.on('position', ({ position, change }) => {
        if (change === 'opened') this.broadcast('POSITION_OPENED', { position: seedPosition(position) });
      }),
      bus.on('trade-closed', ({ trade }) =>
        this.broadcast('POSITION_CLOSED', {
          position_id: trade.positionId,
          symbol: trade.symbol,
          side: trade.side,
          qty: trade.qty,
          entry: trade.entryPrice,
          exit: trade.exitPrice,
          pnlUsd: trade.netPnl,
          pnlR: trade.pnlR,
          fees: trade.fees,
          openedAt: isoTime(trade.openedAt),
          closedAt: isoTime(trade.closedAt),
          bot_id: trade.botId,
        }),
      ),
      bus.on('signal', ({ signal }) => this.broadcast('SIGNAL', { ...signal, ts: isoTime(signal.ts) })),
    ];
  }

  private broadcast(type: string, payload: Record<string, unknown>): void {
    this.deps.stream.emit({ type, timestamp: isoTime(this.deps.clock.now()), ...payload, data: payload });
  }

  stop(): void {
    for (const c of this.cancels) c();
    this.cancels = [];
    this.flushLog();
  }

  /** Sends coalesced mark-to-market updates and writes the event log to the store. */
  refresh(): void {
    if (this.positionsDirty) this.sendPositions(false);
    if (this.accountDirty) this.sendAccount(false);
    this.flushLog();
  }

  private sendAccount(logged: boolean): void {
    this.accountDirty = false;
    // `account` is the engine's (seed 000); `accounts` (an extension) each shown account's, the demo bot's too.
    const accounts = [this.deps.kernel, ...(this.deps.alsoShow ?? [])].map((k) => seedAccount(k.portfolio.view(), this.deps.mode));
    this.send({ type: 'ACCOUNT_UPDATE', account: seedAccount(this.deps.kernel.portfolio.view(), this.deps.mode), accounts }, logged);
  }

  private sendPositions(logged: boolean): void {
    this.positionsDirty = false;
    const kernels = [this.deps.kernel, ...(this.deps.alsoShow ?? [])];
    this.send({ type: 'POSITION_UPDATE', positions: kernels.flatMap((k) => k.portfolio.openPositions()).map(seedPosition) }, logged);
  }

  private send(event: StreamEvent, logged: boolean): void {
    const now = this.deps.clock.now();
    const envelope = this.deps.state.apply(event, now, logged);
    if (logged) {
      const { data: _data, ...entry } = envelope;
      this.pendingLog.push({ type: event.type, ts: now, payload: entry });
    }
    this.deps.stream.emit(envelope);
  }

  private flushLog(): void {
    if (this.pendingLog.length === 0) return;
    const batch = this.pendingLog;
    this.pendingLog = [];
    try {
      this.deps.store.appendEvents(batch);
    } catch (error) {
      // The event log could not be written (disk full, read-only): keep the newest events for the
      // next try, bounded, and let the caller report it. Orders and fills have their own journal.
      this.pendingLog = [...batch, ...this.pendingLog].slice(-MAX_PENDING_LOG);
      throw error;
    }
  }
}
