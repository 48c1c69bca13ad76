// Candle features against values computed by hand, no look-ahead (a feature at bar t never
// changes when later bars are appended), labels from the forward return.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { candlesFromObjects, resampleCandles, sliceCandles, type Candles } from '../../src/ml/candles.js';
import { buildDataset, DEFAULT_FEATURES, featureColumns, featureRow, FeatureNameError, minCandles, parseFeatureName, warmup } from '../../src/ml/features.js';

const CLOSE = [10, 11, 10.5, 12, 11.5, 13, 12.5, 14];
const VOLUME = [100, 200, 150, 300, 250, 400, 350, 500];
const candles = (close = CLOSE, volume = VOLUME): Candles =>
  candlesFromObjects(close.map((c, i) => ({ open: c, high: c + 0.5, low: c - 0.5, close: c, volume: volume[i] ?? 1, timestamp: 1_700_000_000 + 60 * i })));

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} != ${b}`);

describe('candle features', () => {
  const c = candles();
  const names = ['ret_1', 'ret_2', 'rsi_3', 'macd_2_3_2', 'macds_2_3_2', 'macdh_2_3_2', 'bbpos_3_2', 'atr_3', 'volz_3'];
  const cols = Object.fromEntries(featureColumns(c, names).map((col, i) => [names[i], col])) as Record<string, Float64Array>;
  const at = (name: string, t: number) => cols[name]?.[t] as number;

  it('returns: close[t] / close[t-W] - 1, undefined before W bars', () => {
    assert.ok(Number.isNaN(at('ret_1', 0)));
    close(at('ret_1', 1), 0.1, 'ret_1 at 1');
    assert.ok(Number.isNaN(at('ret_2', 1)));
    close(at('ret_2', 3), 12 / 11 - 1, 'ret_2 at 3');
  });

  it("RSI: Wilder's averages seeded with the mean of the first N changes", () => {
    // changes +1, -0.5, +1.5, -0.5: at bar 3 gains (1 + 0 + 1.5) / 3, losses 0.5 / 3 -> RS 5.
    assert.ok(Number.isNaN(at('rsi_3', 2)));
    close(at('rsi_3', 3), 100 - 100 / 6, 'rsi at 3');
    // bar 4 (change -0.5): gains (2.5/3·2 + 0) / 3 = 5/9, losses (0.5/3·2 + 0.5) / 3 = 5/18 -> RS 2.
    close(at('rsi_3', 4), 100 - 100 / 3, 'rsi at 4');
  });

  it('MACD: EMAs seeded with the first close, divided by the close, defined from bar slow + signal - 2', () => {
    // EMA2 = 10, 32/3, 95/9, 311/27; EMA3 = 10, 10.5, 10.5, 11.25; line = 0, 1/6, 1/18, 29/108;
    // signal (EMA2 of the line) = 0, 1/9, 2/27, 11/54.
    assert.ok(Number.isNaN(at('macd_2_3_2', 2)));
    close(at('macd_2_3_2', 3), 29 / 108 / 12, 'macd line');
    close(at('macds_2_3_2', 3), 11 / 54 / 12, 'macd signal');
    close(at('macdh_2_3_2', 3), 7 / 108 / 12, 'macd histogram');
  });

  it('Bollinger position: 0 at the lower band, 1 at the upper, population sigma', () => {
    close(at('bbpos_3_2', 2), 0.5, 'closes 10, 11, 10.5: the last close is the mean');
    const m = (11 + 10.5 + 12) / 3;
    const sd = Math.sqrt(((11 - m) ** 2 + (10.5 - m) ** 2 + (12 - m) ** 2) / 3);
    close(at('bbpos_3_2', 3), (12 - (m - 2 * sd)) / (4 * sd), 'bbpos at 3');
    const flat = featureColumns(candles([5, 5, 5, 5], [1, 1, 1, 1]), ['bbpos_3_2', 'volz_3']);
    assert.equal(flat[0]?.[3], 0.5, 'flat prices: the middle');
    assert.equal(flat[1]?.[3], 0, 'flat volume: z = 0');
  });

  it('ATR: true ranges 1.5, 1, 2 averaged at bar 3, then Wilder smoothing; over the close', () => {
    close(at('atr_3', 3), 1.5 / 12, 'atr at 3');
    close(at('atr_3', 4), ((1.5 * 2 + 1) / 3) / 11.5, 'atr at 4');
  });

  it('volume z-score over the last N volumes', () => {
    close(at('volz_3', 2), 0, 'volume 150 is the mean of 100, 200, 150');
    const m = (200 + 150 + 300) / 3;
    const sd = Math.sqrt(((200 - m) ** 2 + (150 - m) ** 2 + (300 - m) ** 2) / 3);
    close(at('volz_3', 3), (300 - m) / sd, 'volz at 3');
  });

  it('featureRow is the last bar of the columns; minCandles makes it defined', () => {
    const n = minCandles(DEFAULT_FEATURES);
    assert.equal(n, 61, 'ret_60 needs 61 bars');
    assert.equal(warmup('macd_12_26_9'), 33);
    const closes = Array.from({ length: n }, (_, i) => 100 + Math.sin(i / 3) * 5 + i * 0.1);
    const series = candles(closes, closes.map((_, i) => 1000 + (i % 7) * 10));
    const row = featureRow(series, DEFAULT_FEATURES);
    assert.ok(row.every(Number.isFinite), 'every default feature is defined at the last bar');
    const cols2 = featureColumns(series, DEFAULT_FEATURES);
    row.forEach((v, i) => assert.equal(v, cols2[i]?.[n - 1]));
    const short = featureRow(sliceCandles(series, 0, n - 1), DEFAULT_FEATURES);
    assert.ok(Number.isNaN(short[3] as number), 'one bar fewer: ret_60 undefined');
  });

  it('no look-ahead: features of bar t are the same whatever bars come after it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ r: fc.double({ min: -0.05, max: 0.05, noNaN: true }), v: fc.double({ min: 0, max: 1e6, noNaN: true }), w: fc.double({ min: 0, max: 0.02, noNaN: true }) }), { minLength: 2, maxLength: 120 }),
        fc.integer({ min: 1, max: 119 }),
        (steps, cut) => {
          let p = 100;
          const rows = steps.map((s, i) => {
            p *= 1 + s.r;
            return { open: p, high: p * (1 + s.w), low: p * (1 - s.w), close: p, volume: s.v, timestamp: i * 60 };
          });
          const full = candlesFromObjects(rows);
          const k = Math.min(cut, rows.length);
          const names = [...DEFAULT_FEATURES, 'ret_3', 'rsi_5', 'macdh_3_7_4', 'bbpos_5_1.5', 'atr_4', 'volz_6'];
          const a = featureColumns(sliceCandles(full, 0, k), names);
          const b = featureColumns(full, names);
          a.forEach((col, j) => col.forEach((v, t) => assert.ok(Object.is(v, b[j]?.[t]), `${names[j]} at ${t} of ${k}`)));
        },
      ),
      { seed: 13, numRuns: 200 },
    );
  });

  it('dataset: rows where every feature and the label exist, label = forward return over the horizon > threshold', () => {
    const ds = buildDataset(c, { features: ['ret_1', 'rsi_3'], horizon: 2 });
    assert.deepEqual([...ds.bar], [3, 4, 5], 'rsi_3 from bar 3; labels need bar t + 2 <= 7');
    close(ds.forward[0] as number, 13 / 12 - 1, 'forward return of bar 3');
    const one = buildDataset(c, { features: ['ret_1', 'rsi_3'], horizon: 1 });
    assert.deepEqual([...one.y], [0, 1, 0, 1], '12 -> 11.5 down, 11.5 -> 13 up, 13 -> 12.5 down, 12.5 -> 14 up');
    assert.deepEqual([...one.time], [3, 4, 5, 6].map((i) => (1_700_000_000 + 60 * i) * 1000));
    assert.equal(ds.x[0], 12 / 10.5 - 1, 'first feature of the first row is ret_1 of bar 3');
    const reg = buildDataset(c, { features: ['ret_1'], horizon: 1, objective: 'regression' });
    close(reg.y[0] as number, 10.5 / 11 - 1, 'regression label is the forward return');
    const hi = buildDataset(c, { features: ['ret_1'], horizon: 1, threshold: 0.1 });
    assert.deepEqual([...hi.y], CLOSE.slice(1, -1).map((v, i) => ((CLOSE[i + 2] as number) / v - 1 > 0.1 ? 1 : 0)));
  });

  it('names say what they compute; unknown or malformed names are refused', () => {
    assert.deepEqual(parseFeatureName('bbpos_20_2.5'), { kind: 'bbpos', n: 20, k: 2.5 });
    for (const bad of ['foo_3', 'ret', 'ret_0', 'ret_x', 'rsi_1', 'macd_12_26', 'bbpos_20', 'atr_3_4', 'volz_-2']) {
      assert.throws(() => parseFeatureName(bad), FeatureNameError, bad);
    }
  });

  it('resamples 1-minute bars into 5-minute bars (open first, close last, extremes, summed volume)', () => {
    const m = candlesFromObjects(Array.from({ length: 12 }, (_, i) => ({ open: i, high: i + 10, low: i - 10, close: i + 0.5, volume: 1, timestamp: 1_700_000_100 + 60 * i })));
    const r = resampleCandles(m, 300_000);
    const first = Math.floor((1_700_000_100 * 1000) / 300_000) * 300_000;
    assert.deepEqual([...r.time], [first, first + 300_000, first + 600_000]);
    const perFirst = (first + 300_000 - 1_700_000_100_000) / 60_000;
    assert.equal(r.open[0], 0);
    assert.equal(r.close[0], perFirst - 1 + 0.5);
    assert.equal(r.volume[0], perFirst);
    assert.equal(r.high[1], perFirst + 4 + 10);
    assert.equal(r.low[1], perFirst - 10);
  });
});
