// Issue 16 item 11, the desk's part: the Chart page draws the Renko bricks the server builds for
// the operator desk (bar source `feed`: bricks from the simulated ES ticks), the same bricks
// GET /api/bars/overlays serves, at 1440x900 and 390x844, without console errors or sideways
// scrolling.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserUnavailable, isCi, launchBrowser } from '../helpers/browser.js';
import { fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';
import { openAt, pageWidths, until, VIEWPORTS } from '../helpers/viewports.js';

const unavailable = browserUnavailable();
if (unavailable && !isCi) console.log(`# chart bricks e2e tests skipped: ${unavailable}`);
const skip = unavailable && !isCi ? `skipped: ${unavailable}` : false;

interface Overlays {
  bricks: { size: number; bricks: { time: number; open: number; close: number }[] }[];
}

describe('chart page: the desk’s Renko bricks (browser)', { skip }, () => {
  let server: ServerHandle;
  let browser: Browser;

  before(async () => {
    if (unavailable) return;
    const dir = tempDir();
    // No webhook secret: the desk's bricks come from the feed's ticks (bar source `feed`).
    server = await startServer({ dataDir: dir, config: fastConfig(dir, { demoBot: { enabled: false } }) });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const v of VIEWPORTS) {
    test(`${v.width}x${v.height}: the ES chart shows the server's bricks`, async () => {
      const served = await waitFor('ES bricks built by the server', async () => {
        const o = (await getJson<Overlays>(`${server.url}/api/bars/overlays?symbol=ES&interval=5000`)).body;
        const n = o.bricks.reduce((sum, s) => sum + s.bricks.length, 0);
        return n > 0 ? n : null;
      }, 120_000);
      const { page, errors, close } = await openAt(browser, `${server.url}/#chart`, v);
      try {
        const chart = page.locator('[data-testid=big-chart]');
        await page.selectOption('[data-testid=chart-symbol]', 'ES');
        await until('the bricks on the chart', async () => Number(await chart.getAttribute('data-bricks')) >= served, 60_000);
        // The bricks (from ticks) can come before the first 5-second bar has closed on a server
        // this young: wait for the bars rather than read them at once.
        await until('the ES bars under the bricks', async () => Number(await chart.getAttribute('data-bars')) > 0, 60_000);
        const w = await pageWidths(page);
        assert.ok(w.scroll <= w.inner, `the chart page is ${w.scroll} px wide on a ${w.inner} px window`);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });
  }
});
