import { Redis } from 'ioredis';

/** Where a sweep lives in Redis, under the configured key prefix (`tradewind:` by default). */
export interface SweepKeys {
  /** BullMQ's own prefix for the queue's keys. */
  bull: string;
  queue: string;
  meta(id: string): string;
  results(id: string): string;
  errors(id: string): string;
}

export const QUEUE_NAME = 'sweeps';
/** A sweep's own keys expire a week after it was started (its jobs are removed as they finish). */
export const SWEEP_TTL_S = 7 * 24 * 3600;

export function sweepKeys(keyPrefix: string): SweepKeys {
  return {
    bull: `${keyPrefix}bull`,
    queue: QUEUE_NAME,
    meta: (id) => `${keyPrefix}sweep:${id}`,
    results: (id) => `${keyPrefix}sweep:${id}:results`,
    errors: (id) => `${keyPrefix}sweep:${id}:errors`,
  };
}

/** BullMQ needs connections that retry commands forever (its blocking calls outlive outages). */
export function bullConnection(url: string, name: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: name });
}

export const jobId = (sweepId: string, index: number): string => `${sweepId}-${index}`;
