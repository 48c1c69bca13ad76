// `tradewind backtest` with the columnar cache (DATA_DIR/cache/columnar) and --grid, as processes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, tempDir } from '../helpers/server.js';

const FILE = join(repoRoot, '..', 'shared', 'data', 'binance', 'BTCUSDT-1m-2025-01.csv.gz');
const tradewind = (args: string[]) => spawnSync(process.execPath, ['bin/tradewind.js', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000, env: { ...process.env, TRADEWIND_CONFIG: '', DATA_DIR: '' } });

describe('tradewind backtest: columnar cache and --grid (CLI)', { skip: !existsSync(FILE) && `no ${FILE}` }, () => {
  it('the first run builds DATA_DIR/cache/columnar, the second reads it, --no-cache parses; the same report each time', () => {
    const dir = tempDir('tw-cli-cache-');
    const args = ['backtest', '--data', FILE, '--fast', '10', '--slow', '30', '--size', '1', '--cash', '1000000', '--json', '-d', dir];
    const runs = [tradewind(args), tradewind(args), tradewind([...args, '--no-cache'])];
    for (const r of runs) assert.equal(r.status, 0, r.stderr);
    const [built, hit, plain] = runs.map((r) => JSON.parse(r.stdout) as Record<string, unknown> & { cache?: { status: string; file: string } });
    assert.equal(built?.cache?.status, 'built');
    assert.equal(hit?.cache?.status, 'hit');
    assert.equal(plain?.cache, undefined);
    assert.ok(hit?.cache?.file.startsWith(join(dir, 'cache', 'columnar')));
    assert.ok(readdirSync(join(dir, 'cache', 'columnar')).some((f) => f.endsWith('.bars.twcol')));
    const same = (r: Record<string, unknown> | undefined) => JSON.stringify([r?.trades, r?.closedPnl, r?.equityCurve, r?.openPosition, r?.input]);
    assert.equal(same(built), same(plain));
    assert.equal(same(hit), same(plain));
    assert.ok((plain?.closedTrades as number) > 100);
  });

  it('--grid runs the combinations on worker threads and ranks them; bad grids exit 2 with the reason', () => {
    const dir = tempDir('tw-cli-grid-');
    const r = tradewind(['backtest', '--data', FILE, '--size', '1', '--long-only', '--cash', '1000000', '--limit', '5000', '-d', dir, '--grid', 'fast=5..6,slow=20|30', '--threads', '2', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { combinations: number; threads: number; rankedBy: string; results: { closedPnl: number; bars: number; strategy: { fast: number; slow: number } }[] };
    assert.equal(out.combinations, 4);
    assert.equal(out.threads, 2);
    assert.equal(out.rankedBy, 'closedPnl');
    assert.deepEqual(out.results.map((x) => `${x.strategy.fast}/${x.strategy.slow}`).sort(), ['5/20', '5/30', '6/20', '6/30']);
    assert.ok(out.results.every((x) => x.bars === 5000));
    for (let i = 1; i < out.results.length; i++) assert.ok((out.results[i - 1]?.closedPnl ?? 0) >= (out.results[i]?.closedPnl ?? 0), 'ranked by closed PnL');
    assert.match(r.stderr, /\[4\/4\]/, 'progress lines on stderr');
    const bad = tradewind(['backtest', '--data', FILE, '--size', '1', '-d', dir, '--grid', 'fast=5..2']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--grid: fast: 5\.\.2 is empty/);
  });
});
