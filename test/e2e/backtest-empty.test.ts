// Issue 16 item 6 (part): a backtest over a range the store holds nothing for says so as an error,
// instead of "done 100 %" with an empty result.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserUnavailable, isCi, launchBrowser, openPage } from '../helpers/browser.js';
import { fastConfig, startServer, tempDir, type ServerHandle } from '../helpers/server.js';
import { textNow } from '../helpers/viewports.js';

const unavailable = browserUnavailable();
if (unavailable && !isCi) console.log(`# backtest empty-range e2e test skipped: ${unavailable}`);
const skip = unavailable && !isCi ? `skipped: ${unavailable}` : false;

describe('backtest page: an empty range (browser)', { skip }, () => {
  let server: ServerHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  before(async () => {
    if (unavailable) return;
    const dir = tempDir();
    server = await startServer({ dataDir: dir, config: fastConfig(dir) });
    browser = await launchBrowser();
    ({ page, errors } = await openPage(browser, `${server.url}/#backtest`));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a store range with no data is reported as an error, not as done', async () => {
    await page.locator('[data-testid=backtest-form]').waitFor();
    await page.locator('[data-testid=backtest-form] [role=radio]').nth(1).click();
    await page.fill('[data-testid=backtest-form] input[name=instrument]', 'ES');
    await page.fill('[data-testid=backtest-form] input[name=from]', '2001-01-01');
    await page.fill('[data-testid=backtest-form] input[name=to]', '2001-01-02');
    await page.click('[data-testid=backtest-run]');
    const shown = page.locator('[data-testid=backtest-empty], [data-testid=backtest-failed], [data-testid=backtest-error]').first();
    await shown.waitFor({ timeout: 30_000 });
    const said = await shown.innerText();
    assert.match(said, /no (\d+s )?(bars|data)/i);
    assert.doesNotMatch(said, /\/tmp|tw-test/, 'no server path in the message');
    assert.doesNotMatch(await textNow(page.locator('[data-testid=backtest-progress]')), /done/);
    assert.equal(await page.locator('[data-testid=backtest-summary]').count(), 0, 'no summary of an empty run');
    assert.deepEqual(errors.filter((e) => !/status of 4\d\d/.test(e)), []);
  });
});
