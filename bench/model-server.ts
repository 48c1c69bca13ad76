// Model server benchmark (seed 004 reports 8.5 ms per prediction): POST /predict latency over
// HTTP (from a client process of its own, through the coordinator's model-server client, and
// through fetch for comparison) to a real `tradewind model-server` process (started as the
// supervisor starts one, its V8 flags included) serving a 200-tree depth-6 model (target p99
// < 3 ms), and the same request's work in-process (features from the candles, the trees, the
// trading signal; target p99 < 1 ms).
//
//   npm run bench:model-server        (builds, then runs this)
//   node dist/bench/model-server.js   (after npm run build)
//
// Environment: MS_BENCH_CALLS (HTTP requests measured, default 5000), MS_BENCH_CANDLES
// (candles per request, default 150), MS_BENCH_MODEL (serve this model file instead of training
// the 200-tree one first: e.g. to run the measurement alone at a raised priority, README).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCandleFile } from '../src/cli/model-data.js';
import { candlesFromObjects } from '../src/ml/candles.js';
import { buildDataset } from '../src/ml/features.js';
import { loadModelFile } from '../src/ml/load-model.js';
import { RequestFeatures } from '../src/ml/request-features.js';
import { tradeSignal } from '../src/ml/trade-signal.js';
import { trainInWorker } from '../src/ml/train-job.js';
import type { TreeModel } from '../src/ml/tree-model.js';
import { BTC_2024 } from '../test/helpers/ml.js';
import { seedCandles, startModelServer } from '../test/helpers/model-server.js';
import { repoRoot, tempDir } from '../test/helpers/server.js';
import { envNumber, isMain, machineInfo, removeBenchDir, round, summarize } from './common.js';

const stats = (times: Float64Array) => {
  const s = summarize(times);
  return { calls: times.length, p50Ms: round(s.p50 / 1000, 3), p99Ms: round(s.p99 / 1000, 3), p999Ms: round(s.p999 / 1000, 3), maxMs: round(s.max / 1000, 3), meanMs: round(s.mean / 1000, 3) };
};

export async function runModelServerBench(log: (s: string) => void) {
  const calls = envNumber('MS_BENCH_CALLS', 5000);
  const perRequest = envNumber('MS_BENCH_CANDLES', 150);
  const dir = tempDir('tw-ms-bench-');
  const candles = await readCandleFile(BTC_2024, { limit: 200_000, intervalMs: 300_000 });
  const ds = buildDataset(candles, { horizon: 3 });
  let modelFile = process.env.MS_BENCH_MODEL ?? '';
  if (!modelFile) {
    log(`training a 200-tree depth-6 model on ${ds.rows} rows of 5-minute features...`);
    const trained = await trainInWorker({ featureNames: ds.featureNames, x: ds.x, y: ds.y, params: { rounds: 200, maxDepth: 6, earlyStoppingRounds: 0, seed: 1 } });
    modelFile = join(dir, 'model-200.txt');
    writeFileSync(modelFile, trained.modelText);
  }
  const model = (await loadModelFile(modelFile)) as TreeModel;
  const n = candles.close.length;
  const bodies = Array.from({ length: 500 }, (_, i) => {
    const t = perRequest + ((i * 37) % (n - perRequest - 1));
    return { symbol: 'BTCUSDT', timeframe: '5m', candles: seedCandles(candles, t - perRequest + 1, t + 1) };
  });

  // In-process: what the server does per request after parsing JSON.
  const features = new RequestFeatures(model.metadata.featureNames);
  const inProcess = (i: number) => {
    const body = bodies[i % bodies.length] as (typeof bodies)[number];
    const c = candlesFromObjects(body.candles);
    return tradeSignal(model.predictSync(features.row({ candles: c })), 'binary', c);
  };
  for (let i = 0; i < 2000; i++) inProcess(i);
  const local = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    inProcess(i);
    local[i] = (performance.now() - t0) * 1000;
  }
  const localStats = stats(local);
  log(`in-process (features of ${perRequest} candles + 200 trees + signal): p50 ${localStats.p50Ms} ms, p99 ${localStats.p99Ms} ms`);

  // Over HTTP: one request at a time (the coordinator's pattern) from a client process of its own
  // (bench/model-server-client.ts): first through the coordinator's model-server adapter, then, for
  // comparison, through the global fetch from a second process.
  const server = await startModelServer({ model: modelFile, dataDir: dir });
  try {
    const bodiesFile = join(dir, 'bodies.json');
    writeFileSync(bodiesFile, JSON.stringify(bodies));
    const ask = (kind: 'adapter' | 'fetch') => {
      const child = spawnSync(process.execPath, [fileURLToPath(new URL('./model-server-client.js', import.meta.url)), kind, server.url, bodiesFile, String(calls)], { encoding: 'utf8', maxBuffer: 64 * 1_048_576 });
      if (child.status !== 0) throw new Error(`the ${kind} client process failed (${child.status}):\n${child.stderr}`);
      return JSON.parse(child.stdout) as { times: number[]; serverSide: number[] };
    };
    const viaAdapter = ask('adapter');
    const viaFetch = ask('fetch');
    const http = Float64Array.from(viaAdapter.times);
    const fetchHttp = Float64Array.from(viaFetch.times);
    const serverSide = Float64Array.from(viaAdapter.serverSide);
    const httpStats = stats(http);
    const fetchStats = stats(fetchHttp);
    const serverStats = stats(serverSide);
    log(`HTTP POST /predict through the model-server client (round trip): p50 ${httpStats.p50Ms} ms, p99 ${httpStats.p99Ms} ms; server-side latency_ms p99 ${serverStats.p99Ms} ms`);
    log(`HTTP POST /predict through the global fetch (round trip): p50 ${fetchStats.p50Ms} ms, p99 ${fetchStats.p99Ms} ms`);
    const result = {
      machine: machineInfo(),
      loadAverage: loadavg().map((v) => round(v, 2)),
      model: { trees: model.metadata.trees, maxDepth: 6, features: model.metadata.featureNames.length },
      candlesPerRequest: perRequest,
      inProcess: localStats,
      http: httpStats,
      httpViaFetch: fetchStats,
      serverLatencyMs: serverStats,
      targets: { inProcessP99Ms: 1, httpP99Ms: 3, inProcessMet: localStats.p99Ms < 1, httpMet: httpStats.p99Ms < 3 },
    };
    const out = join(repoRoot, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'model-server-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await server.stop();
    removeBenchDir(dir);
  }
}

if (isMain(import.meta.url)) {
  runModelServerBench((s) => console.log(s)).then(
    (r) => console.log(JSON.stringify({ loadAverage: r.loadAverage, inProcess: r.inProcess, http: r.http, httpViaFetch: r.httpViaFetch, targets: r.targets })),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
