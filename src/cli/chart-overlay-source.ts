import type { ChartOverlaysDeps, OverlayLevel } from '../app/chart-overlays.js';
import type { TradingAccount } from '../app/kill-switch.js';
import type { Bar } from '../core/market.js';
import type { JournalStore } from '../core/ports.js';
import { RENKO_SIZES } from '../core/renko.js';
import type { TradewindConfig } from './config-schema.js';

/**
 * What GET /api/bars/overlays draws, from the running parts: the demo bot's two moving averages,
 * every account's open positions (entry, stop, target) and the Renko bricks built for the desk.
 */
export function chartOverlaySource(o: {
  config: TradewindConfig;
  accounts: () => readonly TradingAccount[];
  history: (symbol: string, intervalMs: number) => readonly Bar[];
  store: Pick<JournalStore, 'recentRenkoBars'>;
  renkoAssets: readonly string[];
}): ChartOverlaysDeps {
  const demo = o.config.demoBot;
  return {
    strategies: () => (demo.enabled ? [{ bot: 'demo-sma', symbols: demo.symbols, periods: [demo.fast, demo.slow] }] : []),
    history: o.history,
    levels: (symbol) =>
      o.accounts().flatMap((a) =>
        a.kernel.portfolio
          .openPositions()
          .filter((p) => p.symbol === symbol)
          .flatMap((p): OverlayLevel[] => {
            const who = `${a.id} ${p.side}`;
            const out: OverlayLevel[] = [{ name: `${who} entry`, price: p.avgPrice, kind: 'entry' }];
            if (p.stopPrice !== null) out.push({ name: `${who} stop`, price: p.stopPrice, kind: 'stop' });
            if (p.takeProfit !== null) out.push({ name: `${who} target`, price: p.takeProfit, kind: 'target' });
            return out;
          }),
      ),
    bricks: (symbol) =>
      o.renkoAssets.includes(symbol)
        ? RENKO_SIZES.map((size) => ({
            size,
            bricks: o.store
              .recentRenkoBars(symbol, size, 300)
              .flatMap((b) => (b.open !== null && b.close !== null ? [{ time: b.ts, open: b.open, close: b.close, color: b.color }] : [])),
          })).filter((s) => s.bricks.length > 0)
        : [],
  };
}
