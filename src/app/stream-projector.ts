import type { Clock } from '../core/clock.js';
import type { Cancel, Scheduler, StoredEvent, TradingStore } from '../core/ports.js';
import type { Kernel } from '../engine/kernel.js';
import type { LiveStream } from './live-stream.js';
import { seedAccount, seedPosition, seedScan, seedTrade } from './seed-shapes.js';
import type { StreamEvent, StreamState } from './stream-state.js';

export interface ProjectorDeps {
  kernel: Kernel;
  state: StreamState;
  stream: LiveStream;
  store: TradingStore;
  clock: Clock;
  scheduler: Scheduler;
  mode: 'paper' | 'live';
  /** Mark-to-market refreshes are sent at most this often. */
  refreshMs: number;
}

/**
 * Turns kernel events into seed 000 events: fills, opened/closed positions and scans are sent
 * at once and logged; mark-to-market changes are coalesced into one refresh per interval.
 */
export class StreamProjector {
  private accountDirty = false;
  private positionsDirty = false;
  private pendingLog: StoredEvent[] = [];
  private cancels: Cancel[] = [];

  constructor(private readonly deps: ProjectorDeps) {}

  start(): void {
    const { kernel, scheduler, refreshMs } = this.deps;
    const bus = kernel.bus;
    this.cancels.push(
      bus.on('account', ({ material }) => {
        if (material) this.sendAccount(true);
        else this.accountDirty = true;
      }),
      bus.on('position', ({ change }) => {
        if (change === 'marked') this.positionsDirty = true;
        else this.sendPositions(true);
      }),
      bus.on('fill', ({ fill, order }) => this.send({ type: 'TRADE_EXECUTION', ...seedTrade(fill, order) }, true)),
      bus.on('scan', ({ scan }) => this.send({ type: 'SCAN_SUMMARY', ...seedScan(scan) }, true)),
      scheduler.every(refreshMs, () => this.refresh()),
    );
  }

  stop(): void {
    for (const c of this.cancels) c();
    this.cancels = [];
    this.flushLog();
  }

  /** Sends coalesced mark-to-market updates and writes the event log to the store. */
  refresh(): void {
    if (this.positionsDirty) this.sendPositions(false);
    if (this.accountDirty) this.sendAccount(false);
    this.flushLog();
  }

  private sendAccount(logged: boolean): void {
    this.accountDirty = false;
    this.send({ type: 'ACCOUNT_UPDATE', account: seedAccount(this.deps.kernel.portfolio.view(), this.deps.mode) }, logged);
  }

  private sendPositions(logged: boolean): void {
    this.positionsDirty = false;
    this.send({ type: 'POSITION_UPDATE', positions: this.deps.kernel.portfolio.openPositions().map(seedPosition) }, logged);
  }

  private send(event: StreamEvent, logged: boolean): void {
    const now = this.deps.clock.now();
    const envelope = this.deps.state.apply(event, now, logged);
    if (logged) {
      const { data: _data, ...entry } = envelope;
      this.pendingLog.push({ type: event.type, ts: now, payload: entry });
    }
    this.deps.stream.emit(envelope);
  }

  private flushLog(): void {
    if (this.pendingLog.length === 0) return;
    const batch = this.pendingLog;
    this.pendingLog = [];
    this.deps.store.appendEvents(batch);
  }
}
