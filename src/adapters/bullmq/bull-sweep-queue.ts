import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SweepQueueUnavailable, type SweepDataRef, type SweepQueue, type SweepRecord, type SweepSnapshot, type SweepState, type SweepTask } from '../../core/sweep-queue.js';
import { SWEEP_TTL_S, jobId, sweepKeys, type SweepKeys } from './sweep-keys.js';

export interface BullSweepQueueOptions {
  url: string;
  keyPrefix: string;
  now: () => number;
}

/**
 * The coordinator's side of a distributed sweep: each grid point becomes one BullMQ job on the
 * `sweeps` queue (taken by `tradewind worker` processes); the sweep's description, each point's
 * result (HSETNX: once per index, however often a point was run) and errors live in hashes
 * next to it, so any API instance can report progress or cancel.
 */
export class BullSweepQueue<Config, Result> implements SweepQueue<Config, Result> {
  readonly where = 'redis' as const;
  private readonly redis: Redis;
  private readonly queue: Queue;
  private readonly keys: SweepKeys;

  constructor(private readonly options: BullSweepQueueOptions) {
    this.keys = sweepKeys(options.keyPrefix);
    // Fails fast while Redis is down (no command waits for it): a request gets a clear 503.
    this.redis = new Redis(options.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectionName: 'tradewind:sweeps' });
    this.redis.on('error', () => {}); // reported by the calls that fail
    this.queue = new Queue(this.keys.queue, { connection: this.redis, prefix: this.keys.bull });
    this.queue.on('error', () => {}); // likewise (BullMQ would print every failed reconnect)
  }

  /** Waits up to `ms` for the connection (just opened, or reconnecting); refuses past that. */
  private async ready(ms = 3_000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        reject(new SweepQueueUnavailable(`Redis does not answer (${this.redis.status}): sweeps need it while it is configured`));
      }, ms);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.redis.once('ready', onReady);
    });
  }

  async start(id: string, data: SweepDataRef, configs: Config[], meta: Record<string, unknown>): Promise<SweepRecord> {
    await this.ready();
    const createdAt = this.options.now();
    const metaKey = this.keys.meta(id);
    await this.redis
      .multi()
      .hset(metaKey, { state: 'running', total: configs.length, createdAt, meta: JSON.stringify(meta), data: JSON.stringify(data) })
      .expire(metaKey, SWEEP_TTL_S)
      .exec();
    const jobs = configs.map((config, index) => ({
      name: 'point',
      data: { sweepId: id, index, config, data } satisfies SweepTask<Config>,
      opts: { jobId: jobId(id, index), removeOnComplete: true, removeOnFail: true },
    }));
    // Chunks keep each MULTI of addBulk small for very large grids.
    for (let i = 0; i < jobs.length; i += 500) await this.queue.addBulk(jobs.slice(i, i + 500));
    return { id, state: 'running', total: configs.length, done: 0, failed: 0, createdAt, finishedAt: null, meta };
  }

  async snapshot(id: string): Promise<SweepSnapshot<Result> | null> {
    await this.ready();
    const [[, meta], [, results], [, errors]] = (await this.redis.multi().hgetall(this.keys.meta(id)).hgetall(this.keys.results(id)).hgetall(this.keys.errors(id)).exec()) as [
      [unknown, Record<string, string>],
      [unknown, Record<string, string>],
      [unknown, Record<string, string>],
    ];
    if (!meta.total) return null;
    const total = Number(meta.total);
    const done = Object.keys(results).length;
    const failed = Object.keys(errors).length;
    let state = meta.state as SweepState;
    if (state === 'running' && done + failed >= total) state = done === 0 && failed > 0 ? 'failed' : 'done';
    return {
      record: { id, state, total, done, failed, createdAt: Number(meta.createdAt), finishedAt: meta.finishedAt ? Number(meta.finishedAt) : null, meta: JSON.parse(meta.meta ?? '{}') as Record<string, unknown> },
      results: Object.values(results).map((r) => JSON.parse(r) as Result),
      errors: Object.entries(errors).map(([index, error]) => ({ index: Number(index), error })).sort((a, b) => a.index - b.index),
    };
  }

  async cancel(id: string): Promise<SweepRecord | null> {
    const before = await this.snapshot(id);
    if (!before) return null;
    if (before.record.state !== 'running') return before.record;
    await this.redis.hset(this.keys.meta(id), { state: 'cancelled', finishedAt: this.options.now() });
    // Points not yet taken are removed; a point being run finishes, and its worker drops it.
    const finished = new Set([...(await this.redis.hkeys(this.keys.results(id))), ...(await this.redis.hkeys(this.keys.errors(id)))].map(Number));
    const open: number[] = [];
    for (let i = 0; i < before.record.total; i++) if (!finished.has(i)) open.push(i);
    for (let i = 0; i < open.length; i += 200) await Promise.all(open.slice(i, i + 200).map((n) => this.queue.remove(jobId(id, n)).catch(() => 0)));
    return (await this.snapshot(id))?.record ?? null;
  }

  /** Worker processes connected to the queue now. */
  workers(): Promise<number> {
    return this.queue.getWorkersCount();
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
