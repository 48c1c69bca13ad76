// Webhook sent -> order received by a bridge on the push channel (issue 15: p99 < 5 ms at 500
// webhooks/s, on the client's clock). One process sends the TradingView webhooks and is the
// bridge (a WebSocket client of GET /api/orders/stream); the scenario is webhook-bridge.ts's.
//
//   npm run bench:bridge-push        (BENCH_WEBHOOK_RATE, _SECONDS, _WARMUP_S as in webhook-bridge.ts)
import { isMain, machineInfo } from './common.js';
import { runWebhookBridge } from './webhook-bridge.js';

if (isMain(import.meta.url)) {
  const r = await runWebhookBridge((s) => console.log(s), { push: true });
  const e2e = r.webhookToVisibleMs;
  console.log(
    `bridge push: ${r.webhooksSent} webhooks at ${r.achievedRate}/s -> ${r.ordersPlaced} orders, ${r.ordersSeen} received, ${r.ordersNotSeen} missed, ${r.webhookErrors} errors\n` +
      `webhook sent -> order received (client clock): p50 ${e2e.p50} ms, p99 ${e2e.p99} ms, max ${e2e.max} ms ` +
      `(target p99 < ${r.target.maxP99Ms} ms at ${r.target.rate}/s: ${r.pass ? 'met' : 'NOT met'})\n` +
      `server clock: arrival -> committed p50 ${r.serverArrivalToQueuedMs.p50} / p99 ${r.serverArrivalToQueuedMs.p99} ms, arrival -> claimed and pushed p50 ${r.serverArrivalToClaimedMs.p50} / p99 ${r.serverArrivalToClaimedMs.p99} ms; ` +
      `across the clocks: sent -> arrival p50 ${r.sentToServerArrivalMs.p50} / p99 ${r.sentToServerArrivalMs.p99} ms, pushed -> received p50 ${r.claimedToSeenMs.p50} / p99 ${r.claimedToSeenMs.p99} ms; ` +
      `server CPU ${r.serverCpuPct ?? '?'}%, bench CPU ${r.benchCpuPct ?? '?'}%`,
  );
  console.log(JSON.stringify({ machine: machineInfo(), bridgePush: r }, null, 2));
}
