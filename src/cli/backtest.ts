import { Command, InvalidArgumentError } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUILTIN_INSTRUMENTS } from '../core/instruments.js';
import { matchInstrumentSymbol } from '../core/market-data.js';
import type { BacktestConfig } from '../backtest/backtester.js';
import { runBacktestJob, type BacktestJobSpec, type JobReport } from '../backtest/job.js';
import { describeStrategy, type StrategySpec } from '../backtest/strategies.js';
import type { EnsembleTraining } from './ensemble-models.js';
import { runSweepCli } from './backtest-sweep.js';
import { groupedNumber } from './grouped-number.js';
import { dateOption, positiveInteger } from './option-parsers.js';

const positive = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};
const nonNegative = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!(Number.isFinite(n) && n >= 0)) throw new InvalidArgumentError(`${name} must be a number >= 0`);
  return n;
};
const integer = positiveInteger;
const date = dateOption;

export interface BacktestCliOptions {
  data?: string;
  instrument: string;
  from?: number;
  to?: number;
  strategy: string;
  fast: number;
  slow: number;
  size?: number;
  longOnly?: boolean;
  stopAtr: number;
  cash: number;
  fee: number;
  feePerContract: number;
  slippageTicks: number;
  volumeShare?: number;
  limit?: number;
  json?: boolean;
  config?: string;
  dataDir?: string;
  /** DATA_DIR of the configuration (market.db lives there), resolved by the caller. */
  marketDb?: string;
  /** --strategy ensemble: model files (a,b) or train:N, and the coordinator's rules. */
  models?: string;
  trainDays?: number;
  horizon?: number;
  rounds?: number;
  method?: string;
  threshold?: number;
  edge?: number;
  minModels?: number;
  positionSize?: number;
  stopLoss?: number;
  takeProfit?: number;
  /** False with --no-cache: parse the data file every time. */
  cache?: boolean;
  /** Columnar cache directory (DATA_DIR/cache/columnar), resolved by the caller. */
  cacheDir?: string;
  /** A parameter sweep (backtest-sweep.ts): `fast=5..20,slow=20..60`. */
  grid?: string;
  threads?: number;
  rank?: string;
  top?: number;
}

export function backtestCommand(dataDirOf: (opts: { config?: string; dataDir?: string }) => string | Promise<string>): Command {
  return new Command('backtest')
    .description('replay history through the kernel (same strategies, risk and execution as live) and print a report')
    .option('--data <file>', 'Binance kline CSV file (.csv or .csv.gz)')
    .option('--instrument <symbol>', 'instrument (with --from/--to: read from the market data store)', 'BTC/USDT')
    .option('--from <date>', 'first bar (YYYY-MM-DD, ISO time or ms; inclusive)', date)
    .option('--to <date>', 'end (exclusive)', date)
    .option('--strategy <name>', 'strategy', 'sma-cross')
    .option('--fast <n>', 'fast SMA length', integer('--fast'), 10)
    .option('--slow <n>', 'slow SMA length', integer('--slow'), 30)
    .option('--size <qty>', 'fixed quantity per entry', positive('--size'))
    .option('--long-only', 'no short entries')
    .option('--stop-atr <n>', 'protective stop in ATRs (0: none, plain crossover)', nonNegative('--stop-atr'), 0)
    .option('--cash <amount>', 'starting cash', positive('--cash'), 100_000)
    .option('--fee <rate>', 'commission as a fraction of notional per fill (0.0004 = 4 bps)', nonNegative('--fee'), 0)
    .option('--fee-per-contract <amount>', 'commission per unit or contract per fill', nonNegative('--fee-per-contract'), 0)
    .option('--slippage-ticks <n>', 'slippage in ticks on market and stop fills', nonNegative('--slippage-ticks'), 0)
    .option('--volume-share <fraction>', 'cap each bar\'s fills at this share of its volume (0.1 = 10%; partial fills); default: no cap', positive('--volume-share'))
    .option('--limit <bars>', 'stop after this many bars', integer('--limit'))
    .option('--models <list>', 'ensemble: model files (a.txt,b.json) or train:N (N models trained on the days before --from)')
    .option('--train-days <n>', 'ensemble train:N: days of history before --from to train on', positive('--train-days'), 30)
    .option('--horizon <bars>', 'ensemble train:N: label horizon in bars', integer('--horizon'), 5)
    .option('--rounds <n>', 'ensemble train:N: boosting rounds per model', integer('--rounds'), 60)
    .option('--method <name>', 'ensemble: weighted_average, majority_vote or confidence_weighted', 'weighted_average')
    .option('--threshold <p>', 'ensemble: confidence_threshold', nonNegative('--threshold'), 0.52)
    .option('--edge <p>', 'ensemble: a model votes long at P >= 0.5 + edge, short at P <= 0.5 - edge', nonNegative('--edge'), 0.01)
    .option('--min-models <n>', 'ensemble: min_responding_models', integer('--min-models'), 1)
    .option('--position-size <fraction>', 'ensemble: position_size_fraction of equity', positive('--position-size'), 0.1)
    .option('--stop-loss <fraction>', 'ensemble: stop_loss_percent (0.01 = 1%)', positive('--stop-loss'), 0.005)
    .option('--take-profit <fraction>', 'ensemble: take_profit_percent', positive('--take-profit'), 0.01)
    .option('--json', 'print the report as JSON')
    .option('--grid <params>', 'parameter sweep on worker threads, e.g. fast=5..20,slow=20..60 (also a..b:step, a|b|c); results ranked')
    .option('--threads <n>', 'worker threads for --grid (default: the available cores)', integer('--threads'))
    .option('--rank <metric>', 'rank --grid results by closedPnl (default), returnPct, sharpe, maxDrawdown or winRate')
    .option('--top <n>', 'rows of the --grid ranking printed (default 10; --json prints all)', integer('--top'))
    .option('--no-cache', 'parse --data every time instead of using the columnar cache (DATA_DIR/cache/columnar)')
    .option('-c, --config <file>', 'configuration file (for DATA_DIR, where market.db is)')
    .option('-d, --data-dir <dir>', 'directory of market.db (env DATA_DIR)')
    .action(async (opts: BacktestCliOptions) => {
      const dataDir = await dataDirOf(opts);
      const cacheDir = opts.cache === false ? undefined : resolve(dataDir, 'cache', 'columnar');
      const code = await runBacktestCli(opts.data ? { ...opts, cacheDir } : { ...opts, marketDb: resolve(dataDir, 'market.db') });
      if (code !== 0) process.exitCode = code;
    });
}

