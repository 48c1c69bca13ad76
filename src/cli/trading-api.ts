import { performance } from 'node:perf_hooks';
import { MemoryTtlCache } from '../adapters/cache-memory.js';
import { kernelAccount, StaticAccountRegistry } from '../app/kernel-account.js';
import { TradingApiService } from '../app/trading-api.js';
import type { Clock } from '../core/clock.js';
import type { Scheduler } from '../core/ports.js';
import type { HealthProbe, TradingAccount, TtlCache } from '../core/trading-accounts.js';
import type { Kernel } from '../engine/kernel.js';
import type { BridgeAccount } from './bridge-account.js';

/**
 * Seed 002's trading API over the server's accounts: the primary paper account, the bridge
 * account and the Renko desk's own account (when it has one; on the bridge it is the bridge
 * account). Further account kinds join by adding their TradingAccount to `extra`.
 */
export function tradingApi(o: {
  clock: Clock;
  scheduler: Scheduler;
  kernel: Kernel;
  bridge: BridgeAccount | null;
  renkoKernel: Kernel | null;
  extra?: readonly TradingAccount[];
  /** Redis when configured: the shared cache and its health probe (else an in-memory cache). */
  redis?: { cache: TtlCache; probe: HealthProbe } | null;
}): TradingApiService {
  const accounts: TradingAccount[] = [kernelAccount(o.kernel, { kind: 'paper' })];
  const bridge = o.bridge;
  if (bridge) accounts.push(kernelAccount(bridge.kernel, { kind: 'bridge', offlineReason: () => bridge.broker.status().reason }));
  if (o.renkoKernel && o.renkoKernel !== bridge?.kernel) accounts.push(kernelAccount(o.renkoKernel, { kind: 'paper' }));
  accounts.push(...(o.extra ?? []));
  return new TradingApiService({
    registry: new StaticAccountRegistry(accounts),
    cache: o.redis?.cache ?? new MemoryTtlCache(o.clock),
    probes: o.redis ? [o.redis.probe] : [],
    clock: o.clock,
    timer: () => performance.now(),
    scheduler: o.scheduler,
  });
}
