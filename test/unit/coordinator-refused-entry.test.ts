// An entry the broker refuses inside the submit call (a disconnected venue answers at once) must
// not stay an open trade in the coordinator's journal: it would block every later entry with
// "max open positions". Real SQLite journal; the kernel's order entry and the model servers are
// stand-ins behind the coordinator's ports.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SqliteCoordinatorStore } from '../../src/adapters/store-sqlite/coordinator-store.js';
import { CoordinatorMetrics } from '../../src/app/ensemble/coordinator-metrics.js';
import { EnsembleCoordinator, type CoordinatorSettings } from '../../src/app/ensemble/coordinator.js';
import { SimClock } from '../../src/core/clock.js';
import type { KernelEvent } from '../../src/core/events.js';
import type { Bar } from '../../src/core/market.js';
import type { ModelServerPort } from '../../src/core/model-server.js';
import type { AccountView } from '../../src/core/portfolio-types.js';
import { tempDir } from './support.js';

const settings: CoordinatorSettings = {
  botId: 'ensemble',
  symbol: 'BTC/USDT',
  requestSymbol: 'BTCUSDT',
  timeframe: '1m',
  candles: 50,
  dryRun: false,
  testnet: true,
  maxOpenPositions: 1,
  ensemble: { method: 'weighted_average', threshold: 0, minResponding: 1 },
  sizing: { positionSizeFraction: 0.1, leverage: 1, stopLossPercent: 0.02, takeProfitPercent: 0.05 },
  safety: { maxDailyLossPercent: 0, maxDailyLossUsd: 0, consecutiveLosses: 0, cooldownMs: 0, maxErrorRate: 1, errorWindow: 20, minModelsOnline: 0 },
  heartbeatMs: 60_000,
  healthCheckMs: 30_000,
};

const longModel = { name: 'm1', isOnline: true, predict: async () => ({ model_name: 'm1', action: 'long', confidence: 0.8, probability: 0.8, expected_return: 0.01, stop_loss: 0, take_profit: 0, raw_score: 1.4, latency_ms: 0.1 }) } as unknown as ModelServerPort;

describe('coordinator entry refused inside the submit call', () => {
  it('cancels the journaled trade at once, so the next decision can enter again', async () => {
    const dir = tempDir('tw-coord-refused-');
    const journal = new SqliteCoordinatorStore(dir.file('coordinator.db'));
    const clock = new SimClock(Date.UTC(2024, 5, 3));
    const bars: Bar[] = Array.from({ length: 60 }, (_, i) => ({ symbol: 'BTC/USDT', start: clock.now() - (60 - i) * 60_000, open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: 10 }) as unknown as Bar);
    const listeners: ((e: KernelEvent) => void)[] = [];
    let venueUp = false;
    let n = 0;
    const coordinator = new EnsembleCoordinator({
      clock,
      scheduler: { every: () => () => {}, after: () => () => {} },
      settings,
      models: [{ client: longModel, weight: 1 }],
      journal,
      metrics: new CoordinatorMetrics(),
      candles: () => bars,
      lastPrice: () => 160,
      volume24h: () => null,
      account: () => ({ balance: 100_000, equity: 100_000, dayStartEquity: 100_000, unrealizedPnl: 0, dayPnl: 0, openPositions: 0 }) as unknown as AccountView,
      position: () => undefined,
      submitOrder: () => {
        const id = `paper-O-${++n}`;
        // The risk engine accepted it; the broker refuses it before submit returns.
        if (!venueUp) for (const l of listeners) l({ type: 'order', order: { id, botId: 'ensemble', purpose: 'entry', status: 'rejected', filledQty: 0, reason: 'venue binance is disconnected: order not sent' } } as unknown as KernelEvent);
        return { ok: true, orderId: id, qty: 1 } as never;
      },
      closePosition: () => false,
      onEvent: (l) => {
        listeners.push(l);
        return () => {};
      },
    });
    coordinator.attach();
    try {
      const first = await coordinator.heartbeat();
      assert.ok(first, JSON.stringify(journal.recentEvents(5)));
      assert.equal(first.riskApproved, false);
      assert.match(first?.outcome ?? '', /rejected: venue binance is disconnected/);
      assert.equal(journal.openTrades().length, 0, 'no open trade is left behind');
      venueUp = true;
      const second = await coordinator.heartbeat();
      assert.equal(second?.riskApproved, true, second?.outcome);
      assert.equal(journal.openTrades().length, 1);
      assert.ok(journal.recentEvents(10).some((e) => e.event_type === 'TRADE_CANCELLED'));
    } finally {
      journal.close();
      dir.cleanup();
    }
  });
});
