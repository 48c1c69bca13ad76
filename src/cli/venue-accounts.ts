import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CcxtBroker } from '../adapters/broker-ccxt.js';
import type { VenueReconciler } from '../app/venue-reconciler.js';
import { LiveAccounts } from '../app/live-accounts.js';
import type { Clock } from '../core/clock.js';
import type { InstrumentRegistry } from '../core/instruments.js';
import type { JournalStore, Scheduler } from '../core/ports.js';
import type { VenueConnectionState } from '../core/venue.js';
import type { Kernel } from '../engine/kernel.js';
import { accountLimits, matchOnTicks, paperBroker } from './accounts.js';
import type { CcxtAccountConfig, PaperAccountConfig, TradewindConfig } from './config-schema.js';
import { Kernel as KernelClass } from '../engine/kernel.js';

/** One configured account as `tradewind accounts` and GET /api/accounts show it (no secret in it). */
export interface AccountStatus {
  id: string;
  kind: 'paper' | 'bridge' | 'ccxt';
  exchange?: string;
  environment?: 'testnet' | 'mainnet';
  state: VenueConnectionState | 'ready' | 'online' | 'offline';
  detail: string;
  /** Names of the environment variables holding its credentials (never their values). */
  credentialEnv?: string[];
}

export interface VenueAccount {
  id: string;
  kind: 'paper' | 'ccxt';
  kernel: Kernel;
  config: PaperAccountConfig | CcxtAccountConfig;
  status(): AccountStatus;
  broker?: CcxtBroker;
  reconciler?: VenueReconciler;
  stop(): Promise<void>;
}

const JOURNAL_TAG_KEY = 'venue.journalTag';

/** A short random tag of this journal, made once: the front of every venue client order id. */
export function journalTag(store: JournalStore): string {
  const existing = store.getMeta(JOURNAL_TAG_KEY);
  if (existing) return existing;
  const tag = randomBytes(4).toString('base64url').slice(0, 6);
  store.setMeta(JOURNAL_TAG_KEY, tag);
  return tag;
}

export interface Common {
  config: TradewindConfig;
  store: JournalStore;
  clock: Clock;
  scheduler: Scheduler;
  instruments: InstrumentRegistry;
  log: Logger;
  env: Record<string, string | undefined>;
}

export function kernelFor(o: Common, a: PaperAccountConfig | CcxtAccountConfig, broker: ConstructorParameters<typeof KernelClass>[0]['broker'], log: Logger): Kernel {
  return new KernelClass({
    clock: o.clock,
    store: o.store,
    broker,
    instruments: o.instruments,
    account: { id: a.id, currency: a.currency ?? o.config.account.currency, startingBalance: a.startingBalance, leverage: o.config.account.leverage },
    risk: { ...o.config.risk, ...a.risk },
    // The account-wide limits (`risk` with `risk.accounts.<id>` over it), as every other account has.
    limits: accountLimits(o.config, a.id),
    scanIntervalMs: o.config.stream.scanIntervalMs,
    historyBars: o.config.feed.historyBars,
    idPrefix: `${a.id}-`,
    onError: (error, context) => log.error({ err: error }, `kernel error in ${context}`),
  });
}

/**
 * The `accounts` list's paper and ccxt accounts, each on its own kernel (the bridge entry maps onto
 * the bridge block). The ccxt wiring (and ccxt itself, ~20 MB of modules) is loaded only when an
 * exchange account is configured.
 */
export async function createVenueAccounts(o: Common): Promise<VenueAccount[]> {
  const ccxtAccount = o.config.accounts.some((a) => a.kind === 'ccxt') ? (await import('./ccxt-account.js')).ccxtAccount : null;
  const out: VenueAccount[] = [];
  for (const a of o.config.accounts) {
    if (a.kind === 'paper') {
      const log = o.log.child({ component: 'account', account: a.id });
      const broker = paperBroker(o.config, o.clock, o.instruments);
      const kernel = kernelFor(o, a, broker, log);
      matchOnTicks(kernel, broker);
      out.push({ id: a.id, kind: 'paper', kernel, config: a, status: () => ({ id: a.id, kind: 'paper', state: 'ready', detail: 'paper account (simulated fills)' }), stop: async () => {} });
    } else if (a.kind === 'ccxt' && ccxtAccount) {
      out.push(await ccxtAccount(o, a));
    }
  }
  return out;
}

/** Everything the server does with the `accounts` list, in one call from the composition root. */
export async function wireVenueAccounts(o: Common & { primary: Kernel; bridgeStatus: () => AccountStatus | null }): Promise<{
  accounts: VenueAccount[];
  statuses(): AccountStatus[];
  /** The exchange accounts live modes may run on (credentials set and not refused). */
  live: LiveAccounts;
  stop(): Promise<void>;
}> {
  const accounts = await createVenueAccounts(o);
  for (const a of accounts) {
    // Paper accounts match on the feed; exchange accounts see only a venue's real prices (feed.kind
    // ccxt), never simulated ones: their bots and marks then run on the live feed.
    if (a.kind === 'paper' || o.config.feed.kind === 'ccxt') o.primary.bus.on('tick', ({ tick }) => a.kernel.onTick(tick));
    // Their notices join the server's event log (GET /api/state, /ws).
    for (const type of ['venue-connection', 'venue-difference', 'venue-reconciled', 'fill-refused', 'account-halted'] as const) {
      a.kernel.bus.on(type, (e) => o.primary.bus.publish(e));
    }
  }
  return {
    accounts,
    statuses: () => [
      { id: o.config.account.id, kind: 'paper', state: 'ready', detail: 'primary paper account (simulated fills)' },
      ...[o.bridgeStatus()].filter((s): s is AccountStatus => s !== null),
      ...accounts.map((a) => a.status()),
    ],
    live: new LiveAccounts(() =>
      accounts.flatMap((a) => {
        if (a.config.kind !== 'ccxt') return [];
        const state = a.status().state;
        if (state === 'no-credentials' || state === 'auth-failed') return [];
        const symbols = Object.keys(a.config.instruments);
        // The ticks forwarded above: the venue feed's symbols, or none.
        const priced = o.config.feed.kind === 'ccxt' ? symbols.filter((s) => s in o.config.feed.symbols) : [];
        return [{ id: a.id, kernel: a.kernel, environment: a.config.environment, symbols, priced }];
      }),
    ),
    stop: async () => {
      await Promise.all(accounts.map((a) => a.stop()));
    },
  };
}
