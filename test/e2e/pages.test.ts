// The dashboard's pages beyond the live view (backtest, upload, presets, logs and metrics, operator
// desk) in a real browser against the real server. Skipped like dashboard.test.ts without Chromium.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserUnavailable, isCi, launchBrowser, openPage } from '../helpers/browser.js';
import { fastConfig, startServer, tempDir, type ServerHandle } from '../helpers/server.js';
import { attrNow, textNow } from '../helpers/viewports.js';

const unavailable = browserUnavailable();
if (unavailable && !isCi) console.log(`# dashboard page e2e tests skipped: ${unavailable}`);
const skip = unavailable && !isCi ? `skipped: ${unavailable}` : false;

/** 2,000 one-minute Binance klines (12 columns, open time in ms), a random walk around 95,000. */
function binanceKlines(rows: number): string {
  let price = 95_000;
  let seed = 7;
  const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const out: string[] = [];
  const t0 = Date.UTC(2025, 0, 1);
  for (let i = 0; i < rows; i++) {
    const open = price;
    const close = Math.round((open + (rnd() - 0.5) * 120) * 100) / 100;
    const high = Math.max(open, close) + Math.round(rnd() * 3000) / 100;
    const low = Math.min(open, close) - Math.round(rnd() * 3000) / 100;
    const t = t0 + i * 60_000;
    out.push([t, open.toFixed(2), high.toFixed(2), low.toFixed(2), close.toFixed(2), '10.5', t + 59_999, '1000000', 100, '5', '500000', 0].join(','));
    price = close;
  }
  return out.join('\n') + '\n';
}

