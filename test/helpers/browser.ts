import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from './server.js';

/** Debian's Chromium (apt-get install chromium; scripts/ensure-deps.mjs --browser installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const isCi = process.env.CI === 'true' || process.env.CI === '1';
export const dashboardBuilt = (): boolean => existsSync(join(repoRoot, 'web', 'dist', 'index.html'));

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserUnavailable(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (sudo apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (!dashboardBuilt()) return 'web/dist is not built (node scripts/build-web.mjs)';
  return undefined;
}

export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  // A browser that goes away before the test closes it says so (a crash, or killed under memory pressure).
  let closing = false;
  const close = browser.close.bind(browser);
  browser.close = async (...args) => {
    closing = true;
    return close(...args);
  };
  browser.on('disconnected', () => {
    if (!closing) console.error('# chromium disconnected before the test closed it (crashed or killed)');
  });
  return browser;
}

/** A page that records console errors and uncaught exceptions. */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors };
}
