// Issue 16 item 2: uploads from the page (which sends its text fields before the file) accept bars
// as well as ticks, and take the instrument from the file name when it is obvious.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserUnavailable, isCi, launchBrowser, openPage } from '../helpers/browser.js';
import { fastConfig, startServer, tempDir, type ServerHandle } from '../helpers/server.js';
import { textNow } from '../helpers/viewports.js';

const unavailable = browserUnavailable();
if (unavailable && !isCi) console.log(`# upload page e2e tests skipped: ${unavailable}`);
const skip = unavailable && !isCi ? `skipped: ${unavailable}` : false;

/** Seeded random walk of one-minute bars: Binance's 12 columns (no header), or a headed OHLCV CSV. */
function bars(rows: number, start: number, binance: boolean, seed: number, day = 6): string {
  let price = start;
  const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const out: string[] = binance ? [] : ['time,open,high,low,close,volume'];
  const t0 = Date.UTC(2025, 0, day);
  for (let i = 0; i < rows; i++) {
    const open = price;
    const close = Math.round((open + (rnd() - 0.5) * 10) * 4) / 4;
    const high = Math.max(open, close) + 0.25 * Math.ceil(rnd() * 8);
    const low = Math.min(open, close) - 0.25 * Math.ceil(rnd() * 8);
    const t = t0 + i * 60_000;
    out.push(binance ? [t, open.toFixed(2), high.toFixed(2), low.toFixed(2), close.toFixed(2), '10.5', t + 59_999, '1000', 100, '5', '500', 0].join(',') : [new Date(t).toISOString(), open, high, low, close, 100 + i].join(','));
    price = close;
  }
  return out.join('\n') + '\n';
}

describe('upload page: bars and ticks, instrument from the file name (browser)', { skip }, () => {
  let server: ServerHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  before(async () => {
    if (unavailable) return;
    dir = tempDir();
    writeFileSync(join(dir, 'BTCUSDT-1m-2025-01.csv'), bars(1500, 95_000, true, 11));
    writeFileSync(join(dir, 'NQH5-1m-bars.csv'), bars(800, 21_000, false, 5));
    server = await startServer({ dataDir: dir, config: fastConfig(dir) });
    browser = await launchBrowser();
    ({ page, errors } = await openPage(browser, `${server.url}/#upload`));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const uploaded = async (): Promise<Record<string, string>> => {
    await page.locator('[data-testid=upload-summary], [data-testid=upload-error]').first().waitFor({ timeout: 30_000 });
    const error = await textNow(page.locator('[data-testid=upload-error]'));
    assert.equal(error, '', 'the upload reports no error');
    const out: Record<string, string> = {};
    for (const f of ['uploaded', 'malformed', 'instrument', 'format']) out[f] = await page.locator(`[data-testid=upload-summary] [data-field=${f}] dd`).innerText();
    return out;
  };

  test('Binance klines from the page are stored as bars, the instrument taken from the file name', async () => {
    await page.locator('[data-testid=upload-file]').waitFor();
    await page.setInputFiles('[data-testid=upload-file]', join(dir, 'BTCUSDT-1m-2025-01.csv'));
    assert.equal(await page.locator('[data-testid=upload-form] input[name=instrument]').inputValue(), 'BTC/USDT');
    await page.locator('[data-testid=upload-guessed]').waitFor();
    await page.click('[data-testid=upload-submit]');
    assert.deepEqual(await uploaded(), { uploaded: '1,500', malformed: '0', instrument: 'BTC/USDT', format: 'binance' });
    assert.deepEqual(errors, []);
  });

  test('a headed OHLCV file with "the first row is a header" is stored as bars for NQ (from NQH5 in its name)', async () => {
    await page.setInputFiles('[data-testid=upload-file]', join(dir, 'NQH5-1m-bars.csv'));
    assert.equal(await page.locator('[data-testid=upload-form] input[name=instrument]').inputValue(), 'NQ');
    await page.selectOption('[data-testid=upload-form] select[name=has_header]', 'true');
    await page.click('[data-testid=upload-submit]');
    await page.locator('[data-testid=upload-summary] [data-field=instrument] dd', { hasText: 'NQ' }).waitFor({ timeout: 30_000 });
    assert.deepEqual(await uploaded(), { uploaded: '800', malformed: '0', instrument: 'NQ', format: 'ohlcv' });
    assert.deepEqual(errors, []);
  });

  test('the server takes the instrument from the file name when the form has none, fields first or not', async () => {
    for (const order of ['fields-first', 'file-first'] as const) {
      const form = new FormData();
      const file = new Blob([bars(50, 3_300, true, 3, order === 'fields-first' ? 7 : 8)], { type: 'text/csv' });
      // Binance files have no header row (has_header defaults to true, seed 002).
      if (order === 'fields-first') form.append('has_header', 'false');
      form.append('file', file, `ETHUSDT-1m-${order}.csv`);
      if (order === 'file-first') form.append('has_header', 'false');
      const res = await fetch(`${server.url}/api/upload-tick-data`, { method: 'POST', body: form });
      assert.equal(res.status, 200, order);
      const text = await res.text();
      const done = text
        .split('\n\n')
        .map((b) => b.replace(/^data: /, ''))
        .filter(Boolean)
        .map((b) => JSON.parse(b) as { status: string; instrument?: string; format?: string; uploaded_rows?: number })
        .find((m) => m.status === 'completed');
      assert.ok(done, `${order}: completed (${text.slice(0, 300)})`);
      assert.equal(done.instrument, 'ETH/USDT', order);
      assert.equal(done.format, 'binance', order);
      assert.equal(done.uploaded_rows, 50, order);
    }
  });
});
