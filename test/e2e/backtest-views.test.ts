// Issue 16 items 6 and 14 in a real browser against a real server, on the repository's week of
// real BTCUSDT minute bars (samples/): runs compared side by side (figures and overlaid equity
// curves), trades drawn on the run's candles, a fast × slow sweep of backtest jobs as a heat map
// whose cells are the server's results, and the equity curve's last point equal to the final value
// when a position is closed at the end. At 1440x900 and 390x844: no console errors or failed
// requests, no sideways scrolling.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserUnavailable, isCi, launchBrowser } from '../helpers/browser.js';
import { fastConfig, getJson, repoRoot, startServer, tempDir, type ServerHandle } from '../helpers/server.js';
import { attrNow, openAt, openTab, pageWidths, textNow, until, VIEWPORTS } from '../helpers/viewports.js';

const unavailable = browserUnavailable();
if (unavailable && !isCi) console.log(`# backtest view e2e tests skipped: ${unavailable}`);
const skip = unavailable && !isCi ? `skipped: ${unavailable}` : false;

const SAMPLE = 'BTCUSDT-1m-2025-01-01_07.csv.gz';

interface Result {
  finalValue: number;
  returnPct: number;
  closedTrades: number;
  closedAtEnd: boolean;
  trades: unknown[];
  candles: unknown[];
  equityCurve: { equity: number }[];
}
/** A done job's report; a job that is not done or whose report was dropped fails with its view. */
async function result(server: ServerHandle, id: string): Promise<Result> {
  const { status, body } = await getJson<{ state: string; result: Result | null; result_dropped?: boolean }>(`${server.url}/api/backtests/${id}`);
  if (status !== 200 || !body.result) throw new Error(`backtest ${id} has no result: ${status} state=${body.state} dropped=${body.result_dropped ?? false}`);
  return body.result;
}
const money = (v: number) => v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

const progressLabel = async (page: Page) => textNow(page.locator('[data-testid=backtest-progress]'));

/** Runs the form's backtest with these averages and returns the job id once it is done. */
async function runFromForm(page: Page, fast: string, slow: string): Promise<string> {
  // The progress bar shows the previous run until the new job's id comes back from the server:
  // only a done label of another job than that one is this run's.
  const previous = /^(\S+) ·/.exec(await progressLabel(page))?.[1] ?? null;
  await page.fill('[data-testid=backtest-form] input[name=file]', SAMPLE);
  await page.fill('[data-testid=backtest-form] input[name=fast]', fast);
  await page.fill('[data-testid=backtest-form] input[name=slow]', slow);
  await page.click('[data-testid=backtest-run]');
  let id = '';
  await until('the run done', async () => {
    const m = /^(\S+) · done ·/.exec(await progressLabel(page));
    id = m?.[1] ?? '';
    return id !== '' && id !== previous;
  }, 90_000);
  return id;
}