export async function runBacktestCli(opts: BacktestCliOptions, out = process.stdout, err = process.stderr): Promise<number> {
  if (opts.strategy !== 'sma-cross' && opts.strategy !== 'ensemble') {
    err.write(`tradewind backtest: unknown strategy ${opts.strategy} (available: sma-cross, ensemble)\n`);
    return 2;
  }
  const instrument = matchInstrumentSymbol(opts.instrument, BUILTIN_INSTRUMENTS.map((i) => i.symbol));
  if (!instrument) {
    err.write(`tradewind backtest: unknown instrument ${opts.instrument}\n`);
    return 2;
  }
  let data: BacktestJobSpec['data'];
  if (opts.data) {
    if (!existsSync(opts.data) || !statSync(opts.data).isFile()) {
      err.write(`tradewind backtest: no such file ${opts.data}\n`);
      return 2;
    }
    data = { kind: 'file', path: opts.data, from: opts.from, to: opts.to, limit: opts.limit };
  } else {
    if (!opts.marketDb || !existsSync(opts.marketDb)) {
      err.write(`tradewind backtest: give --data FILE, or import data first (tradewind ingest FILE): no market data store at ${opts.marketDb ?? 'DATA_DIR/market.db'}\n`);
      return 2;
    }
    data = { kind: 'store', file: opts.marketDb, from: opts.from, to: opts.to, limit: opts.limit };
  }
  let strategy: StrategySpec = { name: 'sma-cross', fast: opts.fast, slow: opts.slow, size: opts.size, longOnly: Boolean(opts.longOnly), stopAtr: opts.stopAtr };
  let training: EnsembleTraining | null = null;
  if (opts.strategy === 'ensemble') {
    const methods = ['weighted_average', 'majority_vote', 'confidence_weighted'] as const;
    const method = methods.find((m) => m === opts.method);
    if (!method) {
      err.write(`tradewind backtest: --method must be one of ${methods.join(', ')}\n`);
      return 2;
    }
    if (!opts.models || !opts.data) {
      err.write('tradewind backtest: --strategy ensemble needs --models (files or train:N) and --data FILE\n');
      return 2;
    }
    try {
      // Loaded here: the trainer is not needed by other strategies' runs (start-up time).
      const { ensembleModels } = await import('./ensemble-models.js');
      const built = await ensembleModels({ models: opts.models, dataFile: opts.data, testFrom: opts.from, trainDays: opts.trainDays ?? 30, horizon: opts.horizon ?? 5, rounds: opts.rounds ?? 60 });
      training = built.training;
      strategy = {
        name: 'ensemble',
        models: built.models,
        method,
        confidenceThreshold: opts.threshold ?? 0.52,
        minResponding: opts.minModels ?? 1,
        edge: opts.edge ?? 0.01,
        candles: 100,
        positionSizeFraction: opts.positionSize ?? 0.1,
        leverage: 1,
        stopLossPercent: opts.stopLoss ?? 0.005,
        takeProfitPercent: opts.takeProfit ?? 0.01,
      };
    } catch (error) {
      err.write(`tradewind backtest: ${error instanceof Error ? error.message : String(error)}\n`);
      return 2;
    }
  } else if (opts.stopAtr === 0 && opts.size === undefined) {
    err.write('tradewind backtest: --size is required without a stop (--stop-atr 0)\n');
    return 2;
  }
  const config: BacktestConfig = {
    instrument,
    strategy,
    cash: opts.cash,
    feeRate: opts.fee,
    perContract: opts.feePerContract,
    slippageTicks: opts.slippageTicks,
    ...(opts.volumeShare !== undefined ? { maxVolumeShare: opts.volumeShare } : {}),
  };
  if (opts.volumeShare !== undefined && !(opts.volumeShare <= 1)) {
    err.write('tradewind backtest: --volume-share must be at most 1\n');
    return 2;
  }
  if (opts.grid !== undefined) return runSweepCli({ ...opts, grid: opts.grid }, config, data, out, err);
  const spec: BacktestJobSpec = { config, data, ...(opts.cacheDir && data.kind === 'file' ? { cacheDir: opts.cacheDir } : {}) };
  const tty = Boolean((err as NodeJS.WriteStream).isTTY);
  let lastDraw = 0;
  let report: JobReport;
  try {
    report = await runBacktestJob(spec, {
      onProgress: (p) => {
        if (!tty) return;
        const now = performance.now();
        if (now - lastDraw < 100) return;
        lastDraw = now;
        const width = 30;
        const done = Math.round(p.fraction * width);
        const day = p.ts === null ? '' : new Date(p.ts).toISOString().slice(0, 10);
        err.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${(p.fraction * 100).toFixed(0).padStart(3)}% ${groupedNumber(p.bars)} bars ${day}`);
      },
    });
  } catch (error) {
    if (tty) err.write('\n');
    err.write(`tradewind backtest: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  if (tty) err.write('\r\x1b[K');
  // The models' texts are not repeated in the report; what they were trained on is.
  const shown = report.strategy.name === 'ensemble' ? { ...report, strategy: { ...report.strategy, models: report.strategy.models.map((m) => ({ name: m.name, weight: m.weight })) }, training } : report;
  out.write(opts.json ? `${JSON.stringify(shown)}\n` : summary(report) + (training ? `models trained on ${new Date(training.from).toISOString()} .. ${new Date(training.to).toISOString()} (${training.rows} rows, horizon ${training.horizon} bars)\n` : ''));
  return 0;
}

function summary(r: JobReport): string {
  const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));
  const money = (v: number) => groupedNumber(v, 2);
  const s = r.strategy;
  const lines = [
    `backtest ${r.instrument} ${iso(r.from)} .. ${iso(r.to)}: ${groupedNumber(r.bars)} bars of ${r.intervalMs / 1000}s`,
    `strategy ${describeStrategy(s)}`,
    `trades ${r.closedTrades} (won ${r.winningTrades}, lost ${r.losingTrades}, win rate ${(r.winRate * 100).toFixed(2)}%), fills ${r.fills}`,
    `closed PnL ${money(r.closedPnl)}  fees ${money(r.fees)}  final value ${money(r.finalValue)} (${r.returnPct.toFixed(2)}%) from ${money(r.startingCash)}`,
    `open position ${r.openPosition ? `${r.openPosition.side} ${r.openPosition.qty} @ ${r.openPosition.avgPrice}, unrealised ${money(r.openPosition.unrealizedPnl)}` : 'none'}`,
    `max drawdown ${money(r.maxDrawdown)} (${r.maxDrawdownPct.toFixed(2)}%)  exposure ${(r.exposure * 100).toFixed(1)}%  Sharpe ${r.sharpe === null ? '-' : r.sharpe.toFixed(2)} (per-bar returns, annualised)`,
    `kernel ${r.kernelMs.toFixed(0)} ms (${groupedNumber(r.barsPerSecond)} bars/s), loading ${r.loadMs.toFixed(0)} ms${r.cache ? ` (columnar cache: ${r.cache.status === 'hit' ? 'hit' : `${r.cache.status}, ${r.cache.reason}`})` : ''}`,
  ];
  return `${lines.join('\n')}\n`;
}
