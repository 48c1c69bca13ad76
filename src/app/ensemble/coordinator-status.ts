import { isoTime, utcDayStart, type Clock } from '../../core/clock.js';
import type { CoordinatorJournal } from '../../core/coordinator-journal.js';
import type { Bar } from '../../core/market.js';
import type { EnsembleCoordinator } from './coordinator.js';
import { lastRsi } from './predict-request.js';

/** The coordinator process's CPU % since the previous sample and its memory (RSS) in MB. */
export class ProcessSampler {
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  sample(): { cpuPercent: number; memoryMb: number } {
    const cpu = process.cpuUsage(this.lastCpu);
    const now = performance.now();
    const wallMs = now - this.lastAt;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const cpuPercent = wallMs > 0 ? ((cpu.user + cpu.system) / 1000 / wallMs) * 100 : 0;
    return { cpuPercent: round(cpuPercent, 2), memoryMb: round(process.memoryUsage().rss / 1_048_576, 1) };
  }
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

export interface StatusSources {
  clock: Clock;
  coordinator: EnsembleCoordinator;
  journal: CoordinatorJournal;
  candles(): readonly Bar[];
  lastPrice(): number | undefined;
  volume24h(): number | null;
  process: ProcessSampler;
}

export const welcomeMessage = (clock: Clock) => ({ type: 'welcome', timestamp: isoTime(clock.now()), message: 'Connected to Xylen Coordinator' });

/** Seed 004's status_update, every field from the running coordinator. */
export function statusUpdate(src: StatusSources, websocketClients: number) {
  const c = src.coordinator;
  const s = c.settings;
  const now = src.clock.now();
  const perf = src.journal.performance(isoTime(utcDayStart(now)));
  const proc = src.process.sample();
  const last = c.lastDecision;
  return {
    type: 'status_update',
    timestamp: isoTime(now),
    coordinator: {
      status: c.isRunning ? 'running' : 'stopped',
      dry_run: s.dryRun,
      testnet: s.testnet,
      symbol: s.requestSymbol,
      uptime_seconds: Math.floor(c.uptimeSeconds()),
      websocket_clients: websocketClients,
      open_trades: src.journal.openTrades().length,
      circuit_breaker: c.circuitBreaker.active ? 'active' : 'normal',
      cpu_usage: proc.cpuPercent,
      memory_usage: proc.memoryMb,
    },
    models: c.models.map((m) => m.client.seedView()),
    market: {
      price: src.lastPrice() ?? null,
      rsi: lastRsi(src.candles()),
      volume_24h: src.volume24h(),
    },
    decision: {
      action: last?.decision.action ?? 'hold',
      confidence: last?.decision.confidence ?? 0,
      risk_approved: last?.riskApproved ?? false,
    },
    performance: perf,
  };
}

export type StatusUpdate = ReturnType<typeof statusUpdate>;
