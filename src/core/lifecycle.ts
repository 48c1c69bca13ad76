import type { TransitionTable } from './fsm.js';
import type { BotPhase } from './scanner.js';

/** Seed 001's trading states. */
export const TRADING_STATES = [
  'IDLE',
  'INITIALIZING',
  'SCANNING',
  'LEVEL_BUILDING',
  'SIGNAL_WAIT',
  'SIZING',
  'EXECUTION',
  'MANAGING',
  'PAUSED',
  'ERROR',
  'EMERGENCY',
  'STOPPED',
] as const;
export type TradingState = (typeof TRADING_STATES)[number];

/** Operator commands (seed 001's SystemCommand). */
export const SYSTEM_COMMANDS = ['START', 'STOP', 'PAUSE', 'RESUME', 'EMERGENCY_STOP', 'RELOAD'] as const;
export type SystemCommand = (typeof SYSTEM_COMMANDS)[number];

/** Internal events: initialisation finished, a failure, or the bot reporting its working phase. */
export type LifecycleEvent = SystemCommand | 'INITIALIZED' | 'FAIL' | `PHASE_${BotPhase}`;

export const WORKING_STATES: readonly BotPhase[] = ['SCANNING', 'LEVEL_BUILDING', 'SIGNAL_WAIT', 'SIZING', 'EXECUTION', 'MANAGING'];

const phaseMoves = Object.fromEntries(WORKING_STATES.map((p) => [`PHASE_${p}`, p])) as Record<`PHASE_${BotPhase}`, TradingState>;

const working = (self: BotPhase): Partial<Record<LifecycleEvent, TradingState>> => ({
  ...phaseMoves,
  RESUME: self, // already running: success without side effects
  PAUSE: 'PAUSED',
  STOP: 'STOPPED',
  EMERGENCY_STOP: 'EMERGENCY',
  FAIL: 'ERROR',
});

/**
 * The lifecycle as data: (state, event) -> next state. A target equal to the current state is
 * an idempotent success with no side effects; a missing entry is an invalid transition (400).
 */
export const LIFECYCLE: TransitionTable<TradingState, LifecycleEvent> = {
  IDLE: { START: 'INITIALIZING', STOP: 'IDLE', RELOAD: 'IDLE', EMERGENCY_STOP: 'EMERGENCY' },
  INITIALIZING: { INITIALIZED: 'SCANNING', FAIL: 'ERROR', PAUSE: 'PAUSED', STOP: 'STOPPED', EMERGENCY_STOP: 'EMERGENCY' },
  SCANNING: working('SCANNING'),
  LEVEL_BUILDING: working('LEVEL_BUILDING'),
  SIGNAL_WAIT: working('SIGNAL_WAIT'),
  SIZING: working('SIZING'),
  EXECUTION: working('EXECUTION'),
  MANAGING: working('MANAGING'),
  PAUSED: { RESUME: 'SCANNING', PAUSE: 'PAUSED', STOP: 'STOPPED', EMERGENCY_STOP: 'EMERGENCY', FAIL: 'ERROR' },
  ERROR: { START: 'INITIALIZING', STOP: 'STOPPED', RELOAD: 'IDLE', EMERGENCY_STOP: 'EMERGENCY' },
  EMERGENCY: { EMERGENCY_STOP: 'EMERGENCY', STOP: 'STOPPED', RELOAD: 'IDLE' },
  STOPPED: { START: 'INITIALIZING', STOP: 'STOPPED', RELOAD: 'IDLE', EMERGENCY_STOP: 'EMERGENCY' },
};

export const isRunningState = (s: TradingState): boolean => s === 'INITIALIZING' || (WORKING_STATES as readonly string[]).includes(s);

export interface StateTransition {
  from: TradingState;
  to: TradingState;
  event: LifecycleEvent;
  reason: string;
  timestamp: number;
  metadata: Record<string, unknown>;
}
