import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/server.js';

const FILE = join(repoRoot, '..', 'shared', 'data', 'binance', 'BTCUSDT-1m-2025-01.csv.gz');

describe('tradewind backtest (CLI)', { skip: !existsSync(FILE) && `no ${FILE}` }, () => {
  it('prints the JSON report for the SMA crossover over January 2025', () => {
    const args = ['bin/tradewind.js', 'backtest', '--data', FILE, '--strategy', 'sma-cross', '--fast', '10', '--slow', '30', '--size', '1', '--cash', '1000000', '--fee', '0', '--long-only', '--json'];
    const r = spawnSync('node', args, { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'no progress bar when stderr is not a TTY');
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const key of ['bars', 'fills', 'closedTrades', 'openPosition', 'closedPnl', 'finalValue', 'winRate', 'maxDrawdown', 'barsPerSecond']) {
      assert.ok(key in report, `report has ${key}`);
    }
    assert.equal(report.bars, 31 * 1440);
    assert.equal(report.fees, 0);
    const closedTrades = report.closedTrades as number;
    assert.ok(closedTrades > 100);
    assert.equal(report.fills, 2 * closedTrades + (report.openPosition ? 1 : 0));
    assert.equal(report.from, Date.UTC(2025, 0, 1), 'microsecond open times read as milliseconds');
  });

  it('explains a missing data source and refuses an unknown strategy', () => {
    const bad = spawnSync('node', ['bin/tradewind.js', 'backtest', '--data', FILE, '--strategy', 'nope', '--size', '1'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown strategy/);
    const missing = spawnSync('node', ['bin/tradewind.js', 'backtest', '--data', '/nonexistent.csv', '--size', '1'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no such file/);
  });
});

describe('the shipped sample (README examples run on a fresh clone)', () => {
  it('samples/BTCUSDT-1m-2025-01-01_07.csv.gz backtests to the figures the README quotes', () => {
    const sample = join(repoRoot, 'samples', 'BTCUSDT-1m-2025-01-01_07.csv.gz');
    const args = ['bin/tradewind.js', 'backtest', '--data', sample, '--strategy', 'sma-cross', '--fast', '10', '--slow', '30', '--size', '1', '--cash', '1000000', '--fee', '0', '--long-only', '--no-cache', '--json'];
    const r = spawnSync('node', args, { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { bars: number; closedTrades: number; closedPnl: number };
    assert.equal(report.bars, 7 * 1440);
    assert.equal(report.closedTrades, 200);
    assert.equal(Math.round(report.closedPnl * 100) / 100, -52.46);
  });
});
