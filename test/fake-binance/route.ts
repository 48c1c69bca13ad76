// The shape of a REST route of the fake venue.
import type { Account } from './account.js';
import type { Params } from './params.js';
import type { Venue } from './venue.js';

export type Security = 'NONE' | 'USER_STREAM' | 'SIGNED';

export interface Ctx {
  venue: Venue;
  params: Params;
  /** The account of the API key (USER_STREAM and SIGNED routes). */
  account: Account;
  now: number;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  security: Security;
  /** Request weight (X-MBX-USED-WEIGHT-1M). */
  weight: number | ((p: Params) => number);
  /** Counts toward the new-order limits (X-MBX-ORDER-COUNT-*). */
  orders?: (p: Params) => number;
  handle(ctx: Ctx): unknown;
}

export const bySymbol = (withSymbol: number, without: number) => (p: Params) => (p.symbol ? withSymbol : without);
