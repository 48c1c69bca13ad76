import { Command, InvalidArgumentError } from 'commander';
import { join, resolve } from 'node:path';
import type { BacktestConfig } from '../backtest/backtester.js';
import type { SmaCrossSpec } from '../backtest/strategies.js';
import { SweepRequestError, type SweepService, type SweepView } from '../app/sweep-service.js';
import { BullSweepQueue } from '../adapters/bullmq/bull-sweep-queue.js';
import type { SweepResult } from '../backtest/sweep.js';
import type { SweepQueue } from '../core/sweep-queue.js';
import type { TradewindConfig } from './config-schema.js';
import { redactUrl } from './config.js';
import { openSweepQueue, sweepService } from './sweeps.js';
import { dateOption, positiveInteger } from './option-parsers.js';

const positive = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};
const integer = positiveInteger;
const date = dateOption;

export interface SweepCommandOptions {
  strategy: string;
  grid: string;
  data: string;
  from?: number;
  to?: number;
  limit?: number;
  instrument: string;
  size: number;
  longOnly: boolean;
  cash: number;
  fee: number;
  rank?: string;
  top: number;
  json?: boolean;
  local?: boolean;
  threads?: number;
  pollMs: number;
  config?: string;
  dataDir?: string;
}

/**
 * `tradewind sweep`: spreads a grid over the `tradewind worker` processes through Redis
 * (REDIS_URL), or over this process's threads without Redis (or with --local); prints progress
 * and the ranked results. Ctrl-C cancels the sweep.
 */
export function sweepCommand(configOf: (opts: { config?: string; dataDir?: string }) => TradewindConfig): Command {
  return new Command('sweep')
    .description('parameter sweep spread over the workers (Redis) or local threads, results ranked; README "Running at scale"')
    .requiredOption('--grid <params>', 'e.g. fast=5..20,slow=20..60 (also a..b:step, a|b|c)')
    .requiredOption('--data <file>', 'bar file (Binance klines or OHLCV, .csv or .csv.gz); workers must see it at the same path')
    .option('--strategy <name>', 'strategy (sma-cross)', 'sma-cross')
    .option('--from <date>', 'first bar (inclusive)', date)
    .option('--to <date>', 'end (exclusive)', date)
    .option('--limit <bars>', 'at most this many bars', integer('--limit'))
    .option('--instrument <symbol>', 'instrument', 'BTC/USDT')
    .option('--size <qty>', 'fixed quantity per entry', positive('--size'), 1)
    .option('--long-only', 'no short entries', false)
    .option('--cash <amount>', 'starting cash', positive('--cash'), 1_000_000)
    .option('--fee <rate>', 'commission as a fraction of notional', (v) => Number(v), 0)
    .option('--rank <metric>', 'closedPnl (default), returnPct, sharpe, maxDrawdown or winRate')
    .option('--top <n>', 'rows of the ranking printed (--json prints all)', integer('--top'), 10)
    .option('--json', 'print the finished sweep as JSON')
    .option('--local', 'run on this process\'s threads even when Redis is configured')
    .option('--threads <n>', 'threads without Redis (default: the cores)', integer('--threads'))
    .option('--poll-ms <ms>', 'progress poll interval', integer('--poll-ms'), 500)
    .option('-c, --config <file>', 'configuration file (redis.url, redis.keyPrefix)')
    .option('-d, --data-dir <dir>', 'directory of the columnar cache (env DATA_DIR)')
    .action(async (opts: SweepCommandOptions) => {
      const config = configOf(opts);
      const queue = await openSweepQueue(config.redis, { cacheDir: join(resolve(config.dataDir), 'cache', 'columnar'), threads: opts.threads, now: () => Date.now(), local: opts.local });
      try {
        const code = await runSweep(sweepService(queue, null), queue, opts, config, process.stdout, process.stderr);
        if (code !== 0) process.exitCode = code;
      } finally {
        await queue.close();
      }
    });
}

