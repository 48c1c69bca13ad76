import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { SweepTaskRefused, type SweepTask } from '../../core/sweep-queue.js';
import { SWEEP_TTL_S, bullConnection, sweepKeys } from './sweep-keys.js';

/**
 * KEYS: the sweep's meta hash, the hash to write (results or errors), the results hash, the
 * errors hash; ARGV: index, value, ttl, now. Writes once per index while the sweep runs, and
 * stamps finishedAt when it was the last point.
 */
const RECORD_IF_RUNNING = `
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return -1 end
local added = redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
local total = tonumber(redis.call('HGET', KEYS[1], 'total') or '0')
if redis.call('HLEN', KEYS[3]) + redis.call('HLEN', KEYS[4]) >= total then redis.call('HSETNX', KEYS[1], 'finishedAt', ARGV[4]) end
return added`;

export interface BullSweepWorkerOptions<Config, Result> {
  url: string;
  keyPrefix: string;
  /** Points run at once by this process. */
  concurrency: number;
  /** How long a point's lock lives without renewal; a dead worker's point is retried after it. */
  lockDurationMs: number;
  /** How often this worker looks for points whose worker died (stalled) and puts them back. */
  stalledIntervalMs: number;
  /** Times a point may be put back after its worker died before it counts as failed. */
  maxStalledCount: number;
  name: string;
  now: () => number;
  run: (task: SweepTask<Config>) => Promise<Result>;
  log: Logger;
}

export interface SweepWorkerStats {
  name: string;
  running: boolean;
  active: number;
  processed: number;
  failed: number;
  dropped: number;
}

/**
 * A `tradewind worker`'s consumer: takes sweep points from the `sweeps` queue and records each
 * result in its sweep's results hash (HSETNX, so a point run twice after a stall is recorded
 * once). A point of a cancelled or expired sweep is dropped unrun. The lock is renewed from this
 * process's event loop, so the runner must compute off it (worker threads).
 */
export class BullSweepWorker<Config, Result> {
  private readonly redis: Redis;
  private readonly worker: Worker<SweepTask<Config>>;
  private readonly stats_: SweepWorkerStats;

  constructor(private readonly o: BullSweepWorkerOptions<Config, Result>) {
    const keys = sweepKeys(o.keyPrefix);
    this.stats_ = { name: o.name, running: false, active: 0, processed: 0, failed: 0, dropped: 0 };
    this.redis = bullConnection(o.url, `tradewind:worker:${o.name}`);
    this.redis.on('error', () => {});
    const stillRunning = async (sweepId: string) => (await this.redis.hget(keys.meta(sweepId), 'state')) === 'running';
    // Checked and written in one step, so a sweep cancelled meanwhile gets nothing recorded after its cancel.
    const record = async (key: string, task: SweepTask<Config>, value: string) => {
      await this.redis.eval(RECORD_IF_RUNNING, 4, keys.meta(task.sweepId), key, keys.results(task.sweepId), keys.errors(task.sweepId), String(task.index), value, SWEEP_TTL_S, o.now());
    };
    this.worker = new Worker<SweepTask<Config>>(
      keys.queue,
      async (job: Job<SweepTask<Config>>) => {
        const task = job.data;
        if (!(await stillRunning(task.sweepId))) {
          this.stats_.dropped++;
          return 'dropped';
        }
        this.stats_.active++;
        try {
          const result = await o.run(task);
          await record(keys.results(task.sweepId), task, JSON.stringify(result));
          this.stats_.processed++;
          return 'recorded';
        } catch (error) {
          // A backtest that throws fails the same way on every worker: recorded, not retried.
          const message = error instanceof SweepTaskRefused || error instanceof Error ? error.message : String(error);
          o.log.warn({ component: 'worker', sweep: task.sweepId, index: task.index, err: message }, 'sweep point failed');
          await record(keys.errors(task.sweepId), task, message);
          this.stats_.failed++;
          return 'failed';
        } finally {
          this.stats_.active--;
        }
      },
      {
        connection: this.redis,
        prefix: keys.bull,
        name: o.name,
        concurrency: o.concurrency,
        lockDuration: o.lockDurationMs,
        stalledInterval: o.stalledIntervalMs,
        maxStalledCount: o.maxStalledCount,
        removeOnComplete: { count: 0 },
        removeOnFail: { count: 0 },
        autorun: false,
      },
    );
    this.worker.on('error', (err) => o.log.warn({ component: 'worker', err: err.message }, 'queue error'));
    this.worker.on('stalled', (id) => o.log.info({ component: 'worker', job: id }, 'a point whose worker stopped answering goes back to the queue'));
    // A point put back more often than maxStalledCount fails here (BullMQ): record why.
    this.worker.on('failed', (job, err) => {
      if (job && err.message.includes('stalled')) void record(keys.errors(job.data.sweepId), job.data, `its workers died ${o.maxStalledCount + 1} times: ${err.message}`).catch(() => {});
    });
  }

  /** Starts taking points; resolves once connected. */
  async start(): Promise<void> {
    void this.worker.run().catch((err: Error) => this.o.log.error({ component: 'worker', err: err.message }, 'worker stopped'));
    await this.worker.waitUntilReady();
    this.stats_.running = true;
  }

  stats(): SweepWorkerStats {
    return { ...this.stats_, running: this.stats_.running && this.worker.isRunning() };
  }

  /** Redis answers (for the health check). */
  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Finishes the points being run (their results recorded), then disconnects. */
  async close(): Promise<void> {
    this.stats_.running = false;
    await this.worker.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
