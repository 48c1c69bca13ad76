// Writes PNG screenshots of the dashboard to docs/screenshots/: the main page after the demo bot
// has traded for a while, with the engine running, and the login page (with a password set).
// Needs the build (npm run build) and Chromium (/usr/bin/chromium or CHROMIUM_PATH):
//   npm run screenshots        (= ensure-deps --browser, build, this script)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { fastConfig, startServer, tempDir, waitFor, getJson } = await import(join(root, 'dist/test/helpers/server.js'));
const { browserUnavailable, launchBrowser, openPage } = await import(join(root, 'dist/test/helpers/browser.js'));

const missing = browserUnavailable();
if (missing) {
  console.error(`screenshots: ${missing}`);
  process.exit(1);
}
const out = join(root, 'docs', 'screenshots');
mkdirSync(out, { recursive: true });
const browser = await launchBrowser();
try {
  // Demo bot on 1 s bars so positions, trades and candles appear within seconds.
  const dir = tempDir('tw-shots-');
  const server = await startServer({ dataDir: dir, config: fastConfig(dir, { demoBot: { barIntervalMs: 1000, fast: 2, slow: 4, stopAtr: 3 } }) });
  try {
    await waitFor('a trade', async () => (await getJson(`${server.url}/api/trades`)).body.length > 2, 60_000, 500);
    await getJson(`${server.url}/api/engine/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ preset: 'breakout_v1', mode: 'paper' }) });
    const { page, errors } = await openPage(browser, server.url);
    await page.locator('[data-testid=positions] tbody tr[data-symbol]').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(12_000); // a few 5-second candles
    await page.screenshot({ path: join(out, 'dashboard.png'), fullPage: true });
    console.log(`wrote ${join(out, 'dashboard.png')}${errors.length ? ` (console errors: ${errors.join('; ')})` : ''}`);
    // Trade history, profit and the large chart (issue 16 items 9-11), on the demo bot's trades.
    for (const [tab, ready] of [['history', '[data-testid=history-table] tbody tr'], ['profit', '[data-testid=profit-cumulative] canvas'], ['chart', '[data-testid=big-chart] canvas']]) {
      await page.locator(`[data-tab=${tab}]`).click();
      await page.locator(ready).first().waitFor({ timeout: 30_000 });
      await page.waitForTimeout(1_500);
      await page.screenshot({ path: join(out, `${tab}.png`) });
      console.log(`wrote ${join(out, `${tab}.png`)}`);
    }
    // Every other page, as a trader opens it.
    for (const tab of ['desk', 'accounts', 'ensemble', 'upload', 'presets', 'logs']) {
      await page.locator(`[data-tab=${tab}]`).click();
      await page.waitForTimeout(2_000);
      await page.screenshot({ path: join(out, `${tab}.png`) });
      console.log(`wrote ${join(out, `${tab}.png`)}`);
    }
    // The phone (390 x 844): the live page, trade history and accounts.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const tab of ['live', 'history', 'accounts']) {
      await page.locator(`[data-tab=${tab}]`).click();
      await page.waitForTimeout(2_000);
      await page.screenshot({ path: join(out, `phone-${tab}.png`) });
      console.log(`wrote ${join(out, `phone-${tab}.png`)}`);
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    // The backtest page: a sma-cross run over 3,000 synthetic 1-minute klines placed in the import dir.
    mkdirSync(join(dir, 'imports'), { recursive: true });
    const rows = [];
    let price = 95000;
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 3000; i++) {
      const open = price;
      const close = Math.round((open + (rnd() - 0.5) * 120) * 100) / 100;
      const t = Date.UTC(2025, 0, 1) + i * 60000;
      rows.push([t, open.toFixed(2), (Math.max(open, close) + rnd() * 30).toFixed(2), (Math.min(open, close) - rnd() * 30).toFixed(2), close.toFixed(2), '10', t + 59999, '1000000', 100, '5', '500000', 0].join(','));
      price = close;
    }
    writeFileSync(join(dir, 'imports', 'BTCUSDT-1m-sample.csv'), rows.join('\n') + '\n');
    await page.locator('[data-tab=backtest]').click();
    await page.fill('[data-testid=backtest-form] input[name=file]', 'BTCUSDT-1m-sample.csv');
    await page.click('[data-testid=backtest-run]');
    await page.locator('[data-testid=equity-chart] canvas').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(out, 'backtest.png') });
    console.log(`wrote ${join(out, 'backtest.png')}`);
  } finally {
    await server.stop();
  }
  const dir2 = tempDir('tw-shots-');
  const locked = await startServer({ dataDir: dir2, env: { DASHBOARD_PASSWORD: 'screenshot-only' } });
  try {
    const { page } = await openPage(browser, locked.url);
    await page.locator('[data-testid=login]').waitFor();
    await page.setViewportSize({ width: 900, height: 500 });
    await page.screenshot({ path: join(out, 'login.png') });
    console.log(`wrote ${join(out, 'login.png')}`);
  } finally {
    await locked.stop();
  }
} finally {
  await browser.close();
}
