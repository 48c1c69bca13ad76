import type { Kernel } from '../engine/kernel.js';

/** A venue account that live modes may trade on (a ccxt account whose credentials are set). */
export interface LiveAccount {
  id: string;
  kernel: Kernel;
  /** mainnet = LIVE, testnet = DEMO (the venue's test network). */
  environment: 'testnet' | 'mainnet';
  /** Kernel symbols the account trades. */
  symbols: readonly string[];
  /**
   * Symbols whose prices reach the account's kernel: the venue's market feed (feed.kind ccxt)
   * only, never the simulated one. A bot on any other symbol would never see a bar. Absent: not checked.
   */
  priced?: readonly string[];
}

/** Why a live run on `account` would see no market data for some of `symbols`; null when it sees them all. */
export function unpricedReason(account: LiveAccount, symbols: readonly string[]): string | null {
  const priced = account.priced;
  if (!priced) return null;
  const missing = symbols.filter((s) => !priced.includes(s));
  if (missing.length === 0) return null;
  return `account ${account.id} gets no market data for ${missing.join(', ')}: an exchange account's bots trade on the venue's prices, never the simulated feed's; configure feed.kind ccxt with feed.symbols naming ${missing.length > 1 ? 'them' : 'it'}`;
}

export type LivePick = { ok: true; account: LiveAccount } | { ok: false; reason: string };

/**
 * Picks the account a live run trades on. LIVE wants a mainnet account, DEMO a testnet one;
 * `ids` (seed 002 accounts_ids) narrows the choice to the named accounts. Paper stays the
 * default: callers ask only when a run asks for LIVE or names a venue account.
 */
export class LiveAccounts {
  constructor(private readonly accounts: () => readonly LiveAccount[]) {}

  has(id: string): boolean {
    return this.accounts().some((a) => a.id === id);
  }

  /** The accounts of an environment (LIVE: mainnet, DEMO: testnet). */
  of(env: 'LIVE' | 'DEMO'): LiveAccount[] {
    const wanted = env === 'LIVE' ? 'mainnet' : 'testnet';
    return this.accounts().filter((a) => a.environment === wanted);
  }

  pick(env: 'LIVE' | 'DEMO', ids: readonly string[] = []): LivePick {
    const wanted = env === 'LIVE' ? 'mainnet' : 'testnet';
    const all = this.accounts();
    const named = ids.length > 0 ? all.filter((a) => ids.includes(a.id)) : all;
    const fit = named.filter((a) => a.environment === wanted);
    if (fit.length === 0) {
      const names = all.map((a) => `${a.id} (${a.environment})`).join(', ') || 'none';
      return {
        ok: false,
        reason: `no ${wanted} exchange account with credentials${ids.length > 0 ? ` among ${ids.join(', ')}` : ''}; configured ccxt accounts with credentials: ${names}. Configure one under accounts (kind ccxt, environment ${wanted}) and set the environment variables it names`,
      };
    }
    if (fit.length > 1 && ids.length === 0) return { ok: false, reason: `several ${wanted} accounts (${fit.map((a) => a.id).join(', ')}): name one in accounts_ids` };
    return { ok: true, account: fit[0] as LiveAccount };
  }
}

/** Seed 002 accounts_ids entries naming our accounts: strings, or objects with account_id / id. */
export function accountIdsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v) => {
    if (typeof v === 'string') return [v];
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const id = o.account_id ?? o.id;
      return typeof id === 'string' ? [id] : [];
    }
    return [];
  });
}
