import type { Order, OrderSide, OrderType } from '../core/orders.js';
import type { Kernel } from '../engine/kernel.js';
import type { TradingStore } from '../core/ports.js';
import { OrderValidationError } from '../engine/execution-engine.js';

export interface AccountOrderInput {
  symbol: string;
  side: OrderSide;
  type: OrderType;
  qty: number;
  price?: number;
  stopPrice?: number;
  /** entry (default) opens or adds, through the risk engine; exit only reduces. */
  purpose?: 'entry' | 'exit';
  /** The price the risk engine sizes a market entry against when the account has no price yet. */
  refPrice?: number;
}

export class AccountOrderError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 422 | 503,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Operator orders on one account (POST /api/accounts/:id/orders): entries pass the account's
 * risk engine (kill switch, open positions, leverage cap) before the execution engine journals
 * and sends them; exits only reduce a position.
 */
export class AccountOrders {
  constructor(
    private readonly accounts: (id: string) => { kernel: Kernel; available: () => boolean } | null,
    private readonly store: Pick<TradingStore, 'listOrders' | 'recentFills'>,
  ) {}

  place(accountId: string, input: AccountOrderInput): Order {
    const account = this.accounts(accountId);
    if (!account) throw new AccountOrderError(404, `no account ${accountId} (GET /api/accounts lists them)`);
    if (!account.available()) throw new AccountOrderError(503, `account ${accountId} is not connected to its venue`);
    const { kernel } = account;
    if (!kernel.instruments.find(input.symbol)) throw new AccountOrderError(422, `unknown symbol ${input.symbol}`);
    const purpose = input.purpose ?? 'entry';
    const price = input.type === 'limit' ? input.price : input.type === 'stop' ? input.stopPrice : (input.refPrice ?? kernel.data.lastPrice(input.symbol));
    if (purpose === 'entry' && !(Number(price) > 0)) throw new AccountOrderError(422, `no price known for ${input.symbol}: give refPrice for a market entry`);
    let outcome;
    try {
      // The one order entry: the account-wide risk checks see it as a manual order.
      outcome = kernel.submit(
        {
          botId: 'operator',
          symbol: input.symbol,
          side: input.side,
          type: input.type,
          purpose,
          qty: input.qty,
          price: input.price ?? null,
          stopPrice: input.stopPrice ?? null,
          reason: 'operator order',
          ...(Number(price) > 0 ? { refPrice: Number(price) } : {}),
        },
        'manual',
      );
    } catch (error) {
      if (error instanceof OrderValidationError) throw new AccountOrderError(422, error.message);
      throw error;
    }
    if (!outcome.ok) throw new AccountOrderError(409, `refused by risk (${outcome.code}): ${outcome.message}`);
    return outcome.order;
  }

  cancel(accountId: string, orderId: string): Order {
    const account = this.accounts(accountId);
    if (!account) throw new AccountOrderError(404, `no account ${accountId}`);
    const r = account.kernel.execution.cancel(orderId);
    if (!r.ok) throw new AccountOrderError(r.code === 'not_found' ? 404 : 409, r.message);
    return r.order;
  }

  orders(accountId: string, limit: number): Order[] {
    const account = this.accounts(accountId);
    if (!account) throw new AccountOrderError(404, `no account ${accountId}`);
    return account.kernel.execution.openOrders().slice(0, limit);
  }

  /** The account's journal: balance, open positions, recent orders and fills. */
  snapshot(accountId: string, limit: number): Record<string, unknown> {
    const account = this.accounts(accountId);
    if (!account) throw new AccountOrderError(404, `no account ${accountId}`);
    const { kernel } = account;
    return {
      account: kernel.portfolio.view(),
      positions: kernel.portfolio.openPositions(),
      orders: this.store.listOrders({ accountId, limit }),
      fills: this.store.recentFills(limit, accountId),
    };
  }
}
