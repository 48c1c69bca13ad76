// What an open dashboard costs the browser: the CPU of Chromium's processes while one page of the
// dashboard stays open on a trading server, and the page's own main-thread time (Chrome DevTools
// Protocol `Performance.getMetrics`: script, layout, style, all tasks), per page.
//
//   npm run bench:dashboard-cpu     (BENCH_DASHBOARD_SECONDS per page, default 15;
//                                    BENCH_DASHBOARD_PAGES, default live,desk,logs,accounts,chart)
//
// Two servers: the default configuration (a few stream messages a second) and the browser tests'
// fast one (test/helpers/server.ts fastConfig: 50 ms ticks and 200 ms bars, tens of messages a
// second), which is also what the e2e tests' pages run against.
import { envNumber, isMain, machineInfo, round, sleep } from './common.js';
import { descendantsCpuSeconds } from './process-cpu.js';
import { browserUnavailable, launchBrowser } from '../test/helpers/browser.js';
import { fastConfig, startServer, tempDir } from '../test/helpers/server.js';

export interface PageCost {
  config: 'default' | 'fast';
  page: string;
  /** Stream messages the page received a second. */
  messagesPerS: number;
  /** Chromium's processes (browser, renderer, GPU/raster, utility), in cores. */
  chromiumCores: number;
  /** The page's main thread, in seconds per second: all tasks, and JavaScript alone. */
  mainThreadBusy: number;
  scriptBusy: number;
  layoutsPerS: number;
}

async function measure(config: 'default' | 'fast', pages: string[], seconds: number): Promise<PageCost[]> {
  const dir = tempDir('tw-bench-dash-');
  const server = await startServer({ dataDir: dir, ...(config === 'fast' ? { config: fastConfig(dir) } : {}) });
  const browser = await launchBrowser();
  const out: PageCost[] = [];
  try {
    // Chromium's processes all descend from this one (playwright starts the browser as its child).
    for (const name of pages) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      let messages = 0;
      page.on('websocket', (ws) => ws.on('framereceived', () => (messages += 1)));
      await page.goto(`${server.url}/${name === 'live' ? '' : `#${name}`}`, { waitUntil: 'load' });
      await sleep(4_000); // charts, first polls and the stream's snapshot settle
      const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value])) as Record<string, number>;
      const before = await metrics();
      const cpuBefore = descendantsCpuSeconds(process.pid);
      const messagesBefore = messages;
      const started = performance.now();
      await sleep(seconds * 1_000);
      const elapsed = (performance.now() - started) / 1_000;
      const cpuAfter = descendantsCpuSeconds(process.pid);
      const after = await metrics();
      const per = (k: string) => ((after[k] ?? 0) - (before[k] ?? 0)) / elapsed;
      out.push({
        config,
        page: name,
        messagesPerS: round((messages - messagesBefore) / elapsed, 1),
        chromiumCores: round((cpuAfter - cpuBefore) / elapsed, 3),
        mainThreadBusy: round(per('TaskDuration'), 3),
        scriptBusy: round(per('ScriptDuration'), 3),
        layoutsPerS: round(per('LayoutCount'), 1),
      });
      await context.close();
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  return out;
}

export async function runDashboardCpu(): Promise<PageCost[]> {
  const seconds = envNumber('BENCH_DASHBOARD_SECONDS', 15);
  const pages = (process.env.BENCH_DASHBOARD_PAGES ?? 'live,desk,logs,accounts,chart').split(',').filter(Boolean);
  return [...(await measure('default', pages, seconds)), ...(await measure('fast', pages, seconds))];
}

if (isMain(import.meta.url)) {
  const why = browserUnavailable();
  if (why) {
    console.error(`bench:dashboard-cpu cannot run: ${why}`);
    process.exit(1);
  }
  const rows = await runDashboardCpu();
  console.log(JSON.stringify({ machine: machineInfo(), at: new Date().toISOString(), rows }, null, 1));
  console.log('\n| config | page | stream msg/s | Chromium cores | main thread busy | of it script | layouts/s |\n|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.config} | ${r.page} | ${r.messagesPerS} | ${r.chromiumCores} | ${r.mainThreadBusy} | ${r.scriptBusy} | ${r.layoutsPerS} |`);
  process.exit(0);
}
