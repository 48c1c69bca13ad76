// Issue 16 items 1, 3, 4 and 7 reproduced in a real browser on a real server:
// - item 1: the engine's state and closed bars reach the Live tab over the WebSocket
//   (ENGINE_UPDATE, BAR) while every /api/engine/status and /api/bars answer is held back; the
//   desk's changes reach the Desk page (DESK_UPDATE) while /api/state and /api/desk/state are held
//   back, at both sizes; the operator desk (its stream cut) and the Logs page stop polling
//   while the browser tab is hidden and back off after refusals (429) instead of showing them;
// - item 4: exit all on the desk lists the position it skipped (exit lock) in red, and the forced
//   exit closes it;
// - item 3: Close confirmed on a desk position someone else closed meanwhile answers "already
//   closed" without a red error and closes the dialog;
// - item 7: the desk position's open time reads as a time, its labels as words;
// - item 11: the chart page's volume, an open position's entry level and a closed trade drawn
//   from its entry to its exit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page, Request, Route } from 'playwright-core';
import { DEFAULT_SIM_INSTRUMENTS } from '../../src/adapters/feed-sim.js';
import { browserUnavailable, isCi, launchBrowser } from '../helpers/browser.js';
import { fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';
import { openAt, openTab, pageWidths, textNow, until, VIEWPORTS } from '../helpers/viewports.js';

const unavailable = browserUnavailable();
if (unavailable && !isCi) console.log(`# live push / desk e2e tests skipped: ${unavailable}`);
const skip = unavailable && !isCi ? `skipped: ${unavailable}` : false;

const TV_SECRET = 'tv-e2e-secret-push-0123456789';
const OPS = 'ops';
const post = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Makes document.visibilityState answer what the test says, as a browser does for a background tab. */
const VISIBILITY_SCRIPT = `
  globalThis.__hidden = false;
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (globalThis.__hidden ? 'hidden' : 'visible') });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => globalThis.__hidden });
`;
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((h) => {
    (globalThis as unknown as { __hidden: boolean }).__hidden = h;
    (globalThis as unknown as { document: { dispatchEvent(e: unknown): void } }).document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);

/** The Desk page's own /ws connection (DESK_UPDATE). */
const DESK_STREAM = (url: URL) => url.pathname === '/ws' && url.searchParams.get('types') === 'DESK_UPDATE';

/** Holds back every request to these routes until `release()`: only the stream can then tell the page anything. */
async function holdRoutes(page: Page, patterns: readonly string[]): Promise<{ readonly held: number; release(): Promise<void> }> {
  const held: Route[] = [];
  for (const path of patterns) await page.route(path, (route) => void held.push(route));
  return {
    get held() {
      return held.length;
    },
    async release() {
      for (const path of patterns) await page.unroute(path);
      for (const r of held) await r.continue().catch(() => undefined);
    },
  };
}

/** The demo bot's refusals aside, what the page logged: 429s the test injected are expected. */
const unexpected = (errors: string[]) => errors.filter((e) => !/429/.test(e));

describe('engine state pushed, desk polling, exit all and close races (browser)', { skip }, () => {
  let server: ServerHandle;
  let browser: Browser;

  before(async () => {
    if (unavailable) return;
    const dir = tempDir();
    // A long exit lock: exit all must find it active however slow the machine is.
    // A paper account of the `accounts` list takes the chart test's operator orders.
    // ES and NQ barely move: the desk closes a position by itself once it is 2.5 points up and
    // back at breakeven (and a SCALP one at +6), which at the default volatility (NQ about a point
    // a second) happened in about one run in ten before the Live tab's next poll could show it.
    const feed = { tickIntervalMs: 50, instruments: DEFAULT_SIM_INSTRUMENTS.map((i) => (i.symbol === 'ES' || i.symbol === 'NQ' ? { ...i, annualVol: 0.002 } : i)) };
    server = await startServer({ dataDir: dir, config: fastConfig(dir, { feed, renkoDesk: { exitLockSeconds: 900 }, accounts: [{ id: OPS, kind: 'paper', startingBalance: 1_000_000 }] }), env: { TV_WEBHOOK_SECRET: TV_SECRET } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** TradingView's heartbeat and bars (8, 12 and 6 points, all green) open the asset's gates; then a market entry. */
  const openDeskPosition = async (asset: 'ES' | 'NQ'): Promise<{ id: string; symbol: string }> => {
    const hb = await getJson(`${server.url}/tv_heartbeat`, post({ secret: TV_SECRET, symbol: asset, price: asset === 'ES' ? 6000 : 21000, timestamp: Math.floor(Date.now() / 1000) }));
    assert.equal(hb.status, 200, JSON.stringify(hb.body));
    for (const [path, id] of [['/tv_renko_high', `h-${asset}`], ['/tv_renko_macro', `m-${asset}`], ['/tv_renko_main', `k-${asset}`]] as const) {
      const r = await getJson(`${server.url}${path}`, post({ secret: TV_SECRET, asset, color: 'green', bar_id: id }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const entry = await getJson<{ ok: boolean }>(`${server.url}/api/orders`, post({ asset, trade_mode: 'SCALP', order_type: 'market', entry_size_mode: '6pt' }));
    assert.equal(entry.body.ok, true, JSON.stringify(entry.body));
    return waitFor(`the ${asset} desk position`, async () =>
      (await getJson<{ id: string; symbol: string }[]>(`${server.url}/api/positions?account=renko`)).body.find((p) => p.symbol.startsWith(asset === 'ES' ? 'MES' : 'MNQ')),
    );
  };
  const deskOpen = async () => (await getJson<{ id: string }[]>(`${server.url}/api/positions?account=renko`)).body.map((p) => p.id);

  test('item 1: the engine state reaches the Live tab over the WebSocket while /api/engine/status answers are held', async () => {
    const { page, errors, close } = await openAt(browser, server.url, VIEWPORTS[0]);
    try {
      const before = await getJson<{ state: string }>(`${server.url}/api/engine/status`);
      await until('the engine state shown', async () => (await page.locator('[data-testid=engine-state]').innerText()) === before.body.state);
      // From now on no status answer reaches the page: only the stream can tell it the state changed.
      const hold = await holdRoutes(page, ['**/api/engine/status']);
      const presets = (await getJson<{ name: string }[]>(`${server.url}/api/presets/`)).body;
      const started = await getJson<{ success: boolean; state: string }>(`${server.url}/api/engine/start`, post({ preset: presets[0]?.name, mode: 'paper' }));
      assert.equal(started.body.success, true, JSON.stringify(started.body));
      const after = (await getJson<{ state: string }>(`${server.url}/api/engine/status`)).body.state;
      assert.notEqual(after, before.body.state);
      await until(`the page showing ${after}`, async () => (await page.locator('[data-testid=engine-state]').innerText()) === after, 15_000);
      const stopped = await getJson<{ success: boolean }>(`${server.url}/api/engine/stop`, post({}));
      assert.equal(stopped.body.success, true, JSON.stringify(stopped.body));
      const last = (await getJson<{ state: string }>(`${server.url}/api/engine/status`)).body.state;
      await until(`the page showing ${last}`, async () => (await page.locator('[data-testid=engine-state]').innerText()) === last, 15_000);
      await hold.release();
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });

  test('item 1: closed bars reach the Live tab’s chart over the WebSocket (BAR) while /api/bars answers are held', async () => {
    const { page, errors, close } = await openAt(browser, server.url, VIEWPORTS[0]);
    const barFrames: string[] = [];
    page.on('websocket', (ws) => ws.on('framereceived', (f) => typeof f.payload === 'string' && f.payload.includes('"type":"BAR"') && barFrames.push(f.payload)));
    try {
      const count = async () => Number(/(\d+) bars/.exec(await page.locator('[data-testid=chart-ES] [data-testid=chart-last]').innerText())?.[1] ?? 0);
      await until('the ES chart’s history', async () => (await count()) > 0, 60_000);
      // From now on no bar history reaches the page: only the stream can add bars.
      const hold = await holdRoutes(page, ['**/api/bars?*']);
      const before = await count();
      // Two 5 s bars closing.
      await until('two more bars on the ES chart', async () => (await count()) >= before + 2, 60_000);
      const last = (await getJson<{ bars: { close: number }[] }>(`${server.url}/api/bars?symbol=ES&interval=5000&limit=1`)).body.bars[0];
      assert.ok(last, 'the server keeps ES bars');
      assert.ok(barFrames.some((f) => f.includes('"symbol":"ES"') && f.includes('"interval_ms":5000')), 'ES 5 s bars came as BAR frames');
      await hold.release();
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });

  for (const v of VIEWPORTS) {
    test(`item 1: desk changes reach the Desk page over the WebSocket (DESK_UPDATE) while /api/state and /api/desk/state answers are held (${v.width}x${v.height})`, async () => {
      const stateAnswers: number[] = [];
      const isState = (url: string) => ['/api/state', '/api/desk/state'].includes(new URL(url).pathname);
      // Desk state requests sent and not yet answered (a poll may be under way when the hold starts).
      // Watched from before the page loads: a request of the load answered after listeners attached
      // later would count -1 and the count would never match the held ones (the flake of the fourth session).
      const inFlight = new Set<Request>();
      const { page, errors, close } = await openAt(browser, `${server.url}/#desk`, v, (p) => {
        p.on('request', (r) => void (isState(r.url()) && inFlight.add(r)));
        p.on('requestfinished', (r) => void inFlight.delete(r));
        p.on('requestfailed', (r) => void inFlight.delete(r));
        p.on('response', (r) => isState(r.url()) && stateAnswers.push(Date.now()));
      });
      try {
        const card = page.locator('[data-testid=desk-ES]');
        await card.waitFor();
        await until('the desk stream live', async () => (await page.locator('[data-testid=desk-stream]').getAttribute('data-live')) === 'true', 60_000);
        // From now on no desk state answer reaches the page: only the stream can tell it what changed.
        const hold = await holdRoutes(page, ['**/api/state', '**/api/desk/state']);
        // A poll sent just before the hold may still be answered: let it land before the change below.
        await until('no desk state request under way but the held ones', async () => inFlight.size === hold.held, 15_000);
        const heldFrom = Date.now();
        const flag = card.locator('button', { hasText: '8pt next-bar' });
        const was = await flag.getAttribute('aria-pressed');
        await flag.click();
        await until('the 8pt next-bar flag toggled on the page', async () => (await flag.getAttribute('aria-pressed')) !== was, 15_000);
        const armed = (await getJson<{ assets: Record<string, { exits: { high_next_bar_exit: { armed: boolean } } }> }>(`${server.url}/api/desk/state`)).body.assets.ES?.exits.high_next_bar_exit.armed;
        assert.equal(String(armed), await flag.getAttribute('aria-pressed'), 'the page shows what the server holds');

        // A change made elsewhere (another operator, a script): an intent armed, then cancelled.
        const intentRow = async () => /intent\s+(\w+)/.exec(await card.innerText())?.[1];
        const armedIntent = await getJson<{ ok: boolean }>(`${server.url}/api/intent`, post({ asset: 'ES' }));
        assert.equal(armedIntent.body.ok, true, JSON.stringify(armedIntent.body));
        await until('the intent ARMED on the page', async () => (await intentRow()) === 'ARMED', 15_000);
        const cancelled = await getJson<{ ok: boolean }>(`${server.url}/api/intent/cancel`, post({ asset: 'ES' }));
        assert.equal(cancelled.body.ok, true, JSON.stringify(cancelled.body));
        await until('the intent gone on the page', async () => (await intentRow()) === 'NONE', 15_000);
        assert.deepEqual(stateAnswers.filter((t) => t > heldFrom), [], 'no desk state answer reached the page meanwhile');

        await hold.release();
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });
  }

  test('item 1: the desk stops polling while the browser tab is hidden, and backs off after refusals', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.addInitScript(VISIBILITY_SCRIPT);
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    const polls: number[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/state') polls.push(Date.now());
    });
    try {
      // With its stream cut the desk falls back to polling every second: that polling is watched here.
      await page.routeWebSocket(DESK_STREAM, (ws) => ws.close());
      await page.goto(`${server.url}/#desk`, { waitUntil: 'load' });
      await page.locator('[data-testid=desk-ES]').waitFor();
      await until('three desk polls', async () => polls.length >= 3);
      // A second, visible tab on the desk is the clock: six of its polls with none from the hidden one.
      const watcher = await openAt(browser, `${server.url}/#desk`, VIEWPORTS[0]);
      await watcher.page.routeWebSocket(DESK_STREAM, (ws) => ws.close());
      await watcher.page.reload({ waitUntil: 'load' });
      const watcherPolls: number[] = [];
      watcher.page.on('request', (r) => {
        if (new URL(r.url()).pathname === '/api/state') watcherPolls.push(Date.now());
      });
      await setHidden(page, true);
      const hiddenAt = Date.now();
      try {
        await until('six polls of the visible tab', async () => watcherPolls.filter((t) => t > hiddenAt).length >= 6, 60_000).catch((e: Error) => {
          throw new Error(`${e.message} (visible tab: ${watcherPolls.length} polls, ${watcher.errors.join('; ')}; hidden tab: ${polls.filter((t) => t > hiddenAt).length})`);
        });
      } finally {
        await watcher.close();
      }
      // At most the one already on its way as the tab was hidden.
      const whileHidden = polls.filter((t) => t > hiddenAt);
      assert.ok(whileHidden.length <= 1, `desk polls while the tab was hidden: ${whileHidden.length}`);
      await setHidden(page, false);
      const shownAt = Date.now();
      await until('the desk polling again', async () => polls.some((t) => t >= shownAt));

      // Refusals: three 429s in a row, then the real server again.
      let refused = 0;
      const refusedAt: number[] = [];
      await page.route('**/api/state', async (route) => {
        if (refused >= 3) return route.continue();
        refused += 1;
        refusedAt.push(Date.now());
        await route.fulfill({ status: 429, headers: { 'retry-after': '1', 'content-type': 'application/json' }, body: JSON.stringify({ statusCode: 429, error: 'Too Many Requests', message: 'Rate limit exceeded, retry in 1 second' }) });
      });
      await until('three refusals', async () => refused >= 3, 30_000);
      await page.locator('[data-testid=desk-busy]').waitFor();
      const gaps = refusedAt.slice(1).map((t, i) => t - (refusedAt[i] as number));
      // Doubling from the 1 s beat: 2 s, then 4 s (a little early is the timer's slack).
      assert.ok((gaps[0] as number) >= 1_800 && (gaps[1] as number) >= 3_600, `gaps between refused polls: ${gaps.join(', ')} ms`);
      await page.locator('[data-testid=desk-busy]').waitFor({ state: 'detached', timeout: 30_000 });
      assert.doesNotMatch(await page.locator('[data-testid=desk]').innerText(), /Too Many Requests|Rate limit exceeded/);
      assert.deepEqual(unexpected(errors), []);
    } finally {
      await context.close();
    }
  });

  test('item 1: the Logs page stops polling logs and metrics while the browser tab is hidden; a 429 is retried, not shown', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const page = await context.newPage();
    await page.addInitScript(VISIBILITY_SCRIPT);
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    const polls: { path: string; at: number }[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path === '/api/logs' || path === '/api/metrics/summary') polls.push({ path, at: Date.now() });
    });
    try {
      await page.goto(`${server.url}/#logs`, { waitUntil: 'load' });
      await until('two polls of each', async () => polls.filter((p) => p.path === '/api/logs').length >= 2 && polls.filter((p) => p.path === '/api/metrics/summary').length >= 2);
      // A visible tab on the same page is the clock: four of its log polls (12 s of the 3 s beat) with none from the hidden one.
      const watcher = await openAt(browser, `${server.url}/#logs`, VIEWPORTS[0]);
      const watcherPolls: number[] = [];
      watcher.page.on('request', (r) => {
        if (new URL(r.url()).pathname === '/api/logs') watcherPolls.push(Date.now());
      });
      await setHidden(page, true);
      const hiddenAt = Date.now();
      try {
        await until('four log polls of the visible tab', async () => watcherPolls.filter((t) => t > hiddenAt).length >= 4, 90_000);
      } finally {
        await watcher.close();
      }
      const whileHidden = polls.filter((p) => p.at > hiddenAt);
      assert.ok(whileHidden.length <= 2, `polls while the tab was hidden: ${JSON.stringify(whileHidden)}`);
      // Shown again, with the next log poll refused once: retried later, never printed as an error.
      let refused = 0;
      await page.route('**/api/logs?*', async (route) => {
        if (refused >= 1) return route.continue();
        refused += 1;
        await route.fulfill({ status: 429, headers: { 'retry-after': '1', 'content-type': 'application/json' }, body: JSON.stringify({ statusCode: 429, error: 'Too Many Requests', message: 'Rate limit exceeded, retry in 1 second' }) });
      });
      const shownAt = Date.now();
      await setHidden(page, false);
      await until('the refusal and a later answered poll', async () => refused === 1 && polls.filter((p) => p.path === '/api/logs' && p.at > shownAt).length >= 2);
      assert.equal(await page.locator('[data-testid=logs-error]').count(), 0, 'the refusal is not shown as an error');
      await page.locator('[data-testid=logs-busy]').waitFor({ state: 'detached' });
      assert.deepEqual(unexpected(errors), []);
    } finally {
      await context.close();
    }
  });

  test('items 4 and 7: exit all lists the locked position it skipped in red; forced, it closes; the open time is a time', async () => {
    const { page, errors, close } = await openAt(browser, `${server.url}/#desk`, VIEWPORTS[0]);
    try {
      const pos = await openDeskPosition('ES');
      const card = page.locator('[data-testid=desk-ES] [data-testid=desk-position]');
      await until('the ES position on the desk', async () => /opened/i.test(await textNow(card)));
      const text = await card.innerText();
      assert.match(text, /opened\s+\d{2}\/\d{2}\/\d{4}, \d{2}:\d{2}:\d{2}/i, `the open time as a time: ${text}`);
      assert.doesNotMatch(text, /\b\d{12,}\b/, 'no raw epoch number');
      assert.doesNotMatch(await card.locator('dt').allInnerTexts().then((l) => l.join(' ')), /_/, 'labels in words, not snake_case');

      await page.click('[data-testid=desk-exit-all]');
      await page.locator('[data-testid=confirm]').click();
      await page.locator('[data-testid=desk-skipped] li[data-asset=ES]').waitFor();
      const message = page.locator('[data-testid=desk-message]');
      assert.match(await message.innerText(), /NOT exited/);
      assert.equal(await message.getAttribute('class'), 'error', 'a skipped position is not shown as a green ok');
      assert.equal(await page.locator('[data-testid=desk-skipped] li[data-asset=ES]').getAttribute('data-code'), 'exit_lock');
      assert.match(await page.locator('[data-testid=desk-skipped] li[data-asset=ES]').innerText(), /EXIT LOCK ACTIVE/);
      assert.deepEqual(await deskOpen(), [pos.id], 'the position is still open, as the page says');

      await page.click('[data-testid=desk-exit-all-force]');
      await page.locator('[data-testid=confirm]').click();
      await waitFor('the position closed by the forced exit', async () => ((await deskOpen()).includes(pos.id) ? null : true));
      await page.locator('[data-testid=desk-skipped]').waitFor({ state: 'detached', timeout: 20_000 });
      assert.deepEqual(unexpected(errors), []);
    } finally {
      await close();
    }
  });

  test('item 3: Close confirmed on a desk position closed meanwhile says "already closed", no red error, dialog gone', async () => {
    // The panel's reads as the browser made them (sent, answered), for the message of a time-out.
    const t0 = Date.now();
    const reads: string[] = [];
    const track = (r: Request, what: string) => {
      const u = new URL(r.url());
      if (u.pathname === '/api/accounts' || u.pathname === '/api/positions') reads.push(`${Date.now() - t0} ms ${what} ${u.pathname}${u.search}`);
    };
    const { page, errors, close } = await openAt(browser, server.url, VIEWPORTS[0], (p) => {
      p.on('request', (r) => track(r, 'sent'));
      p.on('requestfinished', (r) => track(r, 'answered'));
      p.on('requestfailed', (r) => track(r, `failed (${r.failure()?.errorText ?? '?'})`));
      p.on('response', (r) => {
        const u = new URL(r.url());
        if (u.pathname !== '/api/positions' || u.searchParams.get('account') !== 'renko') return;
        const at = Date.now() - t0;
        void r
          .text()
          .then((t) => reads.push(`${at} ms body ${r.status()} ${r.fromServiceWorker() ? 'sw ' : ''}${t.slice(0, 120)}`))
          .catch((e: Error) => reads.push(`${at} ms body unread: ${e.message}`));
      });
    });
    try {
      const pos = await openDeskPosition('NQ');
      const opened = Date.now() - t0;
      const row = page.locator(`[data-testid=desk-positions] tr[data-position="${pos.id}"]`);
      await row.waitFor({ timeout: 30_000 }).catch(async (e: Error) => {
        // Say what the page showed instead, so a failure names its cause.
        const panel = page.locator('[data-testid=desk-positions]');
        const shown = (await panel.count()) > 0 ? await panel.innerText() : 'no desk positions panel';
        const atServer = await deskOpen().catch((x: Error) => x.message);
        const exits = await getJson<{ trades?: { symbol: string; exit_reason: string }[] }>(`${server.url}/api/trade-history?account=renko&limit=2`)
          .then((r) => (r.body.trades ?? []).map((t) => `${t.symbol}: ${t.exit_reason}`))
          .catch((x: Error) => [x.message]);
        throw new Error(`${e.message}\npanel: ${shown}\nposition open at the server ${opened} ms after the page opened (open now: ${JSON.stringify(atServer)}; the desk's last exits: ${JSON.stringify(exits)}); the page's reads: ${JSON.stringify(reads)}\npage errors: ${JSON.stringify(errors)}`);
      });
      // The panel learns nothing new from here on: the race stays open however the polls fall.
      const hold = await holdRoutes(page, ['**/api/positions?account=renko*']);
      await row.locator('[data-testid=close-position]').click();
      await page.locator('[role=dialog] [data-testid=confirm]').waitFor();
      // Someone else (the desk's own exit rule, another operator) closes it first.
      const closed = await getJson<{ message?: string }>(`${server.url}/api/positions/${encodeURIComponent(pos.id)}/close`, post({}));
      assert.equal(closed.status, 200, JSON.stringify(closed.body));
      await waitFor('the position closed at the server', async () => ((await deskOpen()).includes(pos.id) ? null : true));
      await page.locator('[data-testid=confirm]').click();
      const message = page.locator('[data-testid=desk-positions] [data-testid=positions-message]');
      await until('the answer', async () => (await message.count()) > 0 && (await message.innerText()).length > 0);
      assert.match(await message.innerText(), /already clos/);
      assert.notEqual(await message.getAttribute('class'), 'error small', 'not shown as an error');
      assert.equal(await page.locator('[role=dialog]').count(), 0, 'the dialog closed');
      // Treated as closed: the row goes without waiting for the next poll.
      await row.waitFor({ state: 'detached', timeout: 5_000 });
      await hold.release();
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });

  test('item 11: the chart page draws volume, an open position’s entry level, and the closed trade joined from entry to exit', async () => {
    const { page, errors, close } = await openAt(browser, `${server.url}/#chart`, VIEWPORTS[0]);
    try {
      const chart = page.locator('[data-testid=big-chart]');
      await page.selectOption('[data-testid=chart-symbol]', 'ES');
      await until('ES bars with volume', async () => Number(await chart.getAttribute('data-bars')) > 2 && Number(await chart.getAttribute('data-volume')) > 0);
      assert.equal(await page.locator('[data-testid=chart-interval]').inputValue(), '5000');
      // An operator's position on a paper account of its own (the demo bot trades on another).
      const lastBar = async () => (await getJson<{ bars: { time: number; close: number }[] }>(`${server.url}/api/bars?symbol=ES&interval=5000&limit=1`)).body.bars[0] as { time: number; close: number };
      const buy = await getJson(`${server.url}/api/accounts/${OPS}/orders`, post({ symbol: 'ES', side: 'buy', type: 'market', qty: 1, refPrice: (await lastBar()).close }));
      assert.ok(buy.status < 300, JSON.stringify(buy.body));
      const pos = await waitFor('the ES position', async () => (await getJson<{ id: string; symbol: string }[]>(`${server.url}/api/positions?account=${OPS}`)).body.find((p) => p.symbol === 'ES'));
      await until('its entry level on the chart', async () => ((await chart.getAttribute('data-levels')) ?? '').split('|').includes(`${OPS} long entry`), 30_000);
      // Held over two bar closes, so its entry and exit fall on different candles.
      const openedBar = (await lastBar()).time;
      await waitFor('two more 5 s bars', async () => ((await lastBar()).time >= openedBar + 10_000 ? true : null), 60_000);
      const joinedBefore = Number(await chart.getAttribute('data-joined'));
      const closed = await getJson(`${server.url}/api/positions/${encodeURIComponent(pos.id)}/close`, post({}));
      assert.equal(closed.status, 200, JSON.stringify(closed.body));
      await until('the trade joined from entry to exit', async () => Number(await chart.getAttribute('data-joined')) > joinedBefore, 30_000);
      await until('its entry level gone', async () => !((await chart.getAttribute('data-levels')) ?? '').split('|').includes(`${OPS} long entry`), 30_000);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });

  test('item 5: at 390x844 an alert with a long unbroken message joins the event log live and stays within the screen (last: it stops the engine)', async () => {
    const { page, errors, close } = await openAt(browser, server.url, VIEWPORTS[1]);
    try {
      await page.locator('[data-testid=events]').waitFor();
      await until('the stream open', async () => (await page.locator('[data-testid=connection]').innerText()) === 'live');
      // An operator's emergency stop with a long reason: the kill switch's ALERT carries it to the event log.
      const reason = `halt-${'x'.repeat(300)}-end`;
      const stop = await getJson(`${server.url}/api/engine/emergency-stop`, post({ reason }));
      assert.equal(stop.status, 200, JSON.stringify(stop.body));
      await until('the alert in the event log, without a reload', async () => (await page.locator('[data-testid=events] li').allInnerTexts()).some((t) => t.includes('halt-xxxx')), 30_000);
      const w = await pageWidths(page);
      assert.ok(w.scroll <= w.inner, `the Live page is ${w.scroll} px wide on a ${w.inner} px screen`);
      await openTab(page, 'desk');
      await page.locator('[data-testid=desk-ES]').waitFor();
      const d = await pageWidths(page);
      assert.ok(d.scroll <= d.inner, `the desk page is ${d.scroll} px wide on a ${d.inner} px screen`);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});
