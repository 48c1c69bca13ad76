// `tradewind accounts`' connection check of one ccxt account: loaded only when there is one to probe.
import { clientIds } from '../adapters/ccxt/client-ids.js';
import { createExchange } from '../adapters/ccxt/exchange.js';
import { ccxtErrors } from '../adapters/ccxt/library.js';
import { errorText, redactor } from '../adapters/ccxt/redact.js';
import { CcxtVenue } from '../adapters/ccxt/venue.js';
import { credentialsOf } from './accounts-config.js';
import type { CcxtAccountConfig } from './config-schema.js';
import type { AccountStatus } from './venue-accounts.js';

/** Connects to one ccxt account (markets and balance, nothing changed) and says how it went. */
export async function probe(a: CcxtAccountConfig, env: Record<string, string | undefined>): Promise<Pick<AccountStatus, 'state' | 'detail'>> {
  const creds = credentialsOf(a, env);
  if (!creds.ok) return { state: 'no-credentials', detail: `set ${creds.missing.join(', ')}` };
  const redact = redactor([creds.credentials.apiKey, creds.credentials.secret, creds.credentials.password ?? '']);
  const exchange = await createExchange({ ...a, ...creds.credentials, pro: false });
  const venue = new CcxtVenue({ exchange, instruments: a.instruments, currency: a.currency, ids: clientIds('probe'), derivatives: a.marketType !== 'spot', retry: { maxAttempts: 1, backoffMs: 0, sleep: async () => {} } });
  try {
    await venue.check();
    const b = await venue.balance();
    return { state: 'connected', detail: `${a.exchange} ${a.environment}, ${b.currency} wallet ${b.total}` };
  } catch (error) {
    const text = redact(errorText(error));
    return error instanceof ccxtErrors.AuthenticationError ? { state: 'auth-failed', detail: `credentials refused: ${text}` } : { state: 'disconnected', detail: text };
  } finally {
    await exchange.close().catch(() => undefined);
  }
}
