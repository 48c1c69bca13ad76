import { availableParallelism } from 'node:os';
import { hashFile } from '../adapters/columnar-cache/build.js';
import { SweepService } from '../app/sweep-service.js';
import type { BacktestConfig } from '../backtest/backtester.js';
import { LocalSweepQueue } from '../backtest/local-sweep-queue.js';
import { SweepRunner } from '../backtest/sweep-runner.js';
import type { SweepResult } from '../backtest/sweep.js';
import { BUILTIN_INSTRUMENTS } from '../core/instruments.js';
import type { SweepQueue } from '../core/sweep-queue.js';
import type { TradewindConfig } from './config-schema.js';

/**
 * The sweep queue: BullMQ on Redis when `redis.url` is set (points go to `tradewind worker`
 * processes), otherwise this process's worker threads (`threads`, default the cores).
 */
export async function openSweepQueue(redis: TradewindConfig['redis'], o: { cacheDir?: string; threads?: number; now: () => number; local?: boolean }): Promise<SweepQueue<BacktestConfig, SweepResult>> {
  if (redis.url !== '' && !o.local) {
    // BullMQ (and ioredis) are loaded only when Redis is configured: a default start stays lean.
    const { BullSweepQueue } = await import('../adapters/bullmq/bull-sweep-queue.js');
    return new BullSweepQueue<BacktestConfig, SweepResult>({ url: redis.url, keyPrefix: redis.keyPrefix, now: o.now });
  }
  return new LocalSweepQueue(new SweepRunner({ threads: o.threads ?? availableParallelism(), cacheDir: o.cacheDir }), o.now);
}

export function sweepService(queue: SweepQueue<BacktestConfig, SweepResult>, dataDir: string | null): SweepService {
  return new SweepService({ queue, fingerprint: hashFile, dataDir, instruments: BUILTIN_INSTRUMENTS });
}
