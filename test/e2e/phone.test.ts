// Issue 16 item 8: on a 390x844 phone no page is wider than the screen (the header tabs wrap,
// tables scroll inside their panels, the preset editor fits), with no console errors or failed
// requests while every page is visited.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserUnavailable, isCi, launchBrowser } from '../helpers/browser.js';
import { fastConfig, startServer, tempDir, type ServerHandle } from '../helpers/server.js';

const unavailable = browserUnavailable();
if (unavailable && !isCi) console.log(`# phone e2e tests skipped: ${unavailable}`);
const skip = unavailable && !isCi ? `skipped: ${unavailable}` : false;

const TABS = ['live', 'backtest', 'upload', 'presets', 'logs', 'desk'] as const;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface BrowserGlobals {
  document: { documentElement: { scrollWidth: number } };
  innerWidth: number;
}
const widths = (page: Page) =>
  page.evaluate(() => {
    const g = globalThis as unknown as BrowserGlobals;
    return { scroll: g.document.documentElement.scrollWidth, inner: g.innerWidth };
  });

describe('dashboard on a 390x844 phone (browser)', { skip }, () => {
  let server: ServerHandle;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  before(async () => {
    if (unavailable) return;
    const dir = tempDir();
    server = await startServer({ dataDir: dir, config: fastConfig(dir, { demoBot: { barIntervalMs: 1000, fast: 2, slow: 4, stopAtr: 3 } }) });
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`response ${r.status()}: ${r.url()}`);
    });
    await page.goto(server.url, { waitUntil: 'load' });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the header tabs wrap within the screen', async () => {
    await page.locator('[data-testid=tabs]').waitFor();
    const box = await page.locator('[data-testid=tabs]').boundingBox();
    assert.ok(box, 'the tab bar is laid out');
    assert.ok(box.x + box.width <= 390, `the tab bar ends at ${box.x + box.width} px, beyond 390`);
    for (const t of TABS) {
      const b = await page.locator(`[data-tab=${t}]`).boundingBox();
      assert.ok(b && b.x >= 0 && b.x + b.width <= 390, `tab ${t} lies within the screen: ${JSON.stringify(b)}`);
    }
  });

  for (const tab of TABS) {
    test(`the ${tab} page is no wider than the screen`, async () => {
      await page.click(`[data-tab=${tab}]`);
      await waitFor(`the ${tab} tab to be selected`, async () => (await page.locator(`[data-tab=${tab}]`).getAttribute('aria-selected')) === 'true');
      // Content that arrives later (positions, trades, candidates, presets, logs) must fit too.
      if (tab === 'live') await page.locator('[data-testid=trades] tbody tr').first().waitFor({ timeout: 30_000 });
      if (tab === 'presets') {
        await page.locator('[data-testid=preset-list] tr[data-preset]').first().click();
        await waitFor('the preset JSON', async () => (await page.locator('[data-testid=preset-json]').inputValue()).length > 10);
      }
      if (tab === 'logs') await page.locator('[data-testid=logs]').waitFor();
      if (tab === 'desk') await page.locator('[data-testid=desk-ES]').waitFor();
      const w = await widths(page);
      assert.ok(w.scroll <= w.inner, `${tab}: the document is ${w.scroll} px wide on a ${w.inner} px screen`);
      assert.equal(w.inner, 390);
    });
  }

  test('no console errors or failed requests over every page', () => {
    assert.deepEqual(errors, []);
  });
});
