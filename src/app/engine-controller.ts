import { isoTime, type Clock } from '../core/clock.js';
import type { SystemCommand, StateTransition, TradingState } from '../core/lifecycle.js';
import { isRunningState, WORKING_STATES } from '../core/lifecycle.js';
import type { ScannerSnapshot } from '../core/scanner.js';
import type { TradingStore } from '../core/ports.js';
import type { Bot } from '../engine/bot.js';
import type { Kernel } from '../engine/kernel.js';
import { LifecycleMachine } from '../engine/lifecycle-machine.js';
import type { RiskConfig } from '../engine/risk-engine.js';
import type { Strategy } from '../engine/strategy.js';
import { StatsWindow } from './stats-window.js';
import { KillSwitch } from './kill-switch.js';
import { unpricedReason, type LiveAccounts } from './live-accounts.js';
import type { BotStore } from '../core/bot-records.js';
import { dailyR } from '../engine/account-risk.js';

export interface PresetRepository {
  list(): Record<string, unknown>[];
  get(name: string): Record<string, unknown> | undefined;
  reload(): { file: string; message: string }[];
}

/** What a preset needs to become a running bot; supplied by the composition root. */
export interface PresetRuntime {
  /** The bot's strategy; its scans carry `session.id` as summary.session_id. */
  strategy(preset: Record<string, unknown>, session: { id: string }): Strategy;
  risk(preset: Record<string, unknown>): RiskConfig;
  slots(preset: Record<string, unknown>): number;
  /** A manual scan with the preset over the kernel's market data. */
  scan(preset: Record<string, unknown>, options: { limit?: number; symbols?: string[]; sessionId?: string | null }): ScannerSnapshot;
}

export interface EngineDeps {
  kernel: Kernel;
  store: TradingStore;
  presets: PresetRepository;
  runtime: PresetRuntime;
  clock: Clock;
  /** Monotonic ms timer for cycle statistics (performance.now). */
  timer: () => number;
  /** Live trading needs exchange credentials; none are configured in this build. */
  liveCredentials: boolean;
  /** Exchange accounts (ccxt) that `mode: live` runs on; absent or empty: live is refused. */
  live?: LiveAccounts;
  stopTimeoutMs?: number;
  onCycle?: (seconds: number) => void;
  /** The kill switch over every account (default: one over this kernel alone). */
  killSwitch?: KillSwitch;
  /** The bot registry: the engine's run (preset, mode) survives a restart; none: in memory only. */
  bots?: BotStore;
}

export type EngineResult =
  | { ok: true; message: string; changed: boolean; state: TradingState; details?: Record<string, unknown> }
  | { ok: false; status: 400 | 404 | 409 | 503; detail: string };

export const PRIMARY_BOT_ID = 'engine';

/**
 * The primary bot's lifecycle (seed 001 /api/engine/*): commands go through the transition
 * table; the strategy's working phases move the state while it runs.
 */
export class EngineController {
  readonly machine: LifecycleMachine;
  private preset: Record<string, unknown> | null = null;
  private mode: 'paper' | 'live' = 'paper';
  private startedAt: number | null = null;
  /** The monitoring session: one per engine start (seed 001's summary.session_id). */
  private session: string | null = null;
  private sessionSeq = 0;
  private bot: Bot | null = null;
  private lastScanResult: ScannerSnapshot | null = null;
  private readonly cycles = new StatsWindow(500);
  readonly killSwitch: KillSwitch;
  /** The kernel the primary bot runs on: the paper account's, or (mode live) an exchange account's. */
  private active: Kernel;
  private readonly listening = new Set<Kernel>();

  constructor(private readonly deps: EngineDeps) {
    const bus = deps.kernel.bus;
    this.active = deps.kernel;
    this.killSwitch =
      deps.killSwitch ??
      new KillSwitch({
        clock: deps.clock,
        accounts: () => [{ id: deps.kernel.accountId, role: 'primary', kernel: deps.kernel }],
        restartable: (_account, botId) => botId !== PRIMARY_BOT_ID,
      });
    this.machine = new LifecycleMachine(deps.clock, (transition) => bus.publish({ type: 'engine-state', botId: PRIMARY_BOT_ID, transition }));
    this.listen(deps.kernel);
  }

