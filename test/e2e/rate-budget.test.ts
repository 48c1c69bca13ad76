// The default rate limits against the product's own parts, for real and for more than a minute:
// the dashboard in Chromium (several tabs' worth of polling), a bridge long-polling and a bridge
// polling every 500 ms (the `tradewind bridge` default) with their heartbeats and PnL snapshots,
// and TradingView webhooks at 5 a second, all from one address. Zero 429, and the server's own
// X-RateLimit-Remaining says how much of each budget the load used: the budget sizing check.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { defaultRateGroups } from '../../src/cli/config-defaults.js';
import { browserUnavailable, isCi, launchBrowser } from '../helpers/browser.js';
import { startServer, type ServerHandle } from '../helpers/server.js';
import { openAt, pageWidths, VIEWPORTS } from '../helpers/viewports.js';

const unavailable = browserUnavailable();
if (unavailable && !isCi) console.log(`# rate budget e2e test skipped: ${unavailable}`);
const skip = unavailable && !isCi ? `skipped: ${unavailable}` : false;
const BRIDGE_SECRET = 'budget-bridge-secret-0123';
const TV_SECRET = 'budget-tv-secret-0123';
// A little over a minute: one full one-minute window of every group, within the 120 s per-file test timeout.
const RUN_MS = 61_000;

type Group = 'reads' | 'control' | 'open' | 'bridge' | 'webhook';

/** Per group: requests, statuses, and the most of one window's budget in use (limit - remaining). */
class Tally {
  readonly requests = new Map<Group, number>();
  readonly statuses = new Map<number, number>();
  readonly peakUse = new Map<Group, { used: number; limit: number }>();
  record(group: Group, status: number, limit: string | null, remaining: string | null): void {
    this.requests.set(group, (this.requests.get(group) ?? 0) + 1);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (limit !== null && remaining !== null) {
      const used = Number(limit) - Number(remaining);
      const peak = this.peakUse.get(group);
      if (!peak || used > peak.used) this.peakUse.set(group, { used, limit: Number(limit) });
    }
  }
}

const groupOfUrl = (method: string, url: URL): Group =>
  url.pathname.startsWith('/api/') && url.pathname !== '/api/auth/status' && !url.pathname.startsWith('/api/docs') ? (method === 'GET' || method === 'HEAD' ? 'reads' : 'control') : 'open';

