import { Command, InvalidArgumentError } from 'commander';
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { BullSweepWorker } from '../adapters/bullmq/bull-sweep-worker.js';
import type { BacktestConfig } from '../backtest/backtester.js';
import { SweepRunner } from '../backtest/sweep-runner.js';
import type { SweepResult } from '../backtest/sweep.js';
import type { TradewindConfig } from './config-schema.js';
import { ConfigError, redactUrl } from './config.js';
import { createLogger } from './logger.js';

const count = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 0)) throw new InvalidArgumentError(`${name} must be an integer >= 0`);
  return n;
};
const envInt = (name: string): number | undefined => {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 0)) throw new ConfigError(`${name} must be an integer >= 0, got ${JSON.stringify(v)}`);
  return n;
};

export interface WorkerCliOptions {
  config?: string;
  dataDir?: string;
  concurrency?: number;
  healthPort?: number;
  healthHost?: string;
  lockMs?: number;
  stalledMs?: number;
  name?: string;
}

/**
 * `tradewind worker`: takes parameter sweep points from Redis (BullMQ) and runs them on its own
 * worker threads. A point whose worker dies is put back after its lock expires (`--lock-ms`,
 * checked every `--stalled-ms` by the other workers) and run elsewhere.
 */
export function workerCommand(configOf: (opts: { config?: string; dataDir?: string }) => TradewindConfig): Command {
  return new Command('worker')
    .description('run parameter sweep points taken from Redis (REDIS_URL), see README "Running at scale"')
    .option('-c, --config <file>', 'configuration file (redis.url, redis.keyPrefix, dataDir)')
    .option('-d, --data-dir <dir>', 'directory of the columnar cache (env DATA_DIR)')
    .option('--concurrency <n>', 'points run at once, each on its own thread (env WORKER_CONCURRENCY; default: the cores)', count('--concurrency'))
    .option('--health-port <port>', 'serve GET /health on this port (env WORKER_HEALTH_PORT; 0: any free port; default: none)', count('--health-port'))
    .option('--health-host <host>', 'address of the health port (env WORKER_HEALTH_HOST)', undefined)
    .option('--lock-ms <ms>', 'lock of a point being run; a dead worker\'s point is retried after it (env WORKER_LOCK_MS; default 30000)', count('--lock-ms'))
    .option('--stalled-ms <ms>', 'how often dead workers\' points are looked for (env WORKER_STALLED_MS; default 30000)', count('--stalled-ms'))
    .option('--name <name>', 'worker name shown on its jobs (env WORKER_NAME; default host:pid)')
    .action(async (opts: WorkerCliOptions) => {
      const code = await runWorker(configOf(opts), opts);
      if (code !== 0) process.exitCode = code;
    });
}

async function runWorker(config: TradewindConfig, opts: WorkerCliOptions): Promise<number> {
  if (config.redis.url === '') {
    process.stderr.write('tradewind worker: no Redis configured: set REDIS_URL (or redis.url in the configuration)\n');
    return 2;
  }
  const dataDir = resolve(config.dataDir);
  const log = createLogger({ level: config.log.level, dataDir, toFile: false });
  const name = opts.name ?? process.env.WORKER_NAME ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 4)}`;
  const concurrency = Math.max(1, opts.concurrency ?? envInt('WORKER_CONCURRENCY') ?? availableParallelism());
  const lockMs = opts.lockMs ?? envInt('WORKER_LOCK_MS') ?? 30_000;
  const runner = new SweepRunner({ threads: concurrency, cacheDir: join(dataDir, 'cache', 'columnar') });
  const worker = new BullSweepWorker<BacktestConfig, SweepResult>({
    url: config.redis.url,
    keyPrefix: config.redis.keyPrefix,
    concurrency,
    lockDurationMs: lockMs,
    stalledIntervalMs: opts.stalledMs ?? envInt('WORKER_STALLED_MS') ?? 30_000,
    maxStalledCount: 2,
    name,
    now: () => Date.now(),
    run: async (task) => {
      const r = await runner.run(task);
      if (r === null) throw new Error('the point was skipped');
      return r;
    },
    log,
  });
  await worker.start();
  // The health port: one open route, for container healthchecks and the tests.
  const healthPort = opts.healthPort ?? envInt('WORKER_HEALTH_PORT');
  const health = Fastify();
  health.get('/health', { config: { access: 'open' } }, async (_req, reply) => {
    const redis = await worker.ping();
    const stats = worker.stats();
    const ok = redis && stats.running;
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', redis: redis ? 'ok' : 'down', ...stats, concurrency });
  });
  let healthUrl = '';
  if (healthPort !== undefined) healthUrl = `${await health.listen({ port: healthPort, host: opts.healthHost ?? process.env.WORKER_HEALTH_HOST ?? '127.0.0.1' })}/health`;
  process.stdout.write(`tradewind worker ${name} taking sweep points from ${redactUrl(config.redis.url)} (${concurrency} at once)${healthUrl ? `; health ${healthUrl}` : ''}\n`);
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      log.info({ component: 'worker', signal }, 'finishing the points being run, then stopping');
      void Promise.allSettled([worker.close(), health.close()]).then(() => runner.close()).then(done);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}
