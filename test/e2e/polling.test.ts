// Issue 16 items 1 and 5: the dashboard is polite to the rate limits and honest when the server is
// away. A refused auth check (429) is retried and never shows "Cannot reach the server"; a refused
// poll is retried later without an error; hidden tabs do not poll; a stopped server marks the
// figures stale and switches the actions off. 429s are injected by the browser (page.route) in
// front of the real server so each is exactly one refusal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { browserUnavailable, isCi, launchBrowser } from '../helpers/browser.js';
import { fastConfig, startServer, tempDir, type ServerHandle } from '../helpers/server.js';
import { openAt, textNow, VIEWPORTS } from '../helpers/viewports.js';

const unavailable = browserUnavailable();
if (unavailable && !isCi) console.log(`# polling e2e tests skipped: ${unavailable}`);
const skip = unavailable && !isCi ? `skipped: ${unavailable}` : false;

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Records every text the page ever showed matching a pattern (a MutationObserver from the first paint). */
const WATCH_SCRIPT = `
  globalThis.__seen = [];
  new MutationObserver(() => {
    const t = document.body ? document.body.innerText : '';
    if (/Cannot reach the server|REST:/.test(t)) globalThis.__seen.push(t.slice(0, 200));
  }).observe(document, { subtree: true, childList: true, characterData: true });
`;

const LIVE_POLLS = ['/api/account', '/api/positions', '/api/scanner/last', '/api/trades', '/api/engine/status', '/api/engine/commands', '/api/bars'];

