/**
 * A bot as the registry keeps it across restarts: what it runs (strategy and parameters), on
 * which account, whether it should run, and the strategy's own state (a trailing stop's best
 * price, a working entry) so a restart picks up where it stopped.
 */
export interface BotRecord {
  id: string;
  /** Which registry owns it: `max` (the Max bots), `engine` (the seed 001 engine's run). */
  kind: string;
  accountId: string;
  strategy: string;
  params: Record<string, unknown>;
  status: 'running' | 'stopped';
  /** The strategy's snapshot (MaxStrategy.snapshot()), null when it keeps none. */
  state: unknown;
  createdAt: number;
  updatedAt: number;
  stoppedAt: number | null;
}

/** The bot registry's port; ids are never reused, so a stopped bot's row stays. */
export interface BotStore {
  saveBot(record: BotRecord): void;
  /** Updates only the strategy state of a bot (frequent: a trailing stop moving). */
  saveBotState(id: string, state: unknown, updatedAt: number): void;
  listBots(kind: string): BotRecord[];
}