describe('default rate limits never refuse the dashboard, a bridge or TradingView (issue 9)', { skip }, () => {
  let server: ServerHandle;
  let browser: Browser;
  const tally = new Tally();

  before(async () => {
    if (unavailable) return;
    // Rate limits on, every group at its default; the secrets switch the bridge and webhooks on.
    server = await startServer({ env: { TRADEWIND_RATE_LIMIT: 'on', BRIDGE_HEARTBEAT_SECRET: BRIDGE_SECRET, TV_WEBHOOK_SECRET: TV_SECRET } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test(`${RUN_MS / 1000} s of dashboard, bridges and webhooks at 5/s on the defaults: zero 429`, async () => {
    const started = Date.now();
    const running = () => Date.now() - started < RUN_MS;
    const call = async (group: Group, method: string, path: string, body?: unknown, contentType = 'application/json') => {
      const res = await fetch(`${server.url}${path}`, { method, ...(body !== undefined ? { headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
      await res.arrayBuffer();
      tally.record(group, res.status, res.headers.get('x-ratelimit-limit'), res.headers.get('x-ratelimit-remaining'));
      return res.status;
    };
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

    // The dashboard: two tabs, the Live page (the page that polls most) at 1440x900 and the
    // operator desk (its state pushed over /ws, polled every 15 s) on a 390x844 phone. Only the
    // page shown polls (issue 16), so these are the heaviest two. Each records console errors, failed requests and HTTP
    // errors (issue 16's check: none over a minute at both sizes).
    const pages: Awaited<ReturnType<typeof openAt>>[] = [];
    for (const [hash, viewport] of [['', VIEWPORTS[0]], ['#desk', VIEWPORTS[1]]] as const) {
      const opened = await openAt(browser, `${server.url}/${hash}`, viewport);
      opened.page.on('response', (res) => {
        const url = new URL(res.url());
        if (url.origin !== server.url) return;
        const h = res.headers();
        tally.record(groupOfUrl(res.request().method(), url), res.status(), h['x-ratelimit-limit'] ?? null, h['x-ratelimit-remaining'] ?? null);
      });
      pages.push(opened);
    }

    const q = `secret=${BRIDGE_SECRET}`;
    const heartbeat = { tsConnected: true, mdConnected: true, repoOk: true, account: 'U1', tradeRoute: 'PAPER', lastRapiEventUtc: '2026-01-15T14:32:00Z' };
    const longPoller = async () => {
      while (running()) await call('bridge', 'GET', `/api/orders/pending?${q}&owner=vps1&wait_ms=5000`);
    };
    const shortPoller = async () => {
      while (running()) {
        await call('bridge', 'GET', `/api/orders/pending?${q}&owner=vps2`);
        await pause(500);
      }
    };
    const bridgeStatus = async () => {
      while (running()) {
        await call('bridge', 'POST', `/api/bridge/heartbeat?${q}`, heartbeat);
        await call('bridge', 'POST', '/api/rithmic/pnl-snapshot', { secret: BRIDGE_SECRET, realized: 0, unrealized: 0, accountBalance: 50_000, symbols: [] });
        await pause(5_000);
      }
    };
    // TradingView: 5 alerts a second, posted as text/plain like TradingView does.
    const webhooks = async () => {
      const routes = ['/tv_heartbeat', '/tv_renko', '/tv_renko_main', '/tv_renko_high', '/tv_renko_small'];
      let n = 0;
      const inFlight: Promise<unknown>[] = [];
      while (running()) {
        const due = started + n * 200;
        if (Date.now() < due) await pause(due - Date.now());
        const route = routes[n % routes.length] as string;
        const asset = n % 2 === 0 ? 'ES' : 'NQ';
        const body = route === '/tv_heartbeat' ? { secret: TV_SECRET, symbol: asset, price: 5000 + (n % 7) } : { secret: TV_SECRET, asset, color: n % 3 === 0 ? 'red' : 'green', bar_id: `budget-${n}` };
        n += 1;
        inFlight.push(call('webhook', 'POST', route, JSON.stringify(body), 'text/plain').catch(() => tally.record('webhook', 0, null, null)));
      }
      await Promise.all(inFlight);
    };
    await Promise.all([longPoller(), shortPoller(), bridgeStatus(), webhooks()]);
    const phone = await pageWidths(pages[1]!.page);
    const pageErrors = pages.flatMap((p) => p.errors);
    for (const p of pages) await p.close();
    const elapsedMin = (Date.now() - started) / 60_000;

    const summary = JSON.stringify({ requests: Object.fromEntries(tally.requests), statuses: Object.fromEntries(tally.statuses), peakUse: Object.fromEntries(tally.peakUse) });
    assert.ok(Date.now() - started >= 60_000, 'ran more than a minute');
    assert.equal(tally.statuses.get(429) ?? 0, 0, `no 429: ${summary}`);
    assert.deepEqual(pageErrors, [], 'no console errors, failed requests or HTTP errors in either tab');
    assert.ok(phone.scroll <= phone.inner, `the phone's desk page is ${phone.scroll} px wide on a ${phone.inner} px screen`);
    assert.ok(![...tally.statuses.keys()].some((s) => s >= 500), `no 5xx: ${summary}`);
    // The load was real: the dashboard polled, the webhooks kept most of their 5 a second, the bridges polled (about
    // 150 calls a minute when answers are quick; a loaded machine with a CPU hog slowed them to 58). Since engine
    // states, bars and the desk's state come over the stream, the two tabs read about 100 times a minute (177 when
    // the desk polled every second).
    assert.ok((tally.requests.get('reads') ?? 0) / elapsedMin > 60, `dashboard reads per minute: ${summary}`);
    assert.ok((tally.requests.get('webhook') ?? 0) / elapsedMin >= 225, `webhooks per minute: ${summary}`);
    assert.ok((tally.requests.get('bridge') ?? 0) / elapsedMin >= 40, `bridge calls per minute: ${summary}`);

    // Budget sizing: the most of a window the load used (the server's own count, from
    // X-RateLimit-Remaining) leaves room: three dashboard tabs' reads fit (these two tabs on the
    // two pages that poll most), 5 webhooks a second use under half the webhook budget, the
    // two bridges under a fifth of theirs.
    const budgets = defaultRateGroups();
    const peak = (g: Group) => tally.peakUse.get(g) ?? { used: 0, limit: 0 };
    assert.equal(peak('reads').limit, budgets.reads.max);
    const perTab = peak('reads').used / pages.length;
    assert.ok(perTab * 3 <= budgets.reads.max, `reads: ${peak('reads').used} of ${budgets.reads.max} in one window for ${pages.length} tabs`);
    assert.equal(peak('webhook').limit, budgets.webhook.max);
    assert.ok(peak('webhook').used <= budgets.webhook.max / 2, `webhooks: ${peak('webhook').used} of ${budgets.webhook.max}`);
    assert.equal(peak('bridge').limit, budgets.bridge.max);
    assert.ok(peak('bridge').used <= budgets.bridge.max / 5, `bridge: ${peak('bridge').used} of ${budgets.bridge.max}`);
    assert.ok(peak('open').used <= budgets.open.max / 4, `open routes: ${peak('open').used} of ${budgets.open.max}`);
    console.log(`# rate budget run: ${summary}`);
  });
});
