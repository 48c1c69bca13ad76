// The parts of ccxt a server uses, loaded one by one. ccxt's package exports only its index, and
// the index loads every exchange it has (over 250 REST and WebSocket classes: about 1.2 s of CPU,
// 2-3 s of wall time on this machine, at every start of a server with a venue account, half of a
// crash-restart's time). A server needs the classes of the venues it trades and the error classes:
// those are loaded from the package's own files, the very modules the index imports (same URLs,
// hence the same classes, so `instanceof` holds whichever way a class was loaded). Written by hand:
// ccxt offers no per-exchange entry point. An id without a file of its own falls back to the index.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as Ccxt from 'ccxt';
import type { Exchange } from 'ccxt';

export type ExchangeClass = new (options: Record<string, unknown>) => Exchange;

/** ccxt's `js/` directory (its index is js/ccxt.js). */
const ccxtDir = new URL('./', import.meta.resolve('ccxt'));

type ErrorClasses = Pick<typeof Ccxt, 'AuthenticationError' | 'BadSymbol' | 'DuplicateOrderId' | 'MarginModeAlreadySet' | 'NetworkError' | 'OperationFailed' | 'OrderNotFound' | 'RequestTimeout'>;

/** ccxt's error classes (js/src/base/errors.js, a small module with no exchange in it). */
export const ccxtErrors = (await import(new URL('src/base/errors.js', ccxtDir).href)) as ErrorClasses;

const ID = /^[a-z][a-z0-9]*$/;
const fileOf = (id: string, pro: boolean) => new URL(`src/${pro ? 'pro/' : ''}${id}.js`, ccxtDir);

/** ccxt has this exchange (as a WebSocket one with `pro`), judged by its module file. */
export const hasExchange = (id: string, pro: boolean): boolean => ID.test(id) && existsSync(fileURLToPath(fileOf(id, pro)));

/** The exchange's ccxt class (ccxt.pro's with `pro`), or null when ccxt has none of that id. */
export async function exchangeClass(id: string, pro: boolean): Promise<ExchangeClass | null> {
  if (!ID.test(id)) return null;
  if (hasExchange(id, pro)) return ((await import(fileOf(id, pro).href)) as { default: ExchangeClass }).default;
  // A REST class without a WebSocket one: ccxt.pro does not have it.
  if (pro && hasExchange(id, false)) return null;
  const index = (await import('ccxt')).default as unknown as Record<string, unknown> & { pro: Record<string, unknown>; exchanges: string[] };
  if (!index.exchanges.includes(id)) return null;
  return ((pro ? index.pro[id] : index[id]) as ExchangeClass | undefined) ?? null;
}
