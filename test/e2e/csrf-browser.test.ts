// Cross-site requests in a real browser: a page served from another port of the same host (same
// site, so SameSite cookies do not help) tries to act with the operator's session cookie.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { browserUnavailable, isCi, launchBrowser } from '../helpers/browser.js';
import { getJson, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

const unavailable = browserUnavailable();
if (unavailable && !isCi) console.log(`# CSRF browser tests skipped: ${unavailable}`);
const skip = unavailable && !isCi ? `skipped: ${unavailable}` : false;
const PASSWORD = 'csrf browser password 1';

/** The attacker's page: every way a page elsewhere can send the operator's cookie along. */
const attackerPage = (target: string, wsTarget: string) => `<!doctype html><html><body>
<iframe name="sink" style="display:none"></iframe>
<form id="f1" method="POST" action="${target}/api/engine/emergency-stop" enctype="text/plain" target="sink"><input name='{"reason":"csrf","x":"' value='"}'></form>
<form id="f2" method="POST" action="${target}/api/engine/emergency-stop" enctype="application/x-www-form-urlencoded" target="sink"><input name="reason" value="csrf"></form>
<script>
window.results = {};
const note = (k, v) => { window.results[k] = v; };
(async () => {
  const attempt = async (k, init) => {
    try { const r = await fetch('${target}/api/engine/emergency-stop', { method: 'POST', credentials: 'include', ...init }); note(k, 'status ' + r.status + ' ' + r.type); }
    catch (e) { note(k, 'blocked: ' + e.message); }
  };
  await attempt('no-cors-empty', { mode: 'no-cors' });
  await attempt('no-cors-text', { mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"reason":"csrf"}' });
  await attempt('cors-json', { headers: { 'content-type': 'application/json' }, body: '{"reason":"csrf"}' });
  try { const r = await fetch('${target}/api/state', { credentials: 'include' }); note('read-state', 'status ' + r.status + ' ' + (await r.text()).slice(0, 40)); }
  catch (e) { note('read-state', 'blocked: ' + e.message); }
  document.getElementById('f1').submit();
  await new Promise((r) => setTimeout(r, 300));
  document.getElementById('f2').submit();
  const ws = new WebSocket('${wsTarget}');
  ws.onopen = () => note('ws', 'open');
  ws.onerror = () => note('ws', 'error');
  ws.onclose = (e) => { if (!window.results.ws) note('ws', 'closed ' + e.code); };
  await new Promise((r) => setTimeout(r, 1500));
  note('done', true);
})();
</script></body></html>`;

describe('a page on another origin cannot act with the operator cookie (browser)', { skip }, () => {
  let server: ServerHandle;
  let attacker: Server;
  let attackerUrl = '';
  let browser: Browser;
  let context: BrowserContext;
  let dashboard: Page;
  let cookie = '';
  const status = async () => (await getJson<{ state: string }>(`${server.url}/api/engine/status`, { headers: { cookie } })).body.state;
  const routeHits = async (key: string) => (await getJson<{ routes: Record<string, { hits: number }> }>(`${server.url}/api/metrics/routes`, { headers: { cookie } })).body.routes[key]?.hits;

  before(async () => {
    if (unavailable) return;
    server = await startServer({ env: { DASHBOARD_PASSWORD: PASSWORD, TRADEWIND_DEMO_BOT: 'false', LOG_LEVEL: 'debug' } });
    const target = server.url;
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(attackerPage(target, `${target.replace('http', 'ws')}/ws`));
    });
    // Same host as the server (127.0.0.1), another port: same site, another origin.
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', () => r()));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as { port: number }).port}/`;
    browser = await launchBrowser();
    context = await browser.newContext();
    dashboard = await context.newPage();
    await dashboard.goto(server.url, { waitUntil: 'load' });
    // Log in through the dashboard's own form.
    await dashboard.locator('input[type=password]').fill(PASSWORD);
    await dashboard.locator('button[type=submit]').click();
    await dashboard.locator('[data-testid=connection]').waitFor({ timeout: 20_000 });
    const session = (await context.cookies()).find((c) => c.name === 'tw_session');
    assert.ok(session, 'logged in');
    cookie = `tw_session=${session.value}`;
  });
  after(async () => {
    await browser?.close();
    attacker?.close();
    await server?.stop();
  });

  test('fetch, forms and the WebSocket from the other page: refused, the emergency stop never runs', async () => {
    assert.equal(await status(), 'IDLE');
    const page = await context.newPage();
    await page.goto(attackerUrl, { waitUntil: 'load' });
    await waitFor('the attack page to finish', async () => page.evaluate(() => (globalThis as unknown as { results: Record<string, unknown> }).results.done === true), 20_000);
    const results = await page.evaluate(() => (globalThis as unknown as { results: Record<string, unknown> }).results);
    // Opaque no-cors answers hide the status from the page; the CORS ones fail outright.
    assert.match(String(results['cors-json']), /blocked/, JSON.stringify(results));
    assert.match(String(results['read-state']), /blocked/, 'the page cannot read the state');
    assert.notEqual(results.ws, 'open', `the WebSocket did not open: ${String(results.ws)}`);
    // The access log's response lines (seed 001's "Response: STATUS (Ns) METHOD URL").
    const responses = (path: string) => server.output().split('\n').filter((l) => l.includes('"msg":"Response: ') && l.includes(`"url":"${server.url}${path}"`));
    await waitFor('the two form posts to arrive', async () => responses('/api/engine/emergency-stop').filter((l) => l.includes('"method":"POST"')).length >= 4, 10_000);
    // The server saw the cookie (403 from the origin check, not 401) and refused every attempt.
    const lines = responses('/api/engine/emergency-stop').filter((l) => l.includes('"method":"POST"'));
    assert.ok(lines.length >= 4, lines.join('\n'));
    for (const l of lines) assert.match(l, /"status":403/, l);
    // The access log is written asynchronously: on a busy machine the line may come after the page saw the refusal.
    await waitFor('the WebSocket upgrade refused with 403 in the access log', async () => responses('/ws').some((l) => l.includes('"status":403')), 10_000);
    assert.equal(await status(), 'IDLE', 'no emergency stop');
    assert.equal(await routeHits('POST /api/engine/emergency-stop'), 0, 'its handler never ran');
    await page.close();
  });

  test('the dashboard itself still acts (its requests are same-origin JSON)', async () => {
    await dashboard.locator('button', { hasText: 'Emergency stop' }).first().click();
    await dashboard.locator('.dialog button, [role=dialog] button', { hasText: 'Emergency stop' }).last().click();
    await waitFor('EMERGENCY', async () => (await status()) === 'EMERGENCY', 15_000);
    assert.equal(await routeHits('POST /api/engine/emergency-stop'), 1);
  });
});
