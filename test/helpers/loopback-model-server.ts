// A minimal model server for the coordinator tests: seed 004's POST /predict, GET /health and
// POST /feedback on a loopback port, answering with a real model's prediction (a GBDT trained
// with src/ml on real BTCUSDT candles) on the features of the candles sent. It stands in for
// `tradewind model-server` where that is not on the branch; the answer's shape is the seed's.
import { createServer, type Server } from 'node:http';
import type { TreeModel } from '../../src/ml/tree-model.js';
import { candlesFromObjects, type CandleLike } from '../../src/ml/candles.js';
import { featureRow } from '../../src/ml/features.js';
import { readCandleFile } from '../../src/cli/model-data.js';
import { buildDataset, sliceDataset } from '../../src/ml/features.js';
import { runTrainJob } from '../../src/ml/train-job.js';
import { lightgbmModel, readLightgbmText } from '../../src/ml/lightgbm-text.js';
import { BTC_2024 } from './ml.js';

export interface LoopbackModelServer {
  name: string;
  url: string;
  port: number;
  predictions: number;
  feedback: unknown[];
  /** Stops answering: the port closes and open connections are cut (a killed process). */
  kill(): Promise<void>;
}

export interface TrainedModel {
  text: string;
  model: TreeModel;
}

/** Small real models on the first `bars` minutes of 2024, one per seed (different row samples). */
export async function trainSmallModels(count: number, bars = 20_000): Promise<TrainedModel[]> {
  const candles = await readCandleFile(BTC_2024, { limit: bars });
  const ds = buildDataset(candles, { horizon: 5 });
  const train = sliceDataset(ds, 0, ds.rows);
  const out: TrainedModel[] = [];
  for (let i = 0; i < count; i++) {
    const r = runTrainJob({ featureNames: ds.featureNames, x: train.x, y: train.y, params: { rounds: 25, maxDepth: 4, learningRate: 0.2, subsample: 0.8, colsample: 0.8, seed: 11 + i } });
    out.push({ text: r.modelText, model: lightgbmModel(readLightgbmText(r.modelText)) });
  }
  return out;
}

export async function startLoopbackModelServer(name: string, model: TreeModel, edge = 0.01): Promise<LoopbackModelServer> {
  const startedAt = Date.now();
  const state = { predictions: 0, feedback: [] as unknown[] };
  const json = (res: import('node:http').ServerResponse, code: number, body: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/health') {
        json(res, 200, {
          status: 'healthy',
          uptime_seconds: (Date.now() - startedAt) / 1000,
          memory_usage_mb: process.memoryUsage().rss / 1_048_576,
          cpu_percent: 0,
          model_loaded: true,
          model_type: model.metadata.type,
          model_version: model.metadata.version,
          training_samples: model.metadata.trainingSamples ?? 0,
          continuous_learning: false,
          training: false,
          data_collector_active: false,
        });
        return;
      }
      if (req.method === 'POST' && req.url === '/feedback') {
        state.feedback.push(JSON.parse(body));
        json(res, 200, { status: 'recorded' });
        return;
      }
      if (req.method === 'POST' && req.url === '/predict') {
        const t0 = performance.now();
        const r = JSON.parse(body) as { candles?: CandleLike[] };
        if (!Array.isArray(r.candles) || r.candles.length === 0) {
          json(res, 422, { detail: [{ loc: ['body', 'candles'], msg: 'candles: at least one candle' }] });
          return;
        }
        const c = candlesFromObjects(r.candles);
        const p = model.predictSync(featureRow(c, model.metadata.featureNames)).probability as number;
        const action = p >= 0.5 + edge ? 'long' : p <= 0.5 - edge ? 'short' : 'hold';
        const close = c.close[c.close.length - 1] as number;
        state.predictions += 1;
        json(res, 200, {
          model_name: name,
          action,
          confidence: Math.max(p, 1 - p),
          probability: p,
          expected_return: (2 * p - 1) * 0.001,
          stop_loss: action === 'short' ? close * 1.01 : close * 0.99,
          take_profit: action === 'short' ? close * 0.98 : close * 1.02,
          raw_score: Math.log(p / (1 - p)),
          latency_ms: performance.now() - t0,
        });
        return;
      }
      json(res, 404, { detail: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    port,
    get predictions() {
      return state.predictions;
    },
    feedback: state.feedback,
    kill: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