describe('dashboard polling, rate limits and outages (browser)', { skip }, () => {
  let server: ServerHandle;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const requests: { path: string; at: number }[] = [];
  const refused = new Map<string, number>();
  before(async () => {
    if (unavailable) return;
    const dir = tempDir();
    server = await startServer({ dataDir: dir, config: fastConfig(dir, { demoBot: { barIntervalMs: 1000, fast: 2, slow: 4, stopAtr: 3 } }) });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    await page.addInitScript(WATCH_SCRIPT);
    page.on('console', (m) => {
      // The injected refusals are logged by the browser as failed resources; those are expected.
      if (m.type() === 'error' && !/status of 429/.test(m.text())) errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    // The test's own page.reload cuts the requests in flight (ERR_ABORTED): not a failure of the server.
    page.on('requestfailed', (r) => {
      if (!/ERR_ABORTED/.test(r.failure()?.errorText ?? '')) errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
    });
    page.on('request', (r) => requests.push({ path: new URL(r.url()).pathname, at: Date.now() }));
    // The first two auth checks and the first account poll are refused as the rate limiter would.
    const refuse = (path: string, times: number) =>
      page.route(`**${path}`, async (route) => {
        const n = refused.get(path) ?? 0;
        if (n >= times) return route.continue();
        refused.set(path, n + 1);
        await route.fulfill({ status: 429, headers: { 'retry-after': '1', 'content-type': 'application/json' }, body: JSON.stringify({ statusCode: 429, error: 'Too Many Requests', message: 'Rate limit exceeded, retry in 1 second' }) });
      });
    await refuse('/api/auth/status', 2);
    await refuse('/api/account', 1);
    await page.goto(server.url, { waitUntil: 'load' });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('refused auth checks and polls are retried: the dashboard loads and never says it cannot reach the server', async () => {
    await page.locator('[data-testid=connection]').waitFor({ timeout: 30_000 });
    assert.equal(refused.get('/api/auth/status'), 2);
    await waitFor('the account poll to be retried after its refusal', () => requests.filter((r) => r.path === '/api/account').length >= 2);
    await waitFor('the balance', async () => /\d/.test(await textNow(page.locator('[data-field=balance] dd'))));
    assert.equal(refused.get('/api/account'), 1);
    const seen = await page.evaluate(() => (globalThis as unknown as { __seen: string[] }).__seen);
    assert.deepEqual(seen, [], 'no "Cannot reach the server" or REST error was ever shown');
    assert.deepEqual(errors, []);
  });

  test('only the visible tab polls: the Live tab’s endpoints go quiet on the desk page', async () => {
    // Something the Live tab polls has been asked for, then switch.
    await waitFor('the live polls', () => requests.some((r) => r.path === '/api/engine/status') && requests.some((r) => r.path === '/api/bars'));
    await page.click('[data-tab=desk]');
    await page.locator('[data-testid=desk-ES]').waitFor();
    // From the desk's first own poll on, wait for three more of its polls (seconds of desk time).
    const firstDesk = requests.findIndex((r, i) => r.path === '/api/state' && i > 0);
    await waitFor('three desk polls', () => requests.slice(firstDesk).filter((r) => r.path === '/api/state').length >= 4, 60_000);
    const since = requests[firstDesk]!.at;
    const livePolls = requests.filter((r) => r.at > since && LIVE_POLLS.some((p) => r.path.startsWith(p)));
    assert.deepEqual(livePolls, [], 'no Live-tab endpoint was polled while the desk page was shown');
    // Back on Live, they resume.
    const back = Date.now();
    await page.click('[data-tab=live]');
    await waitFor('the live polls to resume', () => requests.some((r) => r.at >= back && r.path === '/api/engine/status') && requests.some((r) => r.at >= back && r.path === '/api/account'));
    assert.deepEqual(errors, []);
  });

  test('the engine panel names the demo bot trading; the event log speaks words, not JSON', async () => {
    await page.locator('[data-testid=trades] tbody tr').first().waitFor({ timeout: 30_000 });
    const bots = page.locator('[data-testid=engine-bots]');
    await bots.waitFor({ timeout: 10_000 });
    assert.match(await bots.innerText(), /bot demo-sma on account demo/);
    // The Candidates panel spans the row at 1440 px (it was one grid column, 115 px).
    const grid = await page.locator('[data-testid=scanner-grid]').boundingBox();
    assert.ok(grid && grid.width > 1000, `the candidates panel is ${grid?.width} px wide`);
    // A fresh page gets the stored events (positions and account updates among them) in its snapshot.
    await page.reload({ waitUntil: 'load' });
    await waitFor('position or account events in the log', async () =>
      (await page.locator('[data-testid=events] li').allInnerTexts()).some((t) => /POSITION UPDATE|ACCOUNT UPDATE/.test(t)),
    );
    const lines = await page.locator('[data-testid=events] li').allInnerTexts();
    assert.deepEqual(lines.filter((t) => /[{}"]/.test(t)), [], 'no event line prints JSON');
    assert.ok(lines.some((t) => /ACCOUNT UPDATE .*demo: equity [\d,]+\.\d\d USD/.test(t) || /POSITION UPDATE .*\d+ open: /.test(t)), lines.join('\n'));
    assert.deepEqual(errors, []);
  });

  test('a chart chunk lost mid-download leaves the page up with a retry that loads it', async () => {
    // As when the server stops while the chart library downloads: the page once went blank.
    const lost = '**/assets/lightweight-charts*';
    const { page: p, errors: pageErrors, close } = await openAt(browser, server.url, VIEWPORTS[0], (pg) => void pg.route(lost, (route) => route.abort('connectionreset')));
    try {
      const failed = p.locator('[data-testid=chunk-error]');
      await failed.waitFor({ timeout: 60_000 });
      assert.match(await failed.innerText(), /The charts could not be loaded/);
      // The rest of the Live page is there and working.
      await p.locator('[data-testid=engine-commands] button').first().waitFor();
      assert.equal(await p.locator('main.grid').getAttribute('data-stale'), 'false');
      await p.unroute(lost);
      await p.locator('[data-testid=chunk-retry]').click();
      await p.locator('[data-testid=charts]').waitFor({ timeout: 60_000 });
      assert.equal(await failed.count(), 0);
      // The aborted download is the only failure the page saw.
      assert.deepEqual(pageErrors.filter((e) => !/lightweight-charts|CandleChart|ERR_CONNECTION_RESET|Failed to load resource/.test(e)), []);
    } finally {
      await close();
    }
  });

  test('with the server stopped the figures are marked stale and the actions are disabled', async () => {
    await page.locator('[data-testid=engine-commands] button').first().waitFor();
    assert.equal(await page.locator('main.grid').getAttribute('data-stale'), 'false');
    const stoppedAt = Date.now();
    await server.stop();
    const exitedAt = Date.now();
    await page.locator('[data-testid=offline]').waitFor({ timeout: 30_000 }).catch(async (e: Error) => {
      // Say what the page showed instead, so a failure names its cause.
      const connection = await textNow(page.locator('[data-testid=connection]'));
      const stale = await page.locator('main.grid').getAttribute('data-stale', { timeout: 1_000 }).catch(() => 'unread');
      const after = requests.filter((r) => r.at >= exitedAt).map((r) => `${r.at - exitedAt} ms ${r.path}`);
      throw new Error(`${e.message}\nserver exited ${exitedAt - stoppedAt} ms after SIGTERM; connection: "${connection}", data-stale: ${stale}\nrequests since: ${JSON.stringify(after.slice(-20))}\npage errors: ${JSON.stringify(errors.slice(-10))}`);
    });
    assert.equal(await page.locator('main.grid').getAttribute('data-stale'), 'true');
    const buttons = page.locator('[data-testid=engine-commands] button, [data-testid=close-position]');
    const n = await buttons.count();
    assert.ok(n > 0, 'there are action buttons to check');
    for (let i = 0; i < n; i++) assert.equal(await buttons.nth(i).isDisabled(), true, `action button ${i} is disabled`);
  });
});
