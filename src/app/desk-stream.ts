import type { Clock } from '../core/clock.js';
import { isoTime } from '../core/clock.js';
import type { Cancel, Scheduler } from '../core/ports.js';
import type { LiveStream } from './live-stream.js';

/**
 * Figures of the desk view that move with prices or the clock alone (marks, heartbeat ages,
 * countdowns). A change of these only is sent at most every `tickMs`; the dashboard counts the
 * ages and countdowns on from the last event itself.
 */
const TICKING = new Set(['mark_price', 'open_points', 'unrealized_pnl', 'last_ts', 'age_s', 'remaining_s', 'resets_in_s']);
const withoutTicking = (key: string, value: unknown): unknown => (TICKING.has(key) ? undefined : value);

/** A change is sent within a quarter second; ticking figures alone every five seconds. */
export const DESK_CHECK_MS = 250;
export const DESK_TICK_MS = 5000;

/** The view is rebuilt at least this often even when the revision stands still (locks expire, heartbeats go stale). */
const REBUILD_MS = 1000;

export interface DeskStreamDeps {
  /** GET /api/desk/state's view (RenkoDesk.stateView). */
  view(): Record<string, unknown>;
  /** Changes whenever the view changes for a reason other than time (RenkoDesk.stateRevision). */
  revision(): number;
  stream: LiveStream;
  clock: Clock;
  scheduler: Scheduler;
  /** How often the desk is looked at: a change is sent within this, and changes in between are coalesced into one event. */
  checkMs: number;
  /** A change of ticking figures only (marks, ages, countdowns) is sent at most this often. */
  tickMs: number;
}

/**
 * Streams the Renko desk's state as DESK_UPDATE (the view of GET /api/desk/state) when it
 * changes: positions, locks, zone and tempo, intents, pre-orders, flags, the daily stop. Opt-in on
 * /ws (see OPT_IN_TYPES in src/api/ws-hub.ts), so only clients that ask for it pay for it.
 */
export class DeskStream {
  private lastRevision = Number.NaN;
  private builtAt = Number.NEGATIVE_INFINITY;
  private sentAt = Number.NEGATIVE_INFINITY;
  private lastFull = '';
  private lastShape = '';
  private cancel: Cancel | null = null;

  constructor(private readonly deps: DeskStreamDeps) {}

  start(): void {
    this.cancel ??= this.deps.scheduler.every(this.deps.checkMs, () => this.check());
  }

  stop(): void {
    this.cancel?.();
    this.cancel = null;
  }

  /** Sends the view if it changed since the last event (ticking figures only: every `tickMs` at most). */
  check(): void {
    const now = this.deps.clock.now();
    const revision = this.deps.revision();
    if (revision === this.lastRevision && now - this.builtAt < REBUILD_MS) return;
    this.lastRevision = revision;
    this.builtAt = now;
    const view = this.deps.view();
    const full = JSON.stringify(view);
    if (full === this.lastFull) return;
    const shape = JSON.stringify(view, withoutTicking);
    if (shape === this.lastShape && now - this.sentAt < this.deps.tickMs) return;
    this.lastFull = full;
    this.lastShape = shape;
    this.sentAt = now;
    this.deps.stream.emit({ type: 'DESK_UPDATE', timestamp: isoTime(now), ...view, data: view });
  }
}
