// Seed 004 model server: `tradewind model-server` as a real process over HTTP. The seed's
// requests as written, field by field; 422s naming the field; feedback joined to predictions and
// retraining that increments model_version while serving goes on; promtool on /metrics.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { candlesFromObjects, type Candles } from '../../src/ml/candles.js';
import { loadModelFile } from '../../src/ml/load-model.js';
import { RequestFeatures } from '../../src/ml/request-features.js';
import type { TreeModel } from '../../src/ml/tree-model.js';
import { BTC_2024 } from '../helpers/ml.js';
import { promtoolCheck, promtoolMissing, readCandles, seedCandles, SHIPPED_MODEL, startModelServer, type ModelServerHandle } from '../helpers/model-server.js';
import { getJson, waitFor } from '../helpers/server.js';

const post = (url: string, body: unknown) => getJson<Record<string, unknown>>(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The seed's POST /predict example, exactly as written (its `...` left out). */
const SEED_PREDICT = {
  symbol: 'BTCUSDT',
  timeframe: '5m',
  candles: [{ open: 101700.0, high: 101800.0, low: 101600.0, close: 101750.0, volume: 1000000.0, timestamp: 1699300000 }],
  indicators: { rsi: 42.5, macd: 150.0, bb_upper: 102000.0 },
  meta: {},
};
const SEED_FEEDBACK = { trade_id: '12345', entry_price: 101750.0, exit_price: 102500.0, pnl: 750.0, outcome: 'win', duration_seconds: 1800 };

function assertPredictAnswer(b: Record<string, unknown>, close: number): void {
  assert.equal(b.model_name, 'model-1');
  assert.ok(['long', 'short', 'hold'].includes(b.action as string), `action ${String(b.action)}`);
  for (const k of ['confidence', 'probability', 'expected_return', 'stop_loss', 'take_profit', 'raw_score', 'latency_ms']) assert.equal(typeof b[k], 'number', k);
  const p = b.probability as number;
  assert.ok(p > 0 && p < 1);
  assert.equal(b.confidence, Math.max(p, 1 - p));
  assert.ok((b.latency_ms as number) > 0);
  const up = b.action === 'long' || (b.action === 'hold' && p >= 0.5);
  if (up) assert.ok((b.stop_loss as number) < close && close < (b.take_profit as number), 'long levels around the close');
  else assert.ok((b.stop_loss as number) > close && close > (b.take_profit as number), 'short levels around the close');
  assert.equal(Math.sign(b.expected_return as number), Math.sign(p - 0.5));
}

describe('model server (seed 004)', { skip: !existsSync(BTC_2024) && `no ${BTC_2024}` }, () => {
  let server: ModelServerHandle;
  let candles: Candles;
  before(async () => {
    candles = await readCandles(BTC_2024, { limit: 40_000, intervalMs: 300_000 });
    server = await startModelServer({ args: ['--min-samples', '20'] });
  });
  after(async () => {
    await server?.stop();
  });

  it('POST /predict: the seed request as written gets every field of the seed answer', async () => {
    const r = await post(`${server.url}/predict`, SEED_PREDICT);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body).sort(), ['action', 'confidence', 'expected_return', 'latency_ms', 'model_name', 'probability', 'raw_score', 'stop_loss', 'take_profit'].sort());
    assertPredictAnswer(r.body, 101750);
  });

  it('POST /predict on real candles: raw_score is the model file scored in-process on the same features', async () => {
    const model = (await loadModelFile(SHIPPED_MODEL)) as TreeModel;
    const features = new RequestFeatures(model.metadata.featureNames);
    for (const t of [300, 1200, 4000]) {
      const body = { symbol: 'BTCUSDT', timeframe: '5m', candles: seedCandles(candles, t - 150, t + 1) };
      const r = await post(`${server.url}/predict`, body);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const expected = model.predictSync(features.row({ candles: candlesFromObjects(body.candles) }));
      assert.equal(r.body.raw_score, expected.margin);
      assert.equal(r.body.probability, expected.probability);
      assertPredictAnswer(r.body, candles.close[t] as number);
    }
  });

  it('GET /health: every seed field with its type', async () => {
    const r = await getJson<Record<string, unknown>>(`${server.url}/health`);
    assert.equal(r.status, 200);
    const h = r.body;
    assert.equal(h.status, 'healthy');
    for (const k of ['uptime_seconds', 'memory_usage_mb', 'cpu_percent', 'training_samples']) assert.equal(typeof h[k], 'number', k);
    for (const k of ['model_loaded', 'continuous_learning', 'training', 'data_collector_active']) assert.equal(typeof h[k], 'boolean', k);
    assert.equal(h.model_loaded, true);
    assert.equal(h.model_type, 'lightgbm');
    assert.equal(h.model_version, '1');
    assert.equal(h.training_samples, 94808, 'rows the shipped model was trained on (from its file)');
    assert.ok((h.memory_usage_mb as number) > 10);
  });

  it('bad requests: 422 naming the field', async () => {
    const cases: [unknown, (string | number)[]][] = [
      [{ symbol: 'BTCUSDT' }, ['body', 'candles']],
      [{ candles: [] }, ['body', 'candles']],
      [{ candles: [{ ...SEED_PREDICT.candles[0], close: '101750' }] }, ['body', 'candles', '0', 'close']],
      [{ candles: [{ ...SEED_PREDICT.candles[0], open: -1 }] }, ['body', 'candles', '0', 'open']],
      [{ candles: [{ ...SEED_PREDICT.candles[0], high: 101500 }] }, ['body', 'candles', 0, 'high']],
      [{ candles: [{ ...SEED_PREDICT.candles[0], volume: undefined }] }, ['body', 'candles', '0', 'volume']],
      [{ ...SEED_PREDICT, timeframe: 'five minutes' }, ['body', 'timeframe']],
      [{ ...SEED_PREDICT, extra: 1 }, ['body', 'extra']],
    ];
    for (const [body, loc] of cases) {
      const r = await post(`${server.url}/predict`, body);
      assert.equal(r.status, 422, `${JSON.stringify(body)} -> ${r.status}`);
      const detail = r.body.detail as { loc: unknown[]; msg: string }[];
      assert.ok(detail.some((d) => JSON.stringify(d.loc) === JSON.stringify(loc)), `${JSON.stringify(body)}: ${JSON.stringify(detail)} names ${loc.join('.')}`);
    }
    const fb: [unknown, string[]][] = [
      [{ ...SEED_FEEDBACK, outcome: 'maybe' }, ['body', 'outcome']],
      [{ ...SEED_FEEDBACK, entry_price: undefined }, ['body', 'entry_price']],
      [{ ...SEED_FEEDBACK, exit_price: 0 }, ['body', 'exit_price']],
      [{ ...SEED_FEEDBACK, duration_seconds: -5 }, ['body', 'duration_seconds']],
    ];
    for (const [body, loc] of fb) {
      const r = await post(`${server.url}/feedback`, body);
      assert.equal(r.status, 422, `${JSON.stringify(body)} -> ${r.status}`);
      assert.ok((r.body.detail as { loc: string[] }[]).some((d) => JSON.stringify(d.loc) === JSON.stringify(loc)), JSON.stringify(r.body));
    }
  });

  it('POST /retrain without enough samples is refused (409) and changes nothing', async () => {
    const r = await post(`${server.url}/retrain`, {});
    assert.equal(r.status, 409);
    assert.match(String(r.body.detail), /not enough samples/);
    assert.equal((await getJson<Record<string, unknown>>(`${server.url}/health`)).body.model_version, '1');
  });

  it('POST /feedback (seed request) is stored; trades joined to their predictions train a new model_version while predictions go on', async () => {
    const seed = await post(`${server.url}/feedback`, SEED_FEEDBACK);
    assert.equal(seed.status, 200, JSON.stringify(seed.body));
    assert.equal(seed.body.status, 'recorded');
    assert.equal(seed.body.trade_id, '12345');
    // The seed's entry 101750 is the close of the seed prediction sent earlier: it is joined to it.
    assert.equal(seed.body.matched, true);
    let samples = seed.body.samples_count as number;
    for (let i = 0; i < 30; i++) {
      const t = 500 + i * 97;
      const p = await post(`${server.url}/predict`, { symbol: 'BTCUSDT', timeframe: '5m', candles: seedCandles(candles, t - 120, t + 1), meta: { trade_id: `T${i}` } });
      assert.equal(p.status, 200);
      const entry = candles.close[t] as number;
      const exit = candles.close[t + 3] as number;
      const f = await post(`${server.url}/feedback`, { trade_id: `T${i}`, entry_price: entry, exit_price: exit, pnl: exit - entry, outcome: exit > entry ? 'win' : 'loss', duration_seconds: 900 });
      assert.equal(f.status, 200);
      assert.equal(f.body.matched, true);
      assert.equal(f.body.samples_count, ++samples);
    }
    const r = await post(`${server.url}/retrain`, {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'started');
    assert.equal(r.body.samples_count, samples);
    assert.match(String(r.body.estimated_duration), /^\d+ seconds?$/);
    // Serving continues whatever the training's progress.
    assert.equal((await post(`${server.url}/predict`, SEED_PREDICT)).status, 200);
    const h = await waitFor('model_version 2', async () => {
      const b = (await getJson<Record<string, unknown>>(`${server.url}/health`)).body;
      return b.model_version === '2' && b.training === false ? b : null;
    }, 60_000);
    assert.equal(h.training_samples, samples, 'the retrained model was trained on every sample (too few to hold some out)');
    assert.deepEqual(h.last_retrain && (h.last_retrain as { status: string }).status, 'completed');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^model_retrains_total 1$/m);
    assert.match(metrics, new RegExp(`^model_training_samples ${samples}$`, 'm'));
    const score = Number(/^model_score (\S+)$/m.exec(metrics)?.[1]);
    assert.ok(score > 0 && score <= 1, `model_score ${score}`);
    assert.equal((await post(`${server.url}/predict`, SEED_PREDICT)).status, 200);
  });

  it('a restarted server serves its retrained model', async () => {
    await server.stop();
    server = await startModelServer({ dataDir: server.dataDir });
    const h = (await getJson<Record<string, unknown>>(`${server.url}/health`)).body;
    assert.equal(h.model_version, '2');
  });

  it('GET /metrics: the seed names and types, and promtool check metrics passes', { skip: process.env.CI ? false : (promtoolMissing() ?? false) }, async () => {
    await post(`${server.url}/predict`, SEED_PREDICT);
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const types: Record<string, string> = {
      model_predictions_total: 'counter',
      model_prediction_latency_seconds: 'histogram',
      model_prediction_confidence: 'histogram',
      model_retrains_total: 'counter',
      model_training_samples: 'gauge',
      model_score: 'gauge',
    };
    for (const [name, type] of Object.entries(types)) assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), name);
    for (const action of ['long', 'short', 'hold']) assert.match(text, new RegExp(`^model_predictions_total\\{action="${action}"\\} \\d+$`, 'm'));
    const check = promtoolCheck(text);
    assert.equal(check.status, 0, check.output);
    assert.equal(check.output.trim(), '');
  });
});
