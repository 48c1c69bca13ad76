// Browser pages at the two sizes issue 16 checks (1440x900 and a 390x844 phone) that record every
// console error, uncaught exception, failed request and HTTP error answer, and a width check.
import type { Browser, Locator, Page } from 'playwright-core';

export const VIEWPORTS = [
  { name: 'desktop', width: 1440, height: 900, phone: false },
  { name: 'phone', width: 390, height: 844, phone: true },
] as const;
export type Viewport = (typeof VIEWPORTS)[number];

/** `beforeLoad` runs on the new page before it navigates (listeners that must see the page's first requests). */
export async function openAt(browser: Browser, url: string, v: Viewport, beforeLoad?: (page: Page) => void): Promise<{ page: Page; errors: string[]; close(): Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: v.width, height: v.height }, ...(v.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}) });
  // Actions wait longer than playwright's 30 s: these tests must pass on a busy 2-core machine.
  context.setDefaultTimeout(90_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A navigation away aborts the page's open requests; that is not a failure of the server.
    if (!/ERR_ABORTED/.test(r.failure()?.errorText ?? '')) errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`response ${r.status()}: ${r.url()}`);
  });
  beforeLoad?.(page);
  await page.goto(url, { waitUntil: 'load' });
  // Closing is clean-up: when the browser is already gone its error must not hide the test's own.
  const close = () => context.close().catch((e: Error) => console.error(`# closing the browser context failed: ${e.message}`));
  return { page, errors, close };
}

interface BrowserGlobals {
  document: { documentElement: { scrollWidth: number } };
  innerWidth: number;
}

/** The document's width against the window's: wider means the page scrolls sideways. */
export const pageWidths = (page: Page): Promise<{ scroll: number; inner: number }> =>
  page.evaluate(() => {
    const g = globalThis as unknown as BrowserGlobals;
    return { scroll: g.document.documentElement.scrollWidth, inner: g.innerWidth };
  });

// Reading an element as it is now, for a caller that polls: playwright's innerText/getAttribute
// wait for a missing element up to the context's timeout (90 s here), so `.catch(() => '')` on
// them turned "not there yet" into a 90-second stall. These answer at once: the first match's
// figure, or '' when nothing matches.
export const textNow = (l: Locator): Promise<string> => l.evaluateAll((els) => (els[0] as { innerText?: string } | undefined)?.innerText ?? '');
export const attrNow = (l: Locator, name: string): Promise<string> => l.evaluateAll((els, n) => els[0]?.getAttribute(n) ?? '', name);
export const valueNow = (l: Locator): Promise<string> => l.evaluateAll((els) => (els[0] as { value?: string } | undefined)?.value ?? '');

/** Polls `check` every 100 ms until it holds (no fixed sleeps). */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Opens a tab of the dashboard and waits until it is selected. */
export async function openTab(page: Page, tab: string): Promise<void> {
  await page.click(`[data-tab=${tab}]`);
  await until(`the ${tab} tab`, async () => (await page.locator(`[data-tab=${tab}]`).getAttribute('aria-selected')) === 'true');
}
