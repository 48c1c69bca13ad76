// TRADEWIND_SEED makes the simulated feed reproducible: two servers started with the same seed
// (each on its own fresh data directory) print the same prices; another seed or none does not.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/cli/config.js';
import { startServer } from '../../src/cli/server.js';
import { tempDir, waitFor } from '../helpers/server.js';

const TICKS = 40;

/** The first TICKS prices the feed prints, per symbol, from a real (in-process) server. */
async function firstPrices(seed: string | undefined): Promise<string> {
  const dataDir = tempDir('tw-seed-');
  const file = join(dataDir, 'config.json');
  writeFileSync(file, JSON.stringify({ dataDir, server: { port: 0 }, feed: { tickIntervalMs: 20 }, demoBot: { enabled: false }, log: { file: false, level: 'warn' } }));
  const config = loadConfig({ file, env: seed === undefined ? {} : { TRADEWIND_SEED: seed } });
  const server = await startServer(config);
  const prices: string[] = [];
  try {
    const stop = server.kernel.bus.on('tick', ({ tick }) => {
      if (prices.length < TICKS) prices.push(`${tick.symbol}@${tick.price}`);
    });
    await waitFor(`${TICKS} ticks`, async () => prices.length >= TICKS, 30_000, 20);
    stop();
  } finally {
    await server.close();
  }
  return prices.join(' ');
}

describe('TRADEWIND_SEED', () => {
  it('the same seed gives the same ticks on every start; another seed or none gives others', async () => {
    const a = await firstPrices('424242');
    const b = await firstPrices('424242');
    assert.equal(a, b);
    assert.notEqual(await firstPrices('7'), a);
    const unseeded = await firstPrices(undefined);
    assert.notEqual(unseeded, await firstPrices(undefined), 'without a seed each start takes a new path');
  });
});
