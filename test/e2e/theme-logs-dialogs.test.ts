// Issue 16 item 15 in a real browser on the real server: the theme follows the system's light or
// dark setting, the preset form marks the field the server refused, logs list the newest first
// with lines that expand, and Escape closes a dialog; at 1440x900 and 390x844.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { browserUnavailable, isCi, launchBrowser } from '../helpers/browser.js';
import { fastConfig, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';

const unavailable = browserUnavailable();
if (unavailable && !isCi) console.log(`# theme/logs/dialog e2e tests skipped: ${unavailable}`);
const skip = unavailable && !isCi ? `skipped: ${unavailable}` : false;

interface BrowserGlobals {
  document: { documentElement: { scrollWidth: number } };
  innerWidth: number;
  getComputedStyle(e: unknown): { backgroundColor: string; color: string };
}
const colours = (page: Page) =>
  page.evaluate(() => {
    const g = globalThis as unknown as BrowserGlobals;
    const s = g.getComputedStyle(g.document.documentElement);
    return { bg: s.backgroundColor, fg: s.color, overflow: g.document.documentElement.scrollWidth - g.innerWidth };
  });
const until = (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => waitFor(what, async () => ((await check()) ? true : null), timeoutMs);

const SIZES = [
  { viewport: { width: 1440, height: 900 }, phone: false, scheme: 'dark' as const },
  { viewport: { width: 390, height: 844 }, phone: true, scheme: 'light' as const },
];

describe('themes, preset form, logs and dialogs (browser)', { skip }, () => {
  let server: ServerHandle;
  let browser: Browser;
  before(async () => {
    if (unavailable) return;
    const dir = tempDir();
    // Info level: the server's own lines fill the log ring the Logs page reads.
    server = await startServer({ dataDir: dir, config: fastConfig(dir), env: { LOG_LEVEL: 'info' } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const size of SIZES) {
    describe(`at ${size.viewport.width}x${size.viewport.height}, ${size.scheme} system theme`, () => {
      let context: BrowserContext;
      let page: Page;
      const errors: string[] = [];
      before(async () => {
        if (unavailable) return;
        context = await browser.newContext({ viewport: size.viewport, colorScheme: size.scheme, ...(size.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}) });
        page = await context.newPage();
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(`console: ${m.text()}`);
        });
        page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
        page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
        await page.goto(server.url, { waitUntil: 'load' });
        await page.locator('[data-testid=tabs]').waitFor();
      });
      after(async () => {
        await context?.close();
      });

      test('the colours follow the system setting, and switch when it changes', async () => {
        const dark = { bg: 'rgb(10, 14, 19)', fg: 'rgb(213, 221, 231)' };
        const light = { bg: 'rgb(244, 246, 249)', fg: 'rgb(28, 36, 48)' };
        const first = await colours(page);
        assert.deepEqual({ bg: first.bg, fg: first.fg }, size.scheme === 'dark' ? dark : light);
        await page.emulateMedia({ colorScheme: size.scheme === 'dark' ? 'light' : 'dark' });
        const second = await colours(page);
        assert.deepEqual({ bg: second.bg, fg: second.fg }, size.scheme === 'dark' ? light : dark);
        await page.emulateMedia({ colorScheme: size.scheme });
      });

      test('the preset form marks the field the server refused, and one that is not a number', async () => {
        await page.click('[data-tab=presets]');
        await page.locator('[data-testid=preset-list] tr[data-preset=breakout_v1]').click();
        const risk = page.locator('[data-testid=preset-form] input[data-field="risk.risk_per_trade"]');
        await risk.waitFor();
        assert.equal(await risk.inputValue(), '0.006');
        await risk.fill('5');
        assert.match(await page.locator('[data-testid=preset-json]').inputValue(), /"risk_per_trade": 5\b/, 'the form edits the JSON');
        await page.click('[data-testid=preset-save]');
        await until('the refused field marked', async () => (await risk.getAttribute('aria-invalid')) === 'true');
        assert.match(await page.locator('[data-testid=preset-field-error]').innerText(), /must be <= 0\.05/);
        assert.equal(await page.locator('[data-testid=preset-form] [aria-invalid=true]').count(), 1, 'only that field');
        await risk.fill('0.01');
        assert.equal(await risk.getAttribute('aria-invalid'), null, 'editing the field clears the mark');
        const hold = page.locator('[data-testid=preset-form] input[data-field="position_config.max_hold_bars"]');
        await hold.fill('12x');
        assert.equal(await hold.getAttribute('aria-invalid'), 'true');
        assert.match(await page.locator('[data-testid=preset-field-error]').innerText(), /not a number/);
        assert.match(await page.locator('[data-testid=preset-json]').inputValue(), /"max_hold_bars": 240\b/, 'a bad number never reaches the JSON');
        if (size.phone) assert.ok((await colours(page)).overflow <= 0, 'the preset page fits the phone');
        assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), []);
        errors.length = 0;
      });

      test('logs list the newest first; a click expands a line to its details', async () => {
        await page.click('[data-tab=logs]');
        await page.selectOption('[aria-label=level]', 'DEBUG');
        await until('a few log lines', async () => (await page.locator('[data-testid=log-entries] li').count()) >= 2);
        const times = (await page.locator('[data-testid=log-entries] li').evaluateAll((els) => els.map((e) => Number((e as unknown as { dataset: { time: string } }).dataset.time))));
        assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
        // New lines arrive on top every few seconds: the line is found again by its key.
        const key = await page.locator('[data-testid=log-entries] li').first().getAttribute('data-key');
        const line = page.locator(`[data-testid=log-entries] li[data-key="${key}"]`);
        assert.equal(await line.locator('button.logline').getAttribute('aria-expanded'), 'false');
        await line.locator('button.logline').click();
        assert.equal(await line.locator('button.logline').getAttribute('aria-expanded'), 'true');
        await line.locator('.logdetail').waitFor();
        if (size.phone) assert.ok((await colours(page)).overflow <= 0, 'the logs page fits the phone');
        assert.deepEqual(errors, []);
      });

      test('Escape closes a dialog without doing what it asked', async () => {
        await page.click('[data-tab=desk]');
        await page.click('[data-testid=desk-exit-all]');
        await page.locator('[role=dialog]').waitFor();
        await page.keyboard.press('Escape');
        await page.locator('[role=dialog]').waitFor({ state: 'detached', timeout: 5_000 });
        assert.equal(await page.locator('[data-testid=desk-message]').count(), 0, 'exit all was not sent');
        assert.deepEqual(errors, []);
      });
    });
  }
});