  private listen(kernel: Kernel): void {
    if (this.listening.has(kernel)) return;
    this.listening.add(kernel);
    kernel.bus.on('bot-phase', ({ botId, phase, reason }) => {
      if (kernel !== this.active || botId !== PRIMARY_BOT_ID || !isRunningState(this.machine.state) || this.machine.state === 'INITIALIZING') return;
      this.machine.fire(`PHASE_${phase}`, reason);
    });
    kernel.bus.on('scan-result', ({ snapshot }) => {
      if (kernel === this.active) this.lastScanResult = snapshot;
    });
  }

  get state(): TradingState {
    return this.machine.state;
  }

  get presetName(): string | null {
    return this.preset ? String(this.preset.name) : null;
  }

  status() {
    const stats = this.botTradeStats();
    const open = this.active.portfolio.openPositions().filter((p) => p.botId === PRIMARY_BOT_ID).length;
    const last = this.machine.history(1)[0];
    return {
      state: this.machine.state,
      preset: this.presetName,
      mode: this.mode,
      startedAt: this.startedAt === null ? null : isoTime(this.startedAt),
      slots: this.preset ? this.deps.runtime.slots(this.preset) : 0,
      openPositions: open,
      latencyMs: round((this.cycles.summary().mean ?? 0) * 1000, 3),
      dailyR: stats.dailyR,
      consecutiveLosses: stats.consecutiveLosses,
      previousState: this.machine.previousState,
      lastTransition: last ? transitionView(last) : null,
      killSwitch: this.killSwitch.engaged || this.active.killSwitch.check() !== null,
      // Orders refused by the risk engine since start, over every account (reason codes in the README).
      riskRefusals: this.killSwitch.refusals(),
      timestamp: isoTime(this.deps.clock.now()),
    };
  }

  commands() {
    return {
      commands: this.machine.availableCommands().map((c) => c.toLowerCase()),
      current_state: this.machine.state,
      timestamp: isoTime(this.deps.clock.now()),
    };
  }

  history(limit: number) {
    return this.machine.history(limit).map(transitionView);
  }

  lastScan(): ScannerSnapshot | null {
    return this.lastScanResult;
  }

  /** The current (or last) engine run's session id; null before the first start. */
  get sessionId(): string | null {
    return this.session;
  }

  /** sess_<UTC start, compact>_<n>: unique per start, readable in logs. */
  private newSessionId(): string {
    this.sessionSeq += 1;
    const stamp = isoTime(this.deps.clock.now()).replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    return `sess_${stamp}_${this.sessionSeq}`;
  }

  execute(command: string, body: Record<string, unknown> = {}): Promise<EngineResult> | EngineResult {
    switch (command.toUpperCase() as SystemCommand) {
      case 'START':
        return this.start(String(body.preset ?? ''), (body.mode ?? 'paper') as 'paper' | 'live');
      case 'STOP':
        return this.stop();
      case 'PAUSE':
        return this.pause();
      case 'RESUME':
        return this.resume();
      case 'EMERGENCY_STOP':
        return this.emergencyStop(String(body.reason ?? 'emergency stop requested'));
      case 'RELOAD':
        return this.reload();
      default:
        return { ok: false, status: 400, detail: `Unknown command '${command}': use one of start, stop, pause, resume, emergency_stop, reload` };
    }
  }

