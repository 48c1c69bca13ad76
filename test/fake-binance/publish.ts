// Market-stream events of a replay tick or a fill, sent only to streams someone subscribed to.
import * as ev from './events.js';
import type { MarketState } from './market.js';
import type { Sink } from './venue.js';

const KLINE_INTERVALS = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d'];

/** `@trade` and `@aggTrade` for the trade `tradeId` (the newest on the tape). */
export function publishTrade(sink: Sink, m: MarketState, tradeId: number, now: number): void {
  const t = m.trades[m.trades.length - 1];
  if (!t || t.id !== tradeId) return;
  const lower = m.symbol.toLowerCase();
  if (sink.wants(`${lower}@trade`)) sink.publish(`${lower}@trade`, ev.tradeEvent(m, t, now));
  if (sink.wants(`${lower}@aggTrade`)) sink.publish(`${lower}@aggTrade`, ev.aggTradeEvent(m, t, now));
}

/** Everything a market move produces: trades, klines, tickers, mark price, book depth. */
export function publishMarket(sink: Sink, m: MarketState, tradeId: number, now: number): void {
  publishTrade(sink, m, tradeId, now);
  const lower = m.symbol.toLowerCase();
  const want = (stream: string) => sink.wants(`${lower}@${stream}`);
  for (const interval of KLINE_INTERVALS) {
    if (!want(`kline_${interval}`)) continue;
    const k = m.currentKline(interval);
    if (k) sink.publish(`${lower}@kline_${interval}`, ev.klineEvent(m, interval, k, now, false));
  }
  if (want('bookTicker')) sink.publish(`${lower}@bookTicker`, ev.bookTickerEvent(m, now));
  if (want('ticker')) sink.publish(`${lower}@ticker`, ev.tickerEvent(m, now));
  if (want('miniTicker')) sink.publish(`${lower}@miniTicker`, ev.miniTickerEvent(m, now));
  const nextFunding = Math.ceil(now / 28_800_000) * 28_800_000;
  for (const stream of ['markPrice', 'markPrice@1s']) if (want(stream)) sink.publish(`${lower}@${stream}`, ev.markPriceEvent(m, now, nextFunding));
  for (const levels of [5, 10, 20]) {
    for (const suffix of ['', '@100ms', '@250ms', '@500ms']) {
      const stream = `depth${levels}${suffix}`;
      if (want(stream)) sink.publish(`${lower}@${stream}`, ev.depthEvent(m, levels, now));
    }
  }
  let diff: object | undefined;
  for (const stream of ['depth', 'depth@100ms', 'depth@250ms', 'depth@500ms']) {
    if (!want(stream)) continue;
    diff ??= ev.depthDiffEvent(m, now);
    sink.publish(`${lower}@${stream}`, diff);
  }
}