export async function runSweep(service: SweepService, queue: SweepQueue<BacktestConfig, SweepResult>, opts: SweepCommandOptions, config: TradewindConfig, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let view: SweepView;
  try {
    view = await service.start({
      strategy: opts.strategy,
      grid: opts.grid,
      data: { file: opts.data, from: opts.from, to: opts.to, limit: opts.limit },
      instrument: opts.instrument,
      base: { size: opts.size, longOnly: opts.longOnly },
      cash: opts.cash,
      fee: opts.fee,
      rank: opts.rank,
    });
  } catch (error) {
    if (!(error instanceof SweepRequestError)) throw error;
    err.write(`tradewind sweep: ${error.message}\n`);
    return 2;
  }
  const id = view.sweep_id;
  const workers = queue instanceof BullSweepQueue ? await queue.workers() : null;
  err.write(
    `sweep ${id}: ${view.progress.total} points${view.skipped ? ` (${view.skipped} with fast >= slow left out)` : ''} ` +
      (workers === null ? 'on local threads\n' : `queued in ${redactUrl(config.redis.url)} for the workers (${workers} connected now${workers === 0 ? ': start some with `tradewind worker`' : ''})\n`),
  );
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSigint);
  const t0 = performance.now();
  let lastDone = -1;
  try {
    while (view.state === 'running') {
      await new Promise((r) => setTimeout(r, opts.pollMs));
      if (interrupted) {
        view = await service.cancel(id).catch(() => service.view(id));
        break;
      }
      view = await service.view(id, 1);
      const finished = view.progress.done + view.progress.failed;
      if (finished !== lastDone) {
        lastDone = finished;
        const best = view.results[0];
        const s = best?.strategy as SmaCrossSpec | undefined;
        err.write(`[${finished}/${view.progress.total}] ${((performance.now() - t0) / 1000).toFixed(1)} s${s && best ? `; best fast ${s.fast} slow ${s.slow} (${view.rank_by} ${String(best[view.rank_by])})` : ''}${view.progress.failed ? `; ${view.progress.failed} failed` : ''}\n`);
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  view = await service.view(id, 0);
  const wallS = (performance.now() - t0) / 1000;
  if (opts.json) {
    out.write(`${JSON.stringify({ ...view, wall_s: Math.round(wallS * 1000) / 1000 })}\n`);
  } else {
    const lines = [
      `sweep ${id} ${view.state}: ${view.progress.done} of ${view.progress.total} points in ${wallS.toFixed(2)} s (${(view.progress.done / wallS).toFixed(1)} points/s)${view.progress.failed ? `, ${view.progress.failed} failed` : ''}, ranked by ${view.rank_by}`,
      `${'rank'.padStart(4)}  ${'fast'.padStart(4)} ${'slow'.padStart(4)}  ${'trades'.padStart(6)} ${'win %'.padStart(6)} ${'closed PnL'.padStart(12)} ${'return %'.padStart(8)} ${'max DD'.padStart(10)}`,
      ...view.results.slice(0, opts.top).map((r) => {
        const s = r.strategy as SmaCrossSpec;
        return `${String(r.rank).padStart(4)}  ${String(s.fast).padStart(4)} ${String(s.slow).padStart(4)}  ${String(r.closedTrades).padStart(6)} ${(r.winRate * 100).toFixed(2).padStart(6)} ${r.closedPnl.toFixed(2).padStart(12)} ${r.returnPct.toFixed(2).padStart(8)} ${r.maxDrawdown.toFixed(2).padStart(10)}`;
      }),
      ...view.errors.slice(0, 5).map((e) => `point ${e.index + 1} failed: ${e.error}`),
    ];
    out.write(`${lines.join('\n')}\n`);
  }
  if (view.state === 'cancelled') return 130;
  return view.state === 'done' && view.progress.failed === 0 ? 0 : 1;
}
