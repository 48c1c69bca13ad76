import type { AccountConnection, TradingAccount, TradingAccountRegistry } from '../core/trading-accounts.js';
import type { Kernel } from '../engine/kernel.js';

/**
 * A TradingAccount over one of the server's kernels (paper, bridge, Renko desk): its portfolio
 * and open orders are the journal's truth, kept in memory by the kernel. Connected while its
 * broker can take orders (a bridge: while its heartbeat is fresh) and the account is not halted
 * (a journal write failed).
 */
export function kernelAccount(
  kernel: Kernel,
  o: {
    id?: string;
    name?: string;
    kind: string;
    /** Why the broker cannot take orders (asked only while it cannot); its name by default. */
    offlineReason?: () => string | null;
  },
): TradingAccount {
  const id = o.id ?? kernel.portfolio.accountId;
  return {
    id,
    name: o.name ?? id,
    kind: o.kind,
    connection(): AccountConnection {
      const halted = kernel.execution.halted();
      if (halted) return { connected: false, reason: `account halted: ${halted.reason}` };
      if (kernel.broker.isAvailable()) return { connected: true, reason: null };
      return { connected: false, reason: o.offlineReason?.() ?? `${kernel.broker.name}: not available` };
    },
    positions: () => Promise.resolve(kernel.portfolio.openPositions()),
    workingOrders: () => Promise.resolve(kernel.execution.openOrders()),
    balance: () => Promise.resolve(kernel.portfolio.view()),
  };
}

/** A fixed list of accounts; ids must be unique (the same kernel twice is one account). */
export class StaticAccountRegistry implements TradingAccountRegistry {
  private readonly accounts: readonly TradingAccount[];

  constructor(accounts: readonly TradingAccount[]) {
    const seen = new Set<string>();
    this.accounts = accounts.filter((a) => {
      if (seen.has(a.id)) return false;
      seen.add(a.id);
      return true;
    });
  }

  list(): readonly TradingAccount[] {
    return this.accounts;
  }
}
