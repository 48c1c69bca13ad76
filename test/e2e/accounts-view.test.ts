// Issue 16 item 12 in a real browser: the Accounts page lists every account of a real server (the
// paper accounts and a ccxt account on the loopback fake Binance venue) with its connection state,
// balances, positions and pending orders, and the venue reconciler's difference for an order
// someone else placed at the venue; the Live tab's account switcher shows one account's positions
// and orders. At 1440x900 and 390x844: no console errors or failed requests, no sideways scrolling.
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { binanceusdmOptions } from '../fake-binance/ccxt-options.js';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';
import { browserUnavailable, isCi, launchBrowser } from '../helpers/browser.js';
import { ccxtAccountConfig, creds } from '../helpers/ccxt-account.js';
import { fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';
import { openAt, openTab, pageWidths, until, valueNow, VIEWPORTS } from '../helpers/viewports.js';

const unavailable = browserUnavailable();
if (unavailable && !isCi) console.log(`# accounts view e2e tests skipped: ${unavailable}`);
const skip = unavailable && !isCi ? `skipped: ${unavailable}` : false;

const KEY = 'TwTestKey0123456789abcdef0123456789abcdef0123456789abcdef0123456';
const SECRET = 'TwTestSecretfedcba9876543210fedcba9876543210fedcba9876543210fedc';
const TV_SECRET = 'tv-e2e-secret-0123456789';
const post = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

interface AccountRow { id: string; state: string; account?: { balance: number } }

describe('accounts and venues view (browser)', { skip }, () => {
  let fake: FakeBinance;
  let server: ServerHandle;
  let browser: Browser;
  let foreignId = '';

  before(async () => {
    if (unavailable) return;
    fake = await startFakeBinance({ replayBars: 3000, accounts: [{ apiKey: KEY, secret: SECRET, balance: 10_000 }] });
    const dir = tempDir();
    const config = fastConfig(dir, { ...ccxtAccountConfig(fake), demoBot: { barIntervalMs: 200, fast: 2, slow: 4, stopAtr: 3 } });
    server = await startServer({ dataDir: dir, config, env: { ...creds(KEY, SECRET), TV_WEBHOOK_SECRET: TV_SECRET }, startTimeoutMs: 90_000 });
    await waitFor('the venue account connected', async () => (await getJson<{ accounts: AccountRow[] }>(`${server.url}/api/accounts`)).body.accounts.find((a) => a.id === 'binance')?.state === 'connected', 120_000);
    // A position of our own on the venue account, through the server (journal first, risk engine).
    const price = fake.control.price('BTCUSDT');
    const buy = await getJson<{ order: { id: string } }>(`${server.url}/api/accounts/binance/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ symbol: 'BTC/USDT', side: 'buy', type: 'market', qty: 0.004, refPrice: price }),
    });
    assert.equal(buy.status, 201, JSON.stringify(buy.body));
    await waitFor('the venue position', async () => (await getJson<{ positions: { account_id: string }[] }>(`${server.url}/api/v1/trading/positions?account_ids=binance`)).body.positions.length > 0);
    // An order someone else placed at the venue: the periodic reconciliation reports it.
    const other = new ccxt.binanceusdm(binanceusdmOptions(fake, { apiKey: KEY, secret: SECRET }));
    try {
      const placed = await other.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.002, Math.round(fake.control.price('BTCUSDT') * 0.8), { clientOrderId: 'foreign-e2e' });
      foreignId = String(placed.id);
    } finally {
      await other.close();
    }
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await fake?.close();
  });

  for (const v of VIEWPORTS) {
    test(`${v.width}x${v.height}: every account with its state, figures, positions, orders and the reconciliation difference`, async () => {
      const { page, errors, close } = await openAt(browser, server.url, v);
      try {
        await openTab(page, 'accounts');
        const api = (await getJson<{ default: string; accounts: AccountRow[] }>(`${server.url}/api/accounts`)).body;
        await until('a row per account', async () => (await page.locator('[data-testid=accounts] tbody tr').count()) === api.accounts.length);
        const rows = await page.locator('[data-testid=accounts] tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-account'), tr.getAttribute('data-state')]));
        assert.deepEqual(rows.map((r) => r[0]).sort(), api.accounts.map((a) => a.id).sort());
        assert.deepEqual(rows.find((r) => r[0] === 'binance'), ['binance', 'connected']);
        assert.match(await page.locator('[data-testid=accounts] tr[data-account=binance]').innerText(), /binanceusdm · testnet[\s\S]*connected/);
        // The paper account's balance as the server states it (it does not trade here).
        const paper = api.accounts.find((a) => a.id === api.default)?.account?.balance ?? NaN;
        assert.equal(await page.locator(`[data-testid=accounts] tr[data-account=${api.default}] [data-field=balance]`).innerText(), `${paper.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} USD`);
        // The venue account's position, and the foreign order reported by the reconciler.
        await page.locator('[data-testid=accounts-positions] tr[data-account=binance]').first().waitFor({ timeout: 20_000 });
        const diff = page.locator('[data-testid=accounts-reconciliation] tr[data-kind=unknown-order][data-account=binance]').first();
        await diff.waitFor({ timeout: 40_000 });
        assert.match(await diff.innerText(), new RegExp(`venue order id ${foreignId}`));
        assert.match(await diff.innerText(), /action reported/);
        // A row click keeps only that account's positions and orders.
        await page.click('[data-testid=accounts] tr[data-account=binance]');
        await until('only binance positions', async () => {
          const accts = await page.locator('[data-testid=accounts-positions] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-account')));
          return accts.length > 0 && accts.every((a) => a === 'binance');
        });
        await page.click('[data-testid=accounts-show-all]');
        const w = await pageWidths(page);
        assert.ok(w.scroll <= w.inner, `the page is ${w.scroll} px wide on a ${w.inner} px window`);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });
  }

  test('desk positions appear on the Live tab (issue 16 item 7)', async () => {
    const { page, errors, close } = await openAt(browser, server.url, VIEWPORTS[0]);
    try {
      await page.locator('[data-testid=desk-positions]').waitFor();
      // TradingView's heartbeat and bars (8, 12 and 6 points, all green) open the desk's gates, as a desk operator's day starts.
      const hb = await getJson(`${server.url}/tv_heartbeat`, post({ secret: TV_SECRET, symbol: 'ES', price: 6000, timestamp: Math.floor(Date.now() / 1000) }));
      assert.equal(hb.status, 200, JSON.stringify(hb.body));
      for (const [path, id] of [['/tv_renko_high', 'h-1'], ['/tv_renko_macro', 'm-1'], ['/tv_renko_main', 'k-1']] as const) {
        const r = await getJson(`${server.url}${path}`, post({ secret: TV_SECRET, asset: 'ES', color: 'green', bar_id: id }));
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
      const entry = await getJson<{ ok: boolean; order: { id: string } }>(`${server.url}/api/orders`, post({ asset: 'ES', trade_mode: 'SCALP', order_type: 'market', entry_size_mode: '6pt' }));
      assert.equal(entry.body.ok, true, JSON.stringify(entry.body));
      const pos = await waitFor('the desk position', async () => (await getJson<{ id: string; symbol: string }[]>(`${server.url}/api/positions?account=renko`)).body[0]);
      await page.locator(`[data-testid=desk-positions] tr[data-position="${pos.id}"]`).waitFor({ timeout: 20_000 });
      assert.equal(await page.locator(`[data-testid=desk-positions] tr[data-position="${pos.id}"]`).getAttribute('data-symbol'), pos.symbol);
      // The desk's controls explain themselves: every button and choice of an asset has a title.
      await openTab(page, 'desk');
      await page.locator('[data-testid=desk-ES] button').first().waitFor();
      const untitled = await page.locator('[data-testid=desk-ES] button, [data-testid=desk-ES] select').evaluateAll((els) => els.filter((e) => !(e.getAttribute('title') ?? '').trim()).map((e) => e.textContent));
      assert.deepEqual(untitled, []);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });

  test('the Live tab’s account switcher shows the chosen account’s positions and orders', async () => {
    const { page, errors, close } = await openAt(browser, server.url, VIEWPORTS[1]);
    try {
      await page.locator('[data-testid=account-switcher] option[value=binance]').waitFor({ state: 'attached' });
      await page.selectOption('[data-testid=account-switcher]', 'binance');
      await until('the venue position on the Live tab', async () => {
        const ids = await page.locator('[data-testid=positions] tbody tr[data-position]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-position') ?? ''));
        return ids.length > 0 && ids.every((id) => id.startsWith('binance-'));
      });
      await until('the venue orders', async () => (await page.locator('[data-testid=orders][data-account=binance] tbody tr').count()) > 0);
      const titles = await page.locator('[data-testid=orders] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('title') ?? ''));
      assert.ok(titles.every((t) => t.startsWith('binance-')), titles.join(','));
      // The primary paper account holds nothing here: its choice empties the table.
      await page.selectOption('[data-testid=account-switcher]', 'paper');
      await until('no positions for the paper account', async () => (await page.locator('[data-testid=positions] tbody tr[data-position]').count()) === 0);
      // The choice is kept across a reload.
      await page.reload({ waitUntil: 'load' });
      await until('the switcher restored', async () => (await valueNow(page.locator('[data-testid=account-switcher]'))) === 'paper');
      const w = await pageWidths(page);
      assert.ok(w.scroll <= w.inner, `the Live page is ${w.scroll} px wide on a ${w.inner} px window`);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});
