import type { LiveAccounts } from '../live-accounts.js';
import type { EnvAccount } from './desk.js';
import type { DeskEnv } from './state.js';

/**
 * Seed 003 POST /api/env on exchange accounts: LIVE trades the mainnet ccxt account (credentials
 * set) that trades every desk symbol, and is refused, naming what is missing, when there is none;
 * DEMO trades such a testnet account (the venue's test network) when one is configured, else the
 * desk's own account (paper, or the bridge). Several fitting accounts of one environment: the
 * first configured.
 */
export function deskEnvAccounts(live: LiveAccounts, deskSymbols: readonly string[]): (env: DeskEnv) => EnvAccount {
  return (env) => {
    const all = live.of(env);
    const fit = all.find((a) => deskSymbols.every((s) => a.symbols.includes(s)));
    if (fit) return { ok: true, kernel: fit.kernel };
    if (env === 'DEMO') return { ok: true, kernel: null };
    if (all.length === 0) {
      const why = live.pick('LIVE');
      return { ok: false, reason: why.ok ? 'no mainnet exchange account' : why.reason };
    }
    return { ok: false, reason: `no mainnet exchange account with credentials trades ${deskSymbols.join(', ')} (${all.map((a) => `${a.id} trades ${a.symbols.join(', ')}`).join('; ')}): add them to its instruments or the desk's assets` };
  };
}
