/**
 * Wiring of the supervised model servers (config `modelServers`): each runs as
 * `node bin/tradewind.js model-server ...` in its own process, with its state under
 * DATA_DIR/model-servers/NAME. With no model file configured, server N serves the shipped
 * models/model-N.txt (four small models trained on real BTCUSDT candles by
 * scripts/train-default-models.sh).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { HttpModelServerClient } from '../adapters/model-server-client.js';
import type { Clock } from '../core/clock.js';
import type { Scheduler } from '../core/ports.js';
import { ModelSupervisor, type ChildHandle, type ModelProcessSpec } from '../app/model-supervisor.js';
import { ConfigError } from './config.js';
import type { TradewindConfig } from './config-schema.js';

const BIN = fileURLToPath(new URL('../../../bin/tradewind.js', import.meta.url));
/**
 * V8 flags of a model server process: a young generation of 32 MB from the start instead of one
 * growing from 1 MB. A prediction request allocates about 90 KB (the JSON body, its candle objects,
 * the feature columns), so the default young generation is swept every ~150 requests and a
 * request that meets a sweep waits for it; at 32 MB that happens 2-3 times less often (README
 * "Model servers", latency). Costs about 32 MB of memory per process.
 */
export const MODEL_SERVER_NODE_FLAGS = ['--min-semi-space-size=32', '--max-semi-space-size=32'];
const SHIPPED = (n: number) => fileURLToPath(new URL(`../../../models/model-${n}.txt`, import.meta.url));

export function modelServerSpecs(config: TradewindConfig): ModelProcessSpec[] {
  const ms = config.modelServers;
  const names = new Set<string>();
  const ports = new Set<number>();
  return ms.servers.map((s, i) => {
    if (names.has(s.name)) throw new ConfigError(`modelServers.servers: the name ${s.name} is used twice`);
    if (ports.has(s.port)) throw new ConfigError(`modelServers.servers: the port ${s.port} is used twice`);
    names.add(s.name);
    ports.add(s.port);
    const model = s.model ? resolve(s.model) : SHIPPED((i % 4) + 1);
    if (!existsSync(model)) throw new ConfigError(`modelServers.servers[${i}].model: no such file ${s.model || model}`);
    return { name: s.name, port: s.port, model };
  });
}

export function createModelSupervisor(o: { config: TradewindConfig; dataDir: string; log: Logger; clock: Clock; scheduler: Scheduler }): ModelSupervisor {
  const ms = o.config.modelServers;
  const log = o.log.child({ component: 'model-servers' });
  const host = ms.host.includes(':') ? `[${ms.host}]` : ms.host;
  const launch = (spec: ModelProcessSpec): ChildHandle => {
    const args = [BIN, 'model-server', '--name', spec.name, '--port', String(spec.port), '--model', spec.model, '--host', ms.host, '--data-dir', o.dataDir];
    const child = spawn(process.execPath, [...MODEL_SERVER_NODE_FLAGS, ...args], {
      env: { ...process.env, LOG_LEVEL: 'warn', TRADEWIND_MODEL_TOKENS: ms.token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Its output (warnings and errors only, at LOG_LEVEL warn) joins the server's log.
    for (const [stream, level] of [[child.stdout, 'info'], [child.stderr, 'warn']] as const) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim()) log[level]({ model: spec.name }, line.slice(0, 2000));
      });
    }
    return {
      get pid() {
        return child.pid;
      },
      onExit: (listener) => child.once('exit', (code, signal) => listener(code, signal)),
      kill: (signal) => void child.kill(signal),
    };
  };
  return new ModelSupervisor({
    specs: modelServerSpecs(o.config),
    launch,
    client: (spec) => new HttpModelServerClient({ name: spec.name, url: `http://${host}:${spec.port}`, clock: o.clock, timeoutMs: ms.timeoutMs, ...(ms.token ? { token: ms.token } : {}) }),
    clock: o.clock,
    scheduler: o.scheduler,
    healthEveryMs: ms.healthIntervalMs,
    restartMinMs: ms.restartMinMs,
    restartMaxMs: Math.max(ms.restartMinMs, ms.restartMaxMs),
    resetAfterMs: ms.resetAfterMs,
    log: (level, message, fields) => log[level](fields ?? {}, message),
  });
}
