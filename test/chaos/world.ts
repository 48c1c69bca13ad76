// The processes a chaos campaign runs against: the fake Binance USD-M venue (its own process,
// it outlives every server crash), two real models on loopback model servers for the ensemble
// coordinator, a `tradewind bridge` executor (it too outlives the server), and the server itself,
// restarted on the same port and data directory after every SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePorts } from '../helpers/model-server.js';
import { join } from 'node:path';
import { startBridge, type BridgeProc } from '../helpers/bridge.js';
import { ccxtAccountConfig, creds } from '../helpers/ccxt-account.js';
import { startLoopbackModelServer, trainSmallModels, type LoopbackModelServer } from '../helpers/loopback-model-server.js';
import { fastConfig, repoRoot, startServer, tempDir, type ServerHandle } from '../helpers/server.js';

export const VENUE_KEY = 'ChaosKey0123456789abcdef0123456789abcdef0123456789abcdef01234567';
const VENUE_SECRET = 'ChaosSecretfedcba9876543210fedcba9876543210fedcba9876543210fedcb';
export const BRIDGE_SECRET = 'chaos-bridge-secret-0123456789';
export const TV_SECRET = 'chaos-tv-webhook-secret';

export interface Venue {
  proc: ChildProcess;
  url: string;
  wsUrl: string;
}

const freePort = async () => (await freePorts(1))[0] as number;

async function startVenue(): Promise<Venue> {
  const proc = spawn(process.execPath, [join(repoRoot, 'dist', 'test', 'fake-binance', 'cli.js'), '--api-key', VENUE_KEY, '--secret', VENUE_SECRET, '--balance', '1000000', '--tick-ms', '100'], {
    // Not 'inherit': a venue left running by a test that timed out would hold the test runner's
    // stderr open, and the runner would wait for it forever after its summary.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stderr?.resume();
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] as string);
    });
    proc.once('exit', (code) => reject(new Error(`the fake venue exited with ${code}`)));
  });
  const { url, wsUrl } = JSON.parse(line) as { url: string; wsUrl: string };
  return { proc, url, wsUrl };
}

export class ChaosWorld {
  server!: ServerHandle;
  bridge!: BridgeProc;
  venue!: Venue;
  readonly dataDir = tempDir('tw-chaos-');
  private models: LoopbackModelServer[] = [];
  private config = '';
  private port = '0';
  private readonly env = { ...creds(VENUE_KEY, VENUE_SECRET), LOG_LEVEL: 'warn', BRIDGE_HEARTBEAT_SECRET: BRIDGE_SECRET, TV_WEBHOOK_SECRET: TV_SECRET };
  /** Every bridge process of the campaign (a killed one stays here: its EXECUTED lines count). */
  readonly bridges: BridgeProc[] = [];

  /** bridgeWaitMs > 0: the executor long-polls, so orders are claimed inside the transactions that queue them. */
  constructor(private readonly bridgeWaitMs = 0) {}

  private bridgeArgs(): string[] {
    return ['--exec-delay-ms', '0', ...(this.bridgeWaitMs > 0 ? ['--wait-ms', String(this.bridgeWaitMs)] : [])];
  }

  async start(): Promise<void> {
    this.venue = await startVenue();
    const trained = await trainSmallModels(2, 12_000);
    this.models = await Promise.all(trained.map((m, i) => startLoopbackModelServer(`model-${i + 1}`, m.model)));
    const venueAccount = ccxtAccountConfig(this.venue, { reconcileSeconds: 1, timeoutMs: 5000, recvWindowMs: 10_000 });
    this.config = fastConfig(this.dataDir, {
      ...venueAccount,
      demoBot: { barIntervalMs: 200, fast: 2, slow: 4, stopAtr: 3 },
      risk: { accounts: { bridge: { maxGrossLeverage: 125, maxNetLeverage: 125, marginCheck: false } } },
      bridge: { enabled: true, allowTestOrders: true, leaseSeconds: 5, contracts: { ES: { contract: 'MESM6', exchange: 'CME' } } },
      renkoDesk: { dailyTradeLimit: 1000, cooldownMinutes: 0, exitLockSeconds: 0 },
      modelServers: { enabled: false },
      trading: { timeframe: '1s' },
      ensemble: {
        enabled: true,
        confidence_threshold: 0,
        min_responding_models: 1,
        websocket_port: await freePort(),
        metrics_port: await freePort(),
        model_endpoints: this.models.map((m) => ({ name: m.name, host: '127.0.0.1', port: m.port, weight: 1, enabled: true })),
      },
      timing: { heartbeat_interval: 0.25, status_interval: 1, health_check_interval: 0.5, model_timeout: 2 },
      safety: { min_models_online: 1, circuit_breaker_consecutive_losses: 0, max_daily_loss_percent: 0 },
    });
    await this.startServer();
    this.port = new URL(this.server.url).port;
    this.bridge = startBridge({ url: this.server.url, secret: BRIDGE_SECRET, owner: 'chaos', args: this.bridgeArgs() });
    this.bridges.push(this.bridge);
  }

  /** Starts (or restarts) the server on the same data directory and port; returns the time it took to listen. */
  async startServer(): Promise<number> {
    const t0 = Date.now();
    this.server = await startServer({ dataDir: this.dataDir, config: this.config, env: this.env, args: this.port === '0' ? [] : ['--port', this.port], startTimeoutMs: 90_000 });
    return Date.now() - t0;
  }

  async kill9(): Promise<void> {
    await this.server.kill9();
  }

  /** Kills the bridge executor too (a crash on both sides) and starts it again on its journal. */
  async crashBridge(): Promise<void> {
    await this.bridge.kill9();
    this.bridge = startBridge({ url: this.server.url, secret: BRIDGE_SECRET, owner: 'chaos', stateDir: this.bridge.stateDir, args: this.bridgeArgs() });
    this.bridges.push(this.bridge);
  }

  venueControl(path: string, body?: unknown): Promise<unknown> {
    return fetch(`${this.venue.url}/__control/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json() as Promise<unknown>);
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    for (const b of this.bridges) await b.stop();
    this.venue?.proc.kill('SIGTERM');
    for (const m of this.models) await m.kill().catch(() => {});
  }
}
