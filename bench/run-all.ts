// The benchmark suite: HTTP load and WebSocket fan-out against the real server, one after the
// other, a table on stdout and the results in bench/results/latest.json.
//
//   npm run bench            (installs if needed, builds, then runs this)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/helpers/server.js';
import { runApiLoad, type ApiLoadResult } from './api-load.js';
import { machineInfo } from './common.js';
import { runWsFanout, type WsFanoutResult } from './ws-fanout.js';
import { runIngestBench } from './ingest.js';
import { runBacktestBars } from './backtest-bars.js';
import { runBacktestTicks } from './backtest-ticks.js';
import { runWebhookBridge } from './webhook-bridge.js';
import { runScalingCurves } from './scaling-curves.js';

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

const pass = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

function apiTable(api: ApiLoadResult): string {
  const { target } = api;
  return table(
    ['scenario', 'endpoint', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx', 'server CPU', 'bench CPU', 'target'],
    api.rows.map((r) => [
      r.scenario,
      r.endpoint,
      r.connections,
      r.reqPerSec,
      r.latencyMs.p50.toFixed(2),
      r.latencyMs.p99.toFixed(2),
      r.latencyMs.max.toFixed(1),
      r.errors + r.timeouts,
      r.non2xx,
      r.serverCpuPct === null ? '-' : `${r.serverCpuPct}%`,
      r.benchCpuPct === null ? '-' : `${r.benchCpuPct}%`,
      r.endpoint === target.endpoint ? pass(r.reqPerSec >= target.minReqPerSec && r.latencyMs.p99 < target.maxP99Ms && r.errors + r.non2xx === 0) : '',
    ]),
  );
}

function wsTable(ws: WsFanoutResult): string {
  return table(
    ['clients', 'broadcasts', 'deliveries', 'p50 ms', 'p99 ms', 'max ms', 'first-client p50', 'last-client p50', 'snapshot first', 'target'],
    [
      [
        `${ws.connected}/${ws.clients}`,
        ws.broadcasts,
        `${ws.deliveries}/${ws.expectedDeliveries}`,
        ws.delayMs.p50.toFixed(2),
        ws.delayMs.p99.toFixed(2),
        ws.delayMs.max.toFixed(1),
        ws.firstDeliveryMs.p50.toFixed(2),
        ws.lastDeliveryMs.p50.toFixed(2),
        `${ws.snapshotFirst}/${ws.connected}`,
        pass(ws.delayMs.p99 < ws.target.maxP99Ms && ws.snapshotFirst === ws.clients && ws.deliveries === ws.expectedDeliveries),
      ],
    ],
  );
}

const machine = machineInfo();
const started = new Date();
const log = (s: string) => console.log(s);
log(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryGiB} GiB, node ${machine.node}, ${machine.platform} ${machine.osRelease}`);

// `node dist/bench/run-all.js [api] [ws] [ingest] [bars] [ticks] [webhook] [curves]` runs a subset; none = all.
const wanted = new Set(process.argv.slice(2));
const runs = (name: string) => wanted.size === 0 || wanted.has(name);
const apiLoad = runs('api') ? await runApiLoad(log) : null;
const wsFanout = runs('ws') ? await runWsFanout(log) : null;
const ingest = runs('ingest') ? await runIngestBench() : null;
const bars = runs('bars') ? await runBacktestBars(log) : null;
const ticks = runs('ticks') ? runBacktestTicks(log) : null;
// Both ways of polling: back-to-back plain polls, then long polls (wait_ms).
const webhookPlain = runs('webhook') ? await runWebhookBridge(log, { waitMs: 0 }) : null;
const webhookLongPoll = runs('webhook') ? await runWebhookBridge(log, { waitMs: 20_000 }) : null;
// Last and longest: backtest, ingest and fan-out against size, into docs/bench/ (bench/scaling-curves.ts).
const curves = runs('curves') ? await runScalingCurves(undefined, log) : null;

if (apiLoad) {
log('');
log(
  `GET /api/state and /api/positions (autocannon, pipelining 1, ${apiLoad.rows[0]?.durationS ?? '?'} s each; fresh server warm-up ${apiLoad.warmupS} s, /api/state ${apiLoad.stateBytesAfterWarmup} bytes${
    apiLoad.full ? `; full windows /api/state ${apiLoad.full.stateBytes} bytes` : ''
  })`,
);
log(`target for /api/state: >= ${apiLoad.target.minReqPerSec} req/s with p99 < ${apiLoad.target.maxP99Ms} ms`);
log(apiTable(apiLoad));
}
if (wsFanout) {
  log('');
  log(`WebSocket fan-out (${wsFanout.collectS} s after ${wsFanout.settleS} s of trading; delay = receive - envelope timestamp; target p99 < ${wsFanout.target.maxP99Ms} ms)`);
  log(wsTable(wsFanout));
}
if (ingest) {
  log('');
  log(`Tick ingest, ${ingest.rows} rows with duplicate skipping: ${ingest.rowsPerSecond} rows/s (re-import ${ingest.reimportRowsPerSecond} rows/s), peak RSS ${ingest.peakRssMb} MB; target ${ingest.targetRowsPerSecond} rows/s under ${ingest.targetPeakRssMb} MB: ${pass(ingest.met)}`);
}
if (bars) {
  log('');
  log(`SMA crossover backtest, ${bars.bars} bars (loading ${bars.loadMs} ms apart, ${bars.loadBarsPerSecond} bars/s); target 1,000,000 bars/s:`);
  log(`  long-only, size 1, no fees (the issue's example): ${bars.example.barsPerSecond} bars/s, ${bars.example.fills} fills: ${pass(bars.example.barsPerSecond >= 1_000_000)}`);
  log(`  reversals, size 0.1, 4 bps fee, 1 tick slippage: ${bars.barsPerSecond} bars/s, ${bars.fills} fills: ${pass(bars.pass)}`);
}
if (ticks) {
  log('');
  log(`Tick backtest, ${ticks.ticks} ticks: ${ticks.ticksPerSecond} ticks/s (generation ${ticks.generateMs} ms apart); target ${ticks.target.minTicksPerSecond} ticks/s: ${pass(ticks.pass)}`);
}
for (const webhook of [webhookPlain, webhookLongPoll]) {
  if (!webhook) continue;
  log('');
  log(
    `TradingView webhook -> order visible to a polling bridge (desk on the bridge; /tv_level_exit at ${webhook.rateTarget}/s for ${webhook.durationS} s, achieved ${webhook.achievedRate}/s; ` +
      `${webhook.ordersPlaced} orders, ${webhook.webhooksWithoutOrder} level exits found the asset's exit still pending; target p99 < ${webhook.target.maxP99Ms} ms at ${webhook.target.rate}/s; ${webhook.pollWaitMs > 0 ? `long polls, wait_ms=${webhook.pollWaitMs}` : 'plain polls back to back'})`,
  );
  log(
    table(
      ['measure', 'count', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'target'],
      [
        ['webhook -> visible in a poll', webhook.webhookToVisibleMs, pass(webhook.pass)],
        ['server: arrival -> committed', webhook.serverArrivalToQueuedMs, pass(webhook.passServer)],
        ['server: arrival -> claimed', webhook.serverArrivalToClaimedMs, ''],
        ['webhook -> its answer', webhook.webhookAckMs, ''],
        ['poll round trip', webhook.pollRttMs, ''],
      ].map(([name, s, t]) => {
        const v = s as { count: number; p50: number; p90: number; p99: number; max: number };
        return [name as string, v.count, v.p50.toFixed(2), v.p90.toFixed(2), v.p99.toFixed(2), v.max.toFixed(1), t as string];
      }),
    ),
  );
  log(`  entries (pre-order fired by a /tv_renko_main webhook) -> visible: ${webhook.entryWebhookToVisibleMs.join(' ms, ')} ms; server CPU ${webhook.serverCpuPct ?? '-'}%, bench CPU ${webhook.benchCpuPct ?? '-'}%`);
}

const dir = join(repoRoot, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, 'latest.json');
writeFileSync(file, `${JSON.stringify({ startedAt: started.toISOString(), finishedAt: new Date().toISOString(), machine, apiLoad, wsFanout, ingest, bars, ticks, webhook: webhookPlain, webhookLongPoll, curves: curves?.map((c) => ({ curve: c.curve, rows: c.rows, exponents: c.exponents, loadStart: c.loadStart, loadEnd: c.loadEnd })) }, null, 2)}\n`);
log('');
log(`results written to ${file}`);