  start(presetName: string, mode: 'paper' | 'live'): EngineResult {
    if (mode !== 'paper' && mode !== 'live') return { ok: false, status: 400, detail: `mode must be "paper" or "live", got "${String(mode)}"` };
    if (isRunningState(this.machine.state) || this.machine.state === 'PAUSED') {
      return { ok: false, status: 400, detail: `Engine cannot be started: it is already running (${this.machine.state})` };
    }
    const preset = this.deps.presets.get(presetName);
    if (!preset) return { ok: false, status: 404, detail: `Preset '${presetName}' not found` };
    let kernel = this.deps.kernel;
    if (mode === 'live') {
      const pick = this.deps.live?.pick('LIVE');
      if (!pick?.ok) return { ok: false, status: 400, detail: `Live mode refused: ${pick?.reason ?? 'no live exchange credentials are configured (paper trading only)'}` };
      const symbols = Array.isArray(preset.symbols) ? (preset.symbols as unknown[]).map(String) : [];
      const untraded = symbols.filter((s) => !pick.account.symbols.includes(s));
      if (untraded.length > 0) {
        return { ok: false, status: 400, detail: `Live mode refused: account ${pick.account.id} does not trade ${untraded.join(', ')} (it trades ${pick.account.symbols.join(', ')}); use a preset for its instruments` };
      }
      const unpriced = unpricedReason(pick.account, symbols);
      if (unpriced) return { ok: false, status: 400, detail: `Live mode refused: ${unpriced}` };
      kernel = pick.account.kernel;
    }
    const moved = this.machine.fire('START', `start with preset ${presetName} in ${mode} mode`, { preset: presetName, mode });
    if (!moved.ok) return { ok: false, status: 400, detail: moved.reason };
    try {
      if (this.killSwitch.engaged) this.killSwitch.reset('engine started');
      this.active.removeBot(PRIMARY_BOT_ID);
      this.active = kernel;
      this.listen(kernel);
      this.deps.kernel.killSwitch.release();
      kernel.killSwitch.release();
      kernel.removeBot(PRIMARY_BOT_ID);
      const session = this.newSessionId();
      this.bot = kernel.addBot(PRIMARY_BOT_ID, this.deps.runtime.strategy(preset, { id: session }), {
        risk: this.deps.runtime.risk(preset),
        timer: this.deps.timer,
        onCycle: (ms) => {
          this.cycles.add(ms / 1000);
          this.deps.onCycle?.(ms / 1000);
        },
      });
      this.preset = preset;
      this.mode = mode;
      this.session = session;
      this.startedAt = this.deps.clock.now();
      this.machine.fire('INITIALIZED', 'bot created and subscribed to market data');
      this.bot.start();
    } catch (error) {
      this.machine.fire('FAIL', `initialisation failed: ${(error as Error).message}`);
      return { ok: false, status: 400, detail: `Engine failed to start: ${(error as Error).message}` };
    }
    this.record('running');
    return { ok: true, changed: true, state: this.machine.state, message: `Engine started with preset '${presetName}' in ${mode} mode${kernel === this.deps.kernel ? '' : ` on account ${kernel.portfolio.accountId}`}` };
  }

  /** Starts the engine again with the preset it ran when the server stopped; the preset's name, or null. */
  resumeFromRegistry(): string | null {
    // One engine row (its account: the paper one, or the exchange account a live run used).
    const row = this.deps.bots?.listBots('engine').find((b) => b.id === PRIMARY_BOT_ID);
    if (!row || row.status !== 'running') return null;
    const preset = String(row.params.preset ?? '');
    const mode = row.params.mode === 'live' ? 'live' : 'paper';
    return this.start(preset, mode).ok ? preset : null;
  }

  /** The engine's run in the bot registry (running after a start; stopped after stop or emergency). */
  private record(status: 'running' | 'stopped'): void {
    const store = this.deps.bots;
    if (!store || (status === 'running' && !this.preset)) return;
    const now = this.deps.clock.now();
    const previous = store.listBots('engine').find((b) => b.id === PRIMARY_BOT_ID);
    store.saveBot({
      id: PRIMARY_BOT_ID,
      kind: 'engine',
      accountId: this.active.accountId,
      strategy: 'breakout',
      params: status === 'running' ? { preset: this.presetName, mode: this.mode, session: this.session } : (previous?.params ?? {}),
      status,
      state: null,
      createdAt: status === 'running' ? now : (previous?.createdAt ?? now),
      updatedAt: now,
      stoppedAt: status === 'stopped' ? now : null,
    });
  }

  async stop(): Promise<EngineResult> {
    const moved = this.machine.fire('STOP', 'stop requested');
    if (!moved.ok) return { ok: false, status: 400, detail: moved.reason };
    if (!moved.changed) return { ok: true, changed: false, state: this.machine.state, message: 'Engine already stopped' };
    const timeout = this.deps.stopTimeoutMs ?? 10_000;
    await Promise.race([
      Promise.resolve().then(() => this.active.removeBot(PRIMARY_BOT_ID)),
      new Promise((resolve) => setTimeout(resolve, timeout).unref()),
    ]);
    this.bot = null;
    this.record('stopped');
    return { ok: true, changed: true, state: this.machine.state, message: 'Engine stopped successfully' };
  }

  pause(): EngineResult {
    const moved = this.machine.fire('PAUSE', 'pause requested');
    if (!moved.ok) return { ok: false, status: 400, detail: moved.reason };
    if (moved.changed) this.bot?.stop();
    return { ok: true, changed: moved.changed, state: this.machine.state, message: moved.changed ? 'Engine paused' : 'Engine already paused' };
  }

  resume(): EngineResult {
    const moved = this.machine.fire('RESUME', 'resume requested');
    if (!moved.ok) return { ok: false, status: 400, detail: moved.reason };
    if (moved.changed) {
      this.bot?.start();
      const managing = this.active.portfolio.openPositions().some((p) => p.botId === PRIMARY_BOT_ID);
      if (managing) this.machine.fire('PHASE_MANAGING', 'resumed with open positions');
    }
    return { ok: true, changed: moved.changed, state: this.machine.state, message: moved.changed ? 'Engine resumed' : 'Engine already running' };
  }

