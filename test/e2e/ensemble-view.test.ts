// Issue 16 item 13 in a real browser: the Ensemble page fed by the coordinator's WebSocket
// (/ws/coordinator on the main port) of a real server whose coordinator asks two loopback model
// servers answering with real trained models: the coordinator's status, each model's state,
// confidence and latency, the latest decision and the circuit breaker, which trips when a model
// server dies. A server without the ensemble shows "Ensemble disabled" and opens no stream.
// At 1440x900 and 390x844: no console errors or failed requests, no sideways scrolling.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserUnavailable, isCi, launchBrowser } from '../helpers/browser.js';
import { startLoopbackModelServer, trainSmallModels, type LoopbackModelServer } from '../helpers/loopback-model-server.js';
import { connectWs, fastConfig, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';
import { openAt, openTab, pageWidths, until, VIEWPORTS } from '../helpers/viewports.js';

const unavailable = browserUnavailable();
if (unavailable && !isCi) console.log(`# ensemble view e2e tests skipped: ${unavailable}`);
const skip = unavailable && !isCi ? `skipped: ${unavailable}` : false;

describe('ensemble view (browser)', { skip }, () => {
  let server: ServerHandle;
  let plain: ServerHandle;
  let models: LoopbackModelServer[];
  let browser: Browser;

  before(async () => {
    if (unavailable) return;
    const trained = await trainSmallModels(2, 12_000);
    models = await Promise.all(trained.map((m, i) => startLoopbackModelServer(`model-${i + 1}`, m.model)));
    const dir = tempDir('tw-ens-view-');
    const config = fastConfig(dir, {
      demoBot: { enabled: false },
      modelServers: { enabled: false },
      trading: { timeframe: '1s' },
      ensemble: {
        enabled: true,
        confidence_threshold: 0.5,
        min_responding_models: 1,
        websocket_port: 0,
        metrics_port: 0,
        model_endpoints: models.map((m) => ({ name: m.name, host: '127.0.0.1', port: m.port, weight: 1, enabled: true })),
      },
      timing: { heartbeat_interval: 0.25, status_interval: 0.25, health_check_interval: 0.25, model_timeout: 5 },
      safety: { min_models_online: 2 },
    });
    const plainDir = tempDir('tw-ens-off-');
    // One after the other: two servers starting at once on a busy machine may miss the start timeout.
    server = await startServer({ config, dataDir: dir, startTimeoutMs: 90_000 });
    plain = await startServer({ dataDir: plainDir, config: fastConfig(plainDir), startTimeoutMs: 90_000 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await plain?.stop();
    for (const m of models ?? []) await m.kill().catch(() => {});
  });

  for (const v of VIEWPORTS) {
    test(`${v.width}x${v.height}: coordinator, models with confidence and latency, decision and breaker from the stream`, async () => {
      // The stream itself, for the figures that hold still (names, versions, symbol).
      const ws = await connectWs(`${server.url.replace('http', 'ws')}/ws/coordinator`);
      const { page, errors, close } = await openAt(browser, server.url, v);
      try {
        const status = await waitFor(
          'a status_update with both models answering',
          async () => ws.messages.find((m) => m.type === 'status_update' && (m.models as { last_prediction: string | null }[]).every((x) => x.last_prediction)),
          60_000,
        );
        await openTab(page, 'ensemble');
        await until('both models online on the page', async () => (await page.locator('[data-testid=ensemble-models] tr[data-online=true]').count()) === 2, 30_000);
        const shown = await page.locator('[data-testid=ensemble-models] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-model')));
        assert.deepEqual(shown, (status.models as { name: string }[]).map((m) => m.name));
        for (const m of status.models as { name: string; version: string }[]) {
          const row = await page.locator(`[data-testid=ensemble-models] tr[data-model="${m.name}"]`).innerText();
          assert.ok(row.includes(m.version), `${m.name}'s version ${m.version} in ${JSON.stringify(row)}`);
          assert.match(row, /online/);
          assert.match(row, /\d+(\.\d+)? %/, 'its confidence');
          assert.match(await page.locator(`[data-testid=ensemble-models] tr[data-model="${m.name}"] [data-field=latency]`).innerText(), /^\d[\d.,]* ms$/);
        }
        assert.match(await page.locator('[data-testid=ensemble-coordinator]').innerText(), /BTCUSDT[\s\S]*running/);
        assert.match(await page.locator('[data-testid=ensemble-action]').innerText(), /^(LONG|SHORT|HOLD)$/);
        const confidence = Number(await page.locator('[data-testid=ensemble-confidence]').getAttribute('data-value'));
        assert.ok(confidence >= 0.5 && confidence <= 1, `ensemble confidence ${confidence}`);
        assert.equal(await page.locator('[data-testid=ensemble-breaker-state]').innerText(), 'NORMAL');
        assert.equal(await page.locator('[data-testid=ensemble-page]').getAttribute('data-phase'), 'open');
        const w = await pageWidths(page);
        assert.ok(w.scroll <= w.inner, `the page is ${w.scroll} px wide on a ${w.inner} px window`);
        assert.deepEqual(errors, []);
      } finally {
        ws.close();
        await close();
      }
    });
  }

  test('a dead model server shows offline and trips the circuit breaker (fewer models online than safety.min_models_online)', async () => {
    const { page, errors, close } = await openAt(browser, server.url, VIEWPORTS[0]);
    try {
      await openTab(page, 'ensemble');
      await until('both models online', async () => (await page.locator('[data-testid=ensemble-models] tr[data-online=true]').count()) === 2, 30_000);
      await (models[1] as LoopbackModelServer).kill();
      await until('model-2 offline', async () => (await page.locator('[data-testid=ensemble-models] tr[data-model=model-2]').getAttribute('data-online')) === 'false', 30_000);
      await until('the breaker active', async () => /ACTIVE/.test(await page.locator('[data-testid=ensemble-breaker-state]').innerText()), 30_000);
      assert.match(await page.locator('[data-testid=ensemble-models]').innerText(), /1 of 2 online/);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });

  for (const v of VIEWPORTS) {
    test(`${v.width}x${v.height}: without the ensemble the page says so and opens no stream`, async () => {
      const { page, errors, close } = await openAt(browser, plain.url, v);
      const sockets: string[] = [];
      page.on('websocket', (s) => sockets.push(s.url()));
      try {
        await openTab(page, 'ensemble');
        await page.locator('[data-testid=ensemble-disabled]').waitFor();
        assert.match(await page.locator('[data-testid=ensemble-disabled]').innerText(), /Ensemble disabled[\s\S]*ensemble\.enabled/);
        assert.ok(!sockets.some((u) => u.includes('/ws/coordinator')), sockets.join(','));
        const w = await pageWidths(page);
        assert.ok(w.scroll <= w.inner, `the page is ${w.scroll} px wide on a ${w.inner} px window`);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    });
  }
});

