import { isoTime, type Clock } from '../core/clock.js';
import { closingSide } from '../core/portfolio-types.js';
import type { Bot } from '../engine/bot.js';
import type { Kernel } from '../engine/kernel.js';

/** One trading account the server runs: its kernel and what it is for. */
export interface TradingAccount {
  id: string;
  /** primary (the engine's paper account), demo (the demo bot's), desk (Renko desk), bridge. */
  role: string;
  kernel: Kernel;
}

/** What an emergency stop did on one account (the response's `accounts`). */
export interface AccountStopReport {
  account: string;
  role: string;
  halted_bots: string[];
  cancelled_orders: string[];
  /** Exit orders placed to flatten, one per open position. */
  closing_orders: { position: string; symbol: string; side: string; qty: number; order: string }[];
  /** Positions that already had an exit working. */
  already_closing: string[];
  /** Positions whose exit could not be sent (halted account, validation), with why. */
  failed: { position: string; symbol: string; reason: string }[];
}

/**
 * The kill switch over every account: an emergency stop engages each kernel's kill switch
 * (entries refused by the risk engine, exits still allowed), stops every bot, cancels every
 * working order and flattens every position; `reset` re-arms trading and restarts the bots it
 * stopped (except those `restartable` says no to, e.g. the engine's own bot).
 */
export class KillSwitch {
  private halted: { account: string; bot: Bot }[] = [];
  private engagedAt: number | null = null;
  private why: string | null = null;

  constructor(
    private readonly deps: {
      clock: Clock;
      accounts: () => readonly TradingAccount[];
      restartable?: (account: string, botId: string) => boolean;
      /** Publishes the `kill-switch` event (on the primary bus, which the dashboard streams). */
      publish?: (engaged: boolean, reason: string) => void;
    },
  ) {}

  get engaged(): boolean {
    return this.engagedAt !== null;
  }

  status() {
    return { engaged: this.engaged, reason: this.why, engaged_at: this.engagedAt === null ? null : isoTime(this.engagedAt), accounts: this.deps.accounts().map((a) => a.id) };
  }

  emergencyStop(reason: string): { engaged_at: string; accounts: AccountStopReport[] } {
    const now = this.deps.clock.now();
    this.engagedAt ??= now;
    this.why = reason;
    const reports = this.deps.accounts().map((a) => this.stopAccount(a, reason));
    this.deps.publish?.(true, reason);
    return { engaged_at: isoTime(this.engagedAt), accounts: reports };
  }

  reset(reason = 'reset'): { restarted_bots: string[] } {
    for (const a of this.deps.accounts()) a.kernel.killSwitch.release();
    const restarted: string[] = [];
    for (const { account, bot } of this.halted) {
      if (this.deps.restartable && !this.deps.restartable(account, bot.id)) continue;
      bot.start();
      restarted.push(bot.id);
    }
    this.halted = [];
    this.engagedAt = null;
    this.why = null;
    this.deps.publish?.(false, reason);
    return { restarted_bots: restarted };
  }

  /** Risk refusals since start over every account: totals by code and source, and per account. */
  refusals() {
    const by_code: Record<string, number> = {};
    const by_source: Record<string, number> = {};
    const by_account: Record<string, number> = {};
    let total = 0;
    for (const a of this.deps.accounts()) {
      const r = a.kernel.accountRisk.refusals();
      total += r.total;
      by_account[a.id] = r.total;
      for (const [k, n] of Object.entries(r.by_code)) by_code[k] = (by_code[k] ?? 0) + n;
      for (const [k, n] of Object.entries(r.by_source)) by_source[k] = (by_source[k] ?? 0) + n;
    }
    return { total, by_code, by_source, by_account };
  }

  private stopAccount(a: TradingAccount, reason: string): AccountStopReport {
    const { kernel } = a;
    const report: AccountStopReport = { account: a.id, role: a.role, halted_bots: [], cancelled_orders: [], closing_orders: [], already_closing: [], failed: [] };
    kernel.killSwitch.engage(reason);
    for (const bot of kernel.allBots()) {
      if (!bot.isRunning) continue;
      bot.stop();
      this.halted.push({ account: a.id, bot });
      report.halted_bots.push(bot.id);
    }
    for (const order of kernel.execution.openOrders()) {
      if (order.purpose !== 'entry' && order.type === 'market') continue; // an exit on its way out stays
      if (kernel.execution.cancel(order.id, `emergency stop: ${reason}`).ok) report.cancelled_orders.push(order.id);
    }
    for (const p of kernel.portfolio.openPositions()) {
      if (kernel.execution.hasOpenOrder(p.symbol, ['exit'])) {
        report.already_closing.push(p.id);
        continue;
      }
      const r = kernel.submit(
        { botId: p.botId, symbol: p.symbol, side: closingSide(p.side), type: 'market', purpose: 'exit', qty: p.qty, reason: `emergency stop: ${reason}`, tag: 'emergency' },
        'emergency',
      );
      if (r.ok) report.closing_orders.push({ position: p.id, symbol: p.symbol, side: r.order.side, qty: r.order.qty, order: r.order.id });
      else report.failed.push({ position: p.id, symbol: p.symbol, reason: `${r.code}: ${r.message}` });
    }
    return report;
  }
}