  /**
   * The kill switch over every account: halts every bot and the desk, cancels every working
   * order and flattens every position on each account; the answer reports each account.
   */
  emergencyStop(reason: string): EngineResult {
    const moved = this.machine.fire('EMERGENCY_STOP', reason);
    if (!moved.ok) return { ok: false, status: 400, detail: moved.reason };
    const stop = this.killSwitch.emergencyStop(reason);
    this.record('stopped');
    const cancelled = stop.accounts.reduce((n, a) => n + a.cancelled_orders.length, 0);
    const closing = stop.accounts.reduce((n, a) => n + a.closing_orders.length, 0);
    return {
      ok: true,
      changed: moved.changed,
      state: this.machine.state,
      message: `Emergency stop: trading halted on ${stop.accounts.length} account(s), ${cancelled} orders cancelled, ${closing} positions being closed`,
      details: { cancelledOrders: cancelled, closingPositions: closing, engaged_at: stop.engaged_at, accounts: stop.accounts },
    };
  }

  reload(): EngineResult {
    const moved = this.machine.fire('RELOAD', 'reload requested');
    if (!moved.ok) return { ok: false, status: 400, detail: `${moved.reason} (stop the engine first)` };
    const errors = this.deps.presets.reload();
    const restarted = this.killSwitch.reset('reload').restarted_bots;
    this.deps.kernel.killSwitch.release();
    this.active.killSwitch.release();
    this.preset = null;
    this.startedAt = null;
    return {
      ok: true,
      changed: moved.changed,
      state: this.machine.state,
      message: `Presets reloaded (${this.deps.presets.list().length} valid, ${errors.length} invalid)`,
      details: { invalid: errors, restartedBots: restarted },
    };
  }

  /** Seed 001's manual scan: the engine must run, with the same preset. */
  scan(presetName: string, options: { limit?: number; symbols?: string[] }): { ok: true; snapshot: ScannerSnapshot } | { ok: false; status: 400 | 404 | 503; detail: string } {
    const preset = this.deps.presets.get(presetName);
    if (!preset) return { ok: false, status: 404, detail: `Preset '${presetName}' not found` };
    if (!(WORKING_STATES as readonly string[]).includes(this.machine.state)) {
      return { ok: false, status: 503, detail: `Engine is not running (${this.machine.state}): start it with POST /api/engine/start` };
    }
    if (presetName !== this.presetName) {
      return { ok: false, status: 400, detail: `Preset mismatch: the engine runs '${String(this.presetName)}', not '${presetName}'` };
    }
    const snapshot = this.deps.runtime.scan(preset, { ...options, sessionId: this.session });
    snapshot.summary = { ...snapshot.summary, session_id: this.session, preset: presetName, state: this.machine.state.toLowerCase(), scanning_active: true, manual: true };
    this.lastScanResult = snapshot;
    this.deps.kernel.bus.publish({ type: 'scan-result', botId: PRIMARY_BOT_ID, snapshot });
    return { ok: true, snapshot };
  }

  /**
   * dailyR is the figure the daily loss stop acts on (risk engine, `bot_daily_loss_limit`): the
   * account's day P/L over R = day start equity x the preset's risk per trade.
   */
  private botTradeStats(): { dailyR: number; consecutiveLosses: number } {
    const trades = this.deps.store.recentTrades(1000, this.active.accountId).filter((t) => t.botId === PRIMARY_BOT_ID);
    const riskPerTrade = this.preset ? this.deps.runtime.risk(this.preset).riskPerTrade : null;
    const r = riskPerTrade ? dailyR(this.active.portfolio.view(), riskPerTrade) : 0;
    let consecutiveLosses = 0;
    for (let i = trades.length - 1; i >= 0 && (trades[i]?.netPnl ?? 0) < 0; i -= 1) consecutiveLosses += 1;
    return { dailyR: round(r, 4), consecutiveLosses };
  }
}

const round = (v: number, digits: number): number => (Number.isFinite(v) ? Number(v.toFixed(digits)) : 0);

const transitionView = (t: StateTransition) => ({
  from_state: t.from,
  to_state: t.to,
  command: t.event,
  reason: t.reason,
  timestamp: t.timestamp,
  metadata: t.metadata,
});
