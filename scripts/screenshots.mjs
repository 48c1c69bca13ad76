// Writes PNG screenshots of the dashboard to docs/screenshots/: the main page after the demo bot
// has traded for a while, with the engine running, and the login page (with a password set).
// Needs the build (npm run build) and Chromium (/usr/bin/chromium or CHROMIUM_PATH):
//   npm run screenshots        (= ensure-deps --browser, build, this script)
import { mkdirSync } from 'node:fs';
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
