/**
 * `tradewind model-server --name NAME --port PORT --model FILE`: one seed 004 model server in
 * its own process (the composition root of src/app/model-service.ts and its HTTP API). Its
 * state (predictions' features, feedback, retrained models) lives in
 * DATA_DIR/model-servers/NAME/: a restarted server serves its latest retrained model again.
 */
import { Command, InvalidArgumentError } from 'commander';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { WallClock } from '../adapters/clock-wall.js';
import { ModelServerStore } from '../adapters/store-sqlite/model-server-store.js';
import { loopbackHost } from '../api/auth.js';
import { buildModelServerApp } from '../api/model-server-app.js';
import { ModelServerMetrics } from '../app/model-server-metrics.js';
import { ModelService, type ProcessStats } from '../app/model-service.js';
import { loadModelBytes } from '../ml/load-model.js';
import { DEFAULT_SIGNAL } from '../ml/trade-signal.js';
import { trainInWorker } from '../ml/train-job.js';
import { ConfigError } from './config.js';
import { REDACT_PATHS } from './logger.js';

export interface ModelServerOptions {
  name: string;
  port: number;
  model: string;
  host: string;
  dataDir: string;
  token: string[];
  edge: number;
  stopAtr: number;
  takeProfitAtr: number;
  minSamples: number;
  continuousLearning: number;
}

/** CPU % of this process between two readings (100 = one core), at most every 200 ms; RSS in MiB. */
export function processStats(): ProcessStats {
  let last = { at: performance.now(), cpu: process.cpuUsage(), value: 0 };
  return {
    memoryMb: () => Math.round((process.memoryUsage.rss() / 1_048_576) * 10) / 10,
    cpuPercent: () => {
      const now = performance.now();
      if (now - last.at >= 200) {
        const used = process.cpuUsage(last.cpu);
        last = { at: now, cpu: process.cpuUsage(), value: Math.round((((used.user + used.system) / 1000 / (now - last.at)) * 100) * 10) / 10 };
      }
      return last.value;
    },
  };
}

export interface RunningModelServer {
  url: string;
  close(): Promise<void>;
}

export async function startModelServer(o: ModelServerOptions): Promise<RunningModelServer> {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(o.name)) throw new ConfigError('--name: letters, digits, "_", "-" and "." only (it names the state directory)');
  if (!loopbackHost(o.host.includes(':') ? `[${o.host}]` : o.host) && o.token.length === 0) throw new ConfigError(`Refusing to bind ${o.host} without an API token: set TRADEWIND_MODEL_TOKENS or --token, or bind 127.0.0.1`);
  const dir = join(resolve(o.dataDir), 'model-servers', o.name);
  mkdirSync(dir, { recursive: true });
  const logger = pino({ level: process.env.LOG_LEVEL || 'info', redact: REDACT_PATHS, base: { component: 'model-server', model: o.name } });
  const clock = new WallClock();
  const bytes = await readFile(o.model);
  const baseSha = createHash('sha256').update(bytes).digest('hex');
  const store = new ModelServerStore(join(dir, 'model-server.db'));
  const retrained = store.latestModel(baseSha);
  const model = retrained && existsSync(retrained.file) ? await loadModelBytes(await readFile(retrained.file)) : await loadModelBytes(bytes);
  const metrics = new ModelServerMetrics();
  const service = new ModelService({
    name: o.name,
    clock,
    model,
    baseSha,
    store,
    metrics,
    stats: processStats(),
    signal: { ...DEFAULT_SIGNAL, edge: o.edge, stopAtr: o.stopAtr, takeProfitAtr: o.takeProfitAtr },
    train: (spec) => trainInWorker(spec),
    install: async (version, text) => {
      const file = join(dir, `model-v${version.replace(/[^A-Za-z0-9.]/g, '_')}.txt`);
      // Written whole then renamed: a crash never leaves half a model where a restart would load it.
      await writeFile(`${file}.tmp`, text);
      await rename(`${file}.tmp`, file);
      return { file, model: await loadModelBytes(Buffer.from(text)) };
    },
    trainParams: { rounds: 100, maxDepth: 4, learningRate: 0.1, minChildWeight: 1, earlyStoppingRounds: 10, seed: 42 },
    minSamples: o.minSamples,
    continuousEvery: o.continuousLearning,
    matchWindowMs: 7 * 86_400_000,
    matchTolerance: 0.002,
    onError: (err, context) => logger.error({ err }, `model server error in ${context}`),
  });
  const app = await buildModelServerApp({ service, metrics, clock, apiTokens: o.token, logger });
  await app.listen({ host: o.host, port: o.port });
  const port = (app.server.address() as { port: number }).port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closed = false;
  return {
    url: `http://${host}:${port}`,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await service.close();
      store.close();
    },
  };
}

const num = (name: string, ok: (n: number) => boolean, rule: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !ok(n)) throw new InvalidArgumentError(`${name} ${rule}`);
  return n;
};

export function modelServerCommand(): Command {
  return new Command('model-server')
    .description('serve one model over HTTP (seed 004): POST /predict, GET /health, POST /feedback, POST /retrain, GET /metrics')
    .requiredOption('--name <name>', 'the server\'s name (answers carry it; its state is DATA_DIR/model-servers/NAME)')
    .requiredOption('--port <port>', 'port to listen on (0: any free port)', num('--port', (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'must be a port number'))
    .requiredOption('--model <file>', 'model file: XGBoost JSON, LightGBM text or ONNX')
    .option('--host <host>', 'address to bind (loopback unless a token is set)', '127.0.0.1')
    .option('--data-dir <dir>', 'state directory root (env DATA_DIR)', process.env.DATA_DIR || './data')
    .option('--token <token>', 'API token required by /predict, /feedback and /retrain (repeatable; env TRADEWIND_MODEL_TOKENS, comma-separated)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--edge <p>', 'hold zone around probability 0.5', num('--edge', (n) => n >= 0 && n < 0.5, 'must be in [0, 0.5)'), DEFAULT_SIGNAL.edge)
    .option('--stop-atr <x>', 'stop loss distance in ATRs', num('--stop-atr', (n) => n > 0, 'must be > 0'), DEFAULT_SIGNAL.stopAtr)
    .option('--take-profit-atr <x>', 'take profit distance in ATRs', num('--take-profit-atr', (n) => n > 0, 'must be > 0'), DEFAULT_SIGNAL.takeProfitAtr)
    .option('--min-samples <n>', 'feedback samples a retraining needs at least', num('--min-samples', (n) => Number.isInteger(n) && n >= 2, 'must be an integer >= 2'), 20)
    .option('--continuous-learning <n>', 'retrain by itself after every N new feedback samples (0: off)', num('--continuous-learning', (n) => Number.isInteger(n) && n >= 0, 'must be an integer >= 0'), 0)
    .action(async (o: ModelServerOptions) => {
      const tokens = [...o.token, ...(process.env.TRADEWIND_MODEL_TOKENS ?? '').split(',').map((s) => s.trim()).filter(Boolean)];
      let server: RunningModelServer;
      try {
        server = await startModelServer({ ...o, token: tokens });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (e instanceof ConfigError || err.code === 'ENOENT' || err.code === 'EADDRINUSE' || err.name === 'ModelFormatError') {
          process.stderr.write(`tradewind model-server: ${err.message}\n`);
          process.exit(2);
        }
        throw e;
      }
      process.stdout.write(`model server ${o.name} listening on ${server.url}\n`);
      const shutdown = () => {
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
