import type { Clock } from '../core/clock.js';
import { commandsFrom, nextState } from '../core/fsm.js';
import { LIFECYCLE, SYSTEM_COMMANDS, type LifecycleEvent, type StateTransition, type SystemCommand, type TradingState } from '../core/lifecycle.js';

export type FireResult =
  | { ok: true; from: TradingState; to: TradingState; changed: boolean; transition: StateTransition | null }
  | { ok: false; from: TradingState; reason: string };

/** A bot's lifecycle: the current state, the transition table and the history of moves. */
export class LifecycleMachine {
  private current: TradingState = 'IDLE';
  private previous: TradingState | null = null;
  private readonly log: StateTransition[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly onTransition: (t: StateTransition) => void = () => {},
    private readonly maxHistory = 500,
  ) {}

  get state(): TradingState {
    return this.current;
  }

  get previousState(): TradingState | null {
    return this.previous;
  }

  can(event: LifecycleEvent): boolean {
    return nextState(LIFECYCLE, this.current, event).ok;
  }

  /** Commands an operator can send now that change something (self-loops are left out). */
  availableCommands(): SystemCommand[] {
    return commandsFrom(LIFECYCLE, this.current).filter(
      (c): c is SystemCommand => (SYSTEM_COMMANDS as readonly string[]).includes(c) && LIFECYCLE[this.current][c] !== this.current,
    );
  }

  fire(event: LifecycleEvent, reason: string, metadata: Record<string, unknown> = {}): FireResult {
    const r = nextState(LIFECYCLE, this.current, event);
    if (!r.ok) return { ok: false, from: this.current, reason: `Invalid transition: cannot ${event} when ${this.current}` };
    if (r.to === this.current) return { ok: true, from: r.from, to: r.to, changed: false, transition: null };
    const transition: StateTransition = { from: this.current, to: r.to, event, reason, timestamp: this.clock.now(), metadata };
    this.previous = this.current;
    this.current = r.to;
    this.log.push(transition);
    if (this.log.length > this.maxHistory) this.log.splice(0, this.log.length - this.maxHistory);
    this.onTransition(transition);
    return { ok: true, from: r.from, to: r.to, changed: true, transition };
  }

  history(limit = 100): StateTransition[] {
    return this.log.slice(-limit);
  }
}