describe('backtest comparison, candles and sweep views (browser)', { skip }, () => {
  let server: ServerHandle;
  let browser: Browser;
  before(async () => {
    if (unavailable) return;
    const dir = tempDir();
    mkdirSync(join(dir, 'imports'), { recursive: true });
    copyFileSync(join(repoRoot, 'samples', SAMPLE), join(dir, 'imports', SAMPLE));
    server = await startServer({ dataDir: dir, config: fastConfig(dir, { demoBot: { enabled: false } }), startTimeoutMs: 90_000 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('1440x900: two runs compared, trades on candles, last equity point = final value, a 2 × 2 sweep heat map', async () => {
    const { page, errors, close } = await openAt(browser, server.url, VIEWPORTS[0]);
    try {
      await openTab(page, 'backtest');
      // Closing at the end with fees: the equity curve's last point is the final value (item 6).
      await page.check('[data-testid=backtest-form] input[name=closeAtEnd]');
      const a = await runFromForm(page, '5', '20');
      const ra = await result(server, a);
      // The curve is drawn a moment after the done label (the chart library's own chunk on a first load).
      await until('the equity curve drawn', async () => (await attrNow(page.locator('[data-testid=equity-chart]'), 'data-last')) !== '');
      assert.equal(Number(await page.locator('[data-testid=equity-chart]').getAttribute('data-last')), ra.finalValue);
      assert.equal(await page.locator('[data-testid=backtest-summary] [data-field=final-value] dd').innerText(), money(ra.finalValue));
      // Trades on the candles: a candle series of the run, an entry and an exit marker per trade.
      await until('the candles chart', async () => Number(await page.locator('[data-testid=backtest-candles]').getAttribute('data-candles')) > 0);
      assert.equal(Number(await page.locator('[data-testid=backtest-candles]').getAttribute('data-candles')), ra.candles.length);
      assert.ok(ra.trades.length > 0, 'the run traded');
      assert.equal(Number(await page.locator('[data-testid=backtest-candles]').getAttribute('data-markers')), 2 * ra.trades.length);
      assert.ok((await page.locator('[data-testid=backtest-candles] canvas').count()) > 0);

      const b = await runFromForm(page, '10', '40');
      const rb = await result(server, b);
      // Compare: both runs' figures side by side, their curves on one chart.
      await page.locator(`[data-testid=compare-picker] input[data-job=${a}]`).check();
      await page.locator(`[data-testid=compare-picker] input[data-job=${b}]`).check();
      await until('two runs compared', async () => Number(await attrNow(page.locator('[data-testid=compare-chart]'), 'data-lines')) === 2);
      const heads = await page.locator('[data-testid=compare-table] thead th[data-job]').evaluateAll((ths) => ths.map((th) => th.getAttribute('data-job')));
      assert.deepEqual(heads, [a, b]);
      const returns = await page.locator('[data-testid=compare-table] tr[data-metric=return] td.num').allInnerTexts();
      assert.deepEqual(returns, [ra, rb].map((r) => `${money(r.returnPct)} %`));
      const best = await page.locator('[data-testid=compare-table] tr[data-metric=return] td[data-best=true]').innerText();
      assert.equal(best, `${money(Math.max(ra.returnPct, rb.returnPct))} %`);

      // Sweep: fast 5|10 × slow 20|30, four backtest jobs on the server, one heat map cell each.
      await page.fill('[data-testid=sweep] input[name=sweep-fast]', '5,10');
      await page.fill('[data-testid=sweep] input[name=sweep-slow]', '20..30:10');
      await page.click('[data-testid=sweep-run]');
      await until('the sweep done', async () => (await attrNow(page.locator('[data-testid=sweep-progress]'), 'data-done')) === '4', 180_000);
      const cells = await page.locator('[data-testid=sweep-heatmap] td[data-job]').evaluateAll((tds) =>
        tds.map((td) => ({ fast: td.getAttribute('data-fast'), slow: td.getAttribute('data-slow'), job: td.getAttribute('data-job') ?? '', value: Number(td.getAttribute('data-value')), best: td.getAttribute('data-best') === 'true', state: td.getAttribute('data-state') })),
      );
      assert.equal(cells.length, 4);
      for (const c of cells) {
        assert.equal(c.state, 'done');
        const job = (await getJson<{ result: Result & { strategy: { fast: number; slow: number } } }>(`${server.url}/api/backtests/${c.job}`)).body.result;
        assert.deepEqual([job.strategy.fast, job.strategy.slow], [Number(c.fast), Number(c.slow)]);
        assert.equal(c.value, job.returnPct, `cell ${c.fast}/${c.slow}`);
      }
      const bestCell = cells.filter((c) => c.best);
      assert.equal(bestCell.length, 1);
      assert.equal(bestCell[0]?.value, Math.max(...cells.map((c) => c.value)));
      // A cell opens its run.
      await page.click(`[data-testid=sweep-heatmap] td[data-job="${bestCell[0]?.job}"]`);
      await until('the best run shown', async () => (await page.locator('[data-testid=backtest-progress]').innerText()).startsWith(`${bestCell[0]?.job} ·`));
      const w = await pageWidths(page);
      assert.ok(w.scroll <= w.inner, `the page is ${w.scroll} px wide on a ${w.inner} px window`);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });

  test('data choices come from the import directory and the store; errors name the field, without server paths (item 6)', async () => {
    // Ticks in the store, uploaded through the API as a client would.
    const rows = ['timestamp,price,volume', ...Array.from({ length: 500 }, (_, i) => `${Date.UTC(2025, 0, 2) + i * 250},${(20_000 + (i % 40) * 0.25).toFixed(2)},${1 + (i % 3)}`)];
    const form = new FormData();
    form.append('instrument', 'NQ');
    form.append('file', new Blob([rows.join('\n') + '\n']), 'nq-ticks.csv');
    const up = await fetch(`${server.url}/api/upload-tick-data`, { method: 'POST', body: form });
    assert.match(await up.text(), /completed/);
    const { page, errors, close } = await openAt(browser, server.url, VIEWPORTS[0]);
    try {
      await openTab(page, 'backtest');
      await until('the import directory listed', async () => (await page.locator('[data-testid=backtest-files] option').count()) > 0);
      assert.deepEqual(await page.locator('[data-testid=backtest-files] option').evaluateAll((os) => os.map((o) => o.getAttribute('value'))), [SAMPLE]);
      assert.match(await page.locator('[data-testid=backtest-files-hint]').innerText(), /1 file in the import directory/);
      // The store: its series as a choice that fills instrument, from and to.
      await page.click('[data-testid=backtest-form] [role=radio]:has-text("Market data store")');
      const series = page.locator('[data-testid=backtest-series] button[data-series=NQ]');
      await series.waitFor();
      assert.match(await series.innerText(), /NQ · ticks · 2025-01-02 → 2025-01-02 · 500/);
      await series.click();
      assert.equal(await page.locator('[data-testid=backtest-form] input[name=instrument]').inputValue(), 'NQ');
      assert.equal(await page.locator('[data-testid=backtest-form] input[name=from]').inputValue(), '2025-01-02');
      assert.equal(await page.locator('[data-testid=backtest-form] select[name=dataType]').inputValue(), 'ticks');
      // A number field that is not a number is caught before sending; a schema refusal names its field.
      await page.fill('[data-testid=backtest-form] input[name=cash]', 'lots');
      await page.click('[data-testid=backtest-run]');
      assert.equal(await page.locator('[data-testid=backtest-error]').innerText(), "cash: 'lots' is not a number");
      await page.fill('[data-testid=backtest-form] input[name=cash]', '0');
      await page.click('[data-testid=backtest-run]');
      await until('the server’s refusal', async () => /cash must be > 0/.test(await page.locator('[data-testid=backtest-error]').innerText()));
      assert.doesNotMatch(await page.locator('[data-testid=backtest-error]').innerText(), /body|\//);
      // A file outside the import directory: refused without the server's paths.
      await page.fill('[data-testid=backtest-form] input[name=cash]', '1000000');
      await page.click('[data-testid=backtest-form] [role=radio]:has-text("File in import dir")');
      await page.fill('[data-testid=backtest-form] input[name=file]', 'nowhere/BTCUSDT-1m-missing.csv');
      await page.click('[data-testid=backtest-run]');
      await until('the missing file refused', async () => /not found/.test(await page.locator('[data-testid=backtest-error]').innerText()));
      assert.doesNotMatch(await page.locator('[data-testid=backtest-error]').innerText(), /\/tmp|tw-test-/);
      // The two refusals (422) are the only failed requests.
      assert.deepEqual(errors.filter((e) => !/422/.test(e)), []);
    } finally {
      await close();
    }
  });

  test('390x844: the comparison, candles and heat map fit the phone', async () => {
    const { page, errors, close } = await openAt(browser, server.url, VIEWPORTS[1]);
    try {
      await openTab(page, 'backtest');
      const jobs = (await getJson<{ jobs: { job_id: string; state: string }[] }>(`${server.url}/api/backtests`)).body.jobs.filter((j) => j.state === 'done');
      assert.ok(jobs.length >= 2, 'runs of the desktop test to compare');
      // Up to three of them (the desktop test's sweep adds four when it got that far).
      const picked = jobs.slice(0, 3);
      for (const j of picked) await page.locator(`[data-testid=compare-picker] input[data-job=${j.job_id}]`).check();
      await until(`${picked.length} runs compared`, async () => Number(await attrNow(page.locator('[data-testid=compare-chart]'), 'data-lines')) === picked.length);
      await page.locator('[data-testid=backtest-jobs] tr').first().click();
      await until('a run shown with its candles', async () => Number(await attrNow(page.locator('[data-testid=backtest-candles]'), 'data-candles')) > 0);
      // Without data chosen the sweep is refused once, with the server's words, not cell by cell.
      await page.fill('[data-testid=sweep] input[name=sweep-fast]', '8');
      await page.fill('[data-testid=sweep] input[name=sweep-slow]', '20,50');
      await page.click('[data-testid=sweep-run]');
      await page.locator('[data-testid=sweep-error]').waitFor();
      assert.match(await page.locator('[data-testid=sweep-error]').innerText(), /refused[\s\S]*(instrument|file)/);
      await until('the refused sweep over', async () => (await page.locator('[data-testid=sweep-run]').isEnabled()));
      errors.splice(0, errors.length, ...errors.filter((e) => !/422/.test(e)));
      await page.fill('[data-testid=backtest-form] input[name=file]', SAMPLE);
      await page.fill('[data-testid=sweep] input[name=sweep-slow]', '20,50');
      await page.click('[data-testid=sweep-run]');
      await until('the phone sweep done', async () => (await attrNow(page.locator('[data-testid=sweep-progress]'), 'data-done')) === '2', 120_000);
      assert.deepEqual(await page.locator('[data-testid=sweep-heatmap] td[data-state]').evaluateAll((tds) => tds.map((td) => td.getAttribute('data-state'))), ['done', 'done']);
      const w = await pageWidths(page);
      assert.ok(w.scroll <= w.inner, `the page is ${w.scroll} px wide on a ${w.inner} px window`);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});
