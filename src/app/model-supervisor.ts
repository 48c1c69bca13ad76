/**
 * Runs the ensemble's model servers as child processes and keeps them running: each is launched
 * (through an injected launcher: the CLI spawns `tradewind model-server`), polled on GET /health
 * through its ModelServerPort, reported offline the moment its process exits, and restarted
 * after a backoff that doubles with each quick death (restartMinMs, 2x, 4x ... up to
 * restartMaxMs; a server that stayed up for resetAfterMs starts again from restartMinMs).
 */
import type { Clock } from '../core/clock.js';
import type { Cancel, Scheduler } from '../core/ports.js';
import type { ModelServerPort, ModelStatusView } from '../core/model-server.js';

export interface ModelProcessSpec {
  name: string;
  port: number;
  /** The model file it serves. */
  model: string;
}

/** A launched child process, as far as the supervisor needs one. */
export interface ChildHandle {
  readonly pid: number | undefined;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

export interface SupervisorOptions {
  specs: readonly ModelProcessSpec[];
  launch: (spec: ModelProcessSpec) => ChildHandle;
  client: (spec: ModelProcessSpec) => ModelServerPort;
  clock: Clock;
  scheduler: Scheduler;
  healthEveryMs: number;
  restartMinMs: number;
  restartMaxMs: number;
  resetAfterMs: number;
  /** How long stop() waits for a child after SIGTERM before SIGKILL. */
  stopGraceMs?: number;
  log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

type ProcessState = 'starting' | 'running' | 'restarting' | 'stopped';

interface Member {
  spec: ModelProcessSpec;
  client: ModelServerPort;
  child: ChildHandle | null;
  state: ProcessState;
  restarts: number;
  /** Deaths in a row that came sooner than resetAfterMs after their start. */
  quickDeaths: number;
  startedAt: number;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  exited: Promise<void> | null;
  pendingRestart: Cancel | null;
}

export interface SupervisedModel extends ModelStatusView {
  port: number;
  pid: number | null;
  process: ProcessState;
  restarts: number;
  last_exit: Member['lastExit'];
  last_error: string | null;
}

export class ModelSupervisor {
  private readonly members: Member[];
  private stopping = false;
  private poller: Cancel | null = null;

  constructor(private readonly o: SupervisorOptions) {
    this.members = o.specs.map((spec) => ({ spec, client: o.client(spec), child: null, state: 'stopped', restarts: 0, quickDeaths: 0, startedAt: 0, lastExit: null, exited: null, pendingRestart: null }));
  }

  start(): void {
    this.stopping = false;
    for (const m of this.members) this.launch(m);
    this.poller = this.o.scheduler.every(this.o.healthEveryMs, () => void this.poll());
  }

  /** The clients, for callers that ask the servers (the coordinator). */
  clients(): ModelServerPort[] {
    return this.members.map((m) => m.client);
  }

  models(): SupervisedModel[] {
    return this.members.map((m) => ({
      ...m.client.seedView(),
      port: m.spec.port,
      pid: m.child?.pid ?? null,
      process: m.state,
      restarts: m.restarts,
      last_exit: m.lastExit,
      last_error: m.client.status().last_error,
    }));
  }

  /** Asks every running server for its health now (also done every healthEveryMs). */
  async poll(): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        if (m.state !== 'starting' && m.state !== 'running') return;
        try {
          await m.client.health();
          if (m.state === 'starting') {
            m.state = 'running';
            this.o.log('info', `model server ${m.spec.name} is online`, { model: m.spec.name, port: m.spec.port, pid: m.child?.pid });
          }
        } catch {
          // The client has counted the failure (offline after its threshold).
        }
      }),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.poller?.();
    this.poller = null;
    const grace = this.o.stopGraceMs ?? 5_000;
    await Promise.all(
      this.members.map(async (m) => {
        m.pendingRestart?.();
        m.pendingRestart = null;
        const child = m.child;
        if (!child || !m.exited) return;
        child.kill('SIGTERM');
        const killTimer = this.o.scheduler.after(grace, () => child.kill('SIGKILL'));
        await m.exited;
        killTimer();
      }),
    );
    for (const m of this.members) {
      m.state = 'stopped';
      m.client.close();
    }
  }

  private launch(m: Member): void {
    m.pendingRestart = null;
    m.state = 'starting';
    m.startedAt = this.o.clock.now();
    const child = this.o.launch(m.spec);
    m.child = child;
    m.exited = new Promise((resolve) => child.onExit((code, signal) => {
      this.exited(m, child, code, signal);
      resolve();
    }));
  }

  private exited(m: Member, child: ChildHandle, code: number | null, signal: string | null): void {
    if (m.child !== child) return;
    m.child = null;
    m.exited = null;
    m.lastExit = { code, signal, at: new Date(this.o.clock.now()).toISOString() };
    m.client.markOffline(`process exited (${signal ? `signal ${signal}` : `code ${code}`})`);
    if (this.stopping) {
      m.state = 'stopped';
      return;
    }
    const lived = this.o.clock.now() - m.startedAt;
    m.quickDeaths = lived >= this.o.resetAfterMs ? 0 : m.quickDeaths + 1;
    const delay = Math.min(this.o.restartMaxMs, this.o.restartMinMs * 2 ** Math.max(0, m.quickDeaths - 1));
    m.state = 'restarting';
    this.o.log('warn', `model server ${m.spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`, { model: m.spec.name, code, signal, delayMs: delay });
    m.pendingRestart = this.o.scheduler.after(delay, () => {
      if (this.stopping) return;
      m.restarts++;
      this.launch(m);
    });
  }
}