/** A tick CSV with a header, `rows` good rows and two malformed ones. */
function tickCsv(rows: number): string {
  const out = ['timestamp,price,volume'];
  let t = Date.UTC(2025, 0, 2);
  for (let i = 0; i < rows; i++) {
    t += 100 + (i % 7) * 37;
    out.push(`${t},${(20_000 + ((i * 13) % 400) * 0.25).toFixed(2)},${1 + (i % 5)}`);
    if (i === 50) out.push('garbage,row');
    if (i === 500) out.push('2025-13-45,abc,1');
  }
  return out.join('\n') + '\n';
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitAttr(page: Page, selector: string, attr: string, predicate: (v: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await attrNow(page.locator(selector), attr);
    if (predicate(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last ${attr}: ${JSON.stringify(v)}`);
    await page.waitForTimeout(100);
  }
}

describe('dashboard pages (browser)', { skip }, () => {
  let server: ServerHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  before(async () => {
    if (unavailable) return;
    dir = tempDir();
    mkdirSync(join(dir, 'imports'), { recursive: true });
    writeFileSync(join(dir, 'imports', 'BTCUSDT-1m-e2e.csv'), binanceKlines(3000));
    writeFileSync(join(dir, 'ticks-e2e.csv'), tickCsv(25_000));
    server = await startServer({ dataDir: dir, config: fastConfig(dir) });
    browser = await launchBrowser();
    ({ page, errors } = await openPage(browser, server.url));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a backtest run from the page shows progress, the summary, trades and its equity curve', async () => {
    await page.click('[data-tab=backtest]');
    await page.fill('[data-testid=backtest-form] input[name=file]', 'BTCUSDT-1m-e2e.csv');
    await page.fill('[data-testid=backtest-form] input[name=fast]', '5');
    await page.fill('[data-testid=backtest-form] input[name=slow]', '20');
    await page.click('[data-testid=backtest-run]');
    await page.locator('[data-testid=backtest-progress]').waitFor();
    await waitAttr(page, '[data-testid=backtest-progress]', 'data-fraction', (v) => v === '1.0000', 'the progress bar to reach 100 %');
    const points = await waitAttr(page, '[data-testid=equity-chart]', 'data-points', (v) => Number(v) > 10, 'the equity curve');
    assert.ok(Number(points) > 10);
    assert.ok((await page.locator('[data-testid=equity-chart] canvas').count()) > 0, 'the equity chart draws canvases');
    const summary = await page.locator('[data-testid=backtest-summary]').innerText();
    assert.match(summary, /BTC\/USDT/);
    assert.match(summary, /3,000 \/ 0/);
    assert.ok((await page.locator('[data-testid=backtest-trades] tbody tr').count()) > 0, 'trades are listed');
    assert.match(await page.locator('[data-testid=backtest-progress]').innerText(), /done/);
    assert.deepEqual(errors, []);
  });

  test('a bad backtest request shows the server’s words', async () => {
    await page.fill('[data-testid=backtest-form] input[name=file]', 'BTCUSDT-1m-missing.csv');
    await page.click('[data-testid=backtest-run]');
    const msg = await page.locator('[data-testid=backtest-error], [data-testid=backtest-failed]').first();
    await msg.waitFor({ timeout: 10_000 });
    assert.match(await msg.innerText(), /BTCUSDT-1m-missing|not found|no such/i);
    await page.waitForTimeout(300); // the browser logs the 4xx of the refused request
    errors.splice(0, errors.length, ...errors.filter((e) => !/status of (4\d\d)/.test(e)));
    assert.deepEqual(errors, []);
  });

  test('a CSV upload shows its progress to completion with the counts and malformed examples', async () => {
    await page.click('[data-tab=upload]');
    await page.setInputFiles('[data-testid=upload-file]', join(dir, 'ticks-e2e.csv'));
    await page.fill('[data-testid=upload-form] input[name=instrument]', 'NQ');
    await page.click('[data-testid=upload-submit]');
    await page.locator('[data-testid=upload-progress]').waitFor();
    await page.locator('[data-testid=upload-summary]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-testid=upload-progress]').getAttribute('data-fraction'), '1.0000');
    assert.equal(await page.locator('[data-testid=upload-summary] [data-field=uploaded] dd').innerText(), '25,000');
    assert.equal(await page.locator('[data-testid=upload-summary] [data-field=malformed] dd').innerText(), '2');
    assert.match(await page.locator('[data-testid=upload-malformed]').innerText(), /garbage/);
    // The same file again: every row is a duplicate.
    await page.click('[data-testid=upload-submit]');
    await waitFor('every row skipped as a duplicate', async () => (await textNow(page.locator('[data-testid=upload-summary] [data-field=skipped] dd'))) === '25,000');
    assert.deepEqual(errors, []);
  });

  test('presets editor shows the server’s validation message; logs and metrics render', async () => {
    await page.click('[data-tab=presets]');
    await page.locator('[data-testid=preset-list] tr[data-preset=breakout_v1]').click();
    await waitFor('the preset JSON', async () => (await page.locator('[data-testid=preset-json]').inputValue()).includes('risk_per_trade'));
    await page.fill('[data-testid=preset-json]', '{"risk": {"risk_per_trade": 5}}');
    await page.click('[data-testid=preset-save]');
    const msg = page.locator('[data-testid=preset-message]');
    await msg.waitFor();
    assert.match(await msg.innerText(), /risk_per_trade/);
    await page.click('[data-tab=logs]');
    await page.locator('[data-testid=metrics] dd').first().waitFor();
    await page.locator('[data-testid=logs]').waitFor();
    assert.deepEqual(
      errors.filter((e) => !/status of 422/.test(e)),
      [],
    );
  });

  test('operator desk shows both assets and asks before exit-all', async () => {
    await page.click('[data-tab=desk]');
    await page.locator('[data-testid=desk-ES] [data-testid=desk-zone]').waitFor();
    await page.locator('[data-testid=desk-NQ] [data-testid=desk-tempo]').waitFor();
    await page.click('[data-testid=desk-exit-all]');
    const dialog = page.locator('[role=dialog]');
    await dialog.waitFor();
    await page.locator('[data-testid=confirm]').click();
    await page.locator('[data-testid=desk-message]').waitFor();
    assert.match(await page.locator('[data-testid=desk-message]').innerText(), /exit all/);
    assert.deepEqual(
      errors.filter((e) => !/status of 4\d\d/.test(e)),
      [],
    );
  });
});
