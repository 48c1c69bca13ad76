// An exchange account through ccxt (`accounts` entries of kind ccxt): its venue client, broker,
// reconciler and connection loop. Loaded by venue-accounts.ts only when such an account is configured.
import { CcxtBroker, fillOf } from '../adapters/broker-ccxt.js';
import { clientIds } from '../adapters/ccxt/client-ids.js';
import { createExchange } from '../adapters/ccxt/exchange.js';
import { ccxtErrors } from '../adapters/ccxt/library.js';
import { errorText, redactor } from '../adapters/ccxt/redact.js';
import { isTransient } from '../adapters/ccxt/retry.js';
import { CcxtVenue } from '../adapters/ccxt/venue.js';
import { VenueReconciler } from '../app/venue-reconciler.js';
import type { Cancel } from '../core/ports.js';
import type { Kernel } from '../engine/kernel.js';
import { credentialsOf } from './accounts-config.js';
import type { CcxtAccountConfig } from './config-schema.js';
import { ConfigError } from './config.js';
import { journalTag, kernelFor, type Common, type VenueAccount } from './venue-accounts.js';

export async function ccxtAccount(o: Common, a: CcxtAccountConfig): Promise<VenueAccount> {
  for (const s of Object.keys(a.instruments)) if (!o.instruments.find(s)) throw new ConfigError(`accounts ${a.id}: unknown instrument ${s}`);
  const log = o.log.child({ component: 'venue', account: a.id });
  const creds = credentialsOf(a, o.env);
  const redact = redactor(creds.ok ? [creds.credentials.apiKey, creds.credentials.secret, creds.credentials.password ?? ''] : []);
  const describe = (e: unknown) => redact(errorText(e));
  const ids = clientIds(journalTag(o.store));
  const sleep = (ms: number) => new Promise<void>((r) => o.scheduler.after(ms, r));
  const exchange = await createExchange({
    exchange: a.exchange,
    marketType: a.marketType,
    environment: a.environment,
    apiKey: creds.ok ? creds.credentials.apiKey : '',
    secret: creds.ok ? creds.credentials.secret : '',
    password: creds.ok ? creds.credentials.password : undefined,
    timeoutMs: a.timeoutMs,
    recvWindowMs: a.recvWindowMs,
    rateLimitWindowMs: a.rateLimitWindowMs,
    urls: a.urls,
    pro: a.userStream,
  });
  const retryAfterMs = () => {
    const h = (exchange.last_response_headers ?? {}) as Record<string, string | undefined>;
    const v = Number(h['Retry-After'] ?? h['retry-after']);
    return Number.isFinite(v) && v > 0 ? v * 1000 : undefined;
  };
  const venue = new CcxtVenue({
    exchange,
    instruments: a.instruments,
    currency: a.currency,
    ids,
    derivatives: a.marketType !== 'spot',
    retry: { maxAttempts: a.maxAttempts, backoffMs: a.backoffMs, sleep, retryAfterMs, onRetry: (e, n, ms) => log.warn(`venue request failed (attempt ${n}), retrying in ${ms} ms: ${describe(e)}`) },
  });
  let kernel: Kernel | null = null;
  let reconciler: VenueReconciler | null = null;
  let detail = creds.ok ? 'not connected yet' : `credentials missing: set ${creds.missing.join(', ')}`;
  const broker = new CcxtBroker({
    clock: o.clock,
    scheduler: o.scheduler,
    accountId: a.id,
    venue,
    ids,
    hasFill: (id) => o.store.hasFill(id),
    userStream: a.userStream,
    backoffMs: a.backoffMs,
    redact,
    resolve: (orderId) => reconciler?.resolveOrder(orderId),
    onState: (state, text) => {
      detail = text;
      const level = state === 'connected' ? 'info' : state === 'auth-failed' ? 'error' : 'warn';
      log[level]({ state }, `venue ${a.id}: ${state}${text ? ` (${text})` : ''}`);
      kernel?.bus.publish({ type: 'venue-connection', accountId: a.id, state, detail: text, ts: o.clock.now() });
    },
    log: (level, message) => log[level](message),
  });
  kernel = kernelFor(o, a, broker, log);
  const k = kernel;
  broker.orderLookup = (id) => o.store.getOrder(id);
  reconciler = new VenueReconciler({
    accountId: a.id,
    clock: o.clock,
    scheduler: o.scheduler,
    venue,
    broker,
    clientIdOf: (id) => ids.toVenue(id),
    fillOf: (orderId, t) => fillOf(a.id, orderId, t),
    journal: {
      openOrders: () => k.execution.openOrders(),
      getOrder: (id) => o.store.getOrder(id),
      hasFill: (id) => o.store.hasFill(id),
      positions: () => k.portfolio.openPositions(),
      balance: () => k.portfolio.accountState().balance,
      qtyStep: (s) => o.instruments.find(s)?.qtyStep ?? 1e-8,
    },
    unknownOrders: a.unknownOrders,
    adopt: (v) => k.execution.adopt({ symbol: v.symbol, side: v.side, type: v.type, qty: v.qty, price: v.price, stopPrice: v.stopPrice, brokerOrderId: v.venueOrderId, reason: `adopted from the venue (client id ${v.clientOrderId ?? 'none'})` }),
    cancelAtVenue: async (v) => {
      await exchange.cancelOrder(v.venueOrderId, venue.marketOf(v.symbol), v.conditional ? { trigger: true } : {});
    },
    recvWindowMs: a.recvWindowMs,
    balanceTolerance: a.balanceTolerance,
    backoffMs: a.backoffMs,
    publish: (e) => k.bus.publish(e),
    describe,
  });
  const rec = reconciler;
  k.bus.on('venue-difference', ({ difference, reason }) => log.warn({ difference, reason }, `reconciliation (${reason}): ${difference.kind}`));
  k.bus.on('order', ({ order, previous }) => log.info({ orderId: order.id, symbol: order.symbol, side: order.side, type: order.type, qty: order.qty, from: previous, to: order.status, reason: order.reason }, 'venue order'));

  let stopped = false;
  let periodic: Cancel = () => {};
  const connect = async (): Promise<void> => {
    if (!creds.ok) {
      broker.setState('no-credentials', detail);
      return;
    }
    for (let attempt = 0; !stopped; attempt += 1) {
      try {
        await venue.connect();
        broker.setState('connected', `${a.exchange} ${a.environment}`);
        broker.startStream(() => void rec.reconcile('reconnect'));
        await rec.reconcile('start');
        periodic = o.scheduler.every(1_000, () => {
          if (!broker.isAvailable()) return;
          // Without the user stream, REST polling is the fill path: reconcile more often.
          const period = broker.userStreamUp ? a.reconcileSeconds * 1000 : Math.min(a.reconcileSeconds * 1000, 2_000);
          if (o.clock.now() - rec.lastRun >= period) void rec.reconcile('periodic');
        });
        return;
      } catch (error) {
        if (stopped) return;
        if (error instanceof ccxtErrors.AuthenticationError) {
          // The venue refused the credentials: a clear error, no retry storm.
          broker.setState('auth-failed', `the venue refused the credentials (${describe(error)}); fix ${a.apiKeyEnv} / ${a.secretEnv} and restart`);
          return;
        }
        if (!isTransient(error)) {
          broker.setState('disconnected', `cannot trade on this account: ${describe(error)}`);
          return;
        }
        broker.setState('disconnected', describe(error));
        await sleep(Math.min(a.backoffMs * 2 ** Math.min(attempt, 7), 30_000));
      }
    }
  };
  void connect();
  return {
    id: a.id,
    kind: 'ccxt',
    kernel: k,
    config: a,
    broker,
    reconciler: rec,
    status: () => ({
      id: a.id,
      kind: 'ccxt',
      exchange: a.exchange,
      environment: a.environment,
      state: broker.connection,
      detail: creds.ok ? detail : `credentials missing: set ${creds.missing.join(', ')}`,
      credentialEnv: [a.apiKeyEnv, a.secretEnv, ...(a.passwordEnv ? [a.passwordEnv] : [])],
    }),
    async stop() {
      stopped = true;
      periodic();
      await broker.stop();
    },
  };
}
