import type { Clock } from '../core/clock.js';
import type { OperatorConsole } from '../core/notifier.js';

export const OPERATOR_HELP = [
  '/status — engine state, account and kill switch',
  '/positions — open positions',
  '/pause — pause the engine (open positions stay managed)',
  '/emergency_stop — halt all trading, cancel orders, close positions (asks /confirm)',
  '/confirm — confirm a pending emergency stop',
  '/cancel — drop a pending emergency stop',
].join('\n');

/**
 * Chat commands from an allowed operator. The emergency stop is two-step: `/emergency_stop`
 * arms a confirmation for that chat, `/confirm` within `confirmTimeoutMs` executes it; anything
 * else (or the timeout) drops it. Answers are the text to reply with.
 */
export class OperatorCommands {
  /** Chat id -> when its pending emergency stop expires. */
  private readonly pending = new Map<string, number>();

  constructor(
    private readonly console: OperatorConsole,
    private readonly clock: Clock,
    private readonly confirmTimeoutMs: number,
  ) {}

  handle(chatId: string, text: string, from: string): string {
    // "/status@MyBot args" -> "/status"
    const command = (text.trim().split(/\s+/)[0] ?? '').replace(/@.*$/, '').toLowerCase();
    const expires = this.pending.get(chatId);
    if (command !== '/confirm') this.pending.delete(chatId);
    switch (command) {
      case '/status':
        return this.console.status();
      case '/positions':
        return this.console.positions();
      case '/pause':
        return this.console.pause();
      case '/emergency_stop':
        this.pending.set(chatId, this.clock.now() + this.confirmTimeoutMs);
        return `Emergency stop requested: this halts every bot, cancels working orders and closes all positions. Send /confirm within ${Math.round(this.confirmTimeoutMs / 1000)} s to execute, /cancel to drop it.`;
      case '/confirm': {
        this.pending.delete(chatId);
        if (expires === undefined) return 'Nothing to confirm: send /emergency_stop first.';
        if (this.clock.now() > expires) return 'The emergency stop request expired: send /emergency_stop again.';
        return this.console.emergencyStop(`emergency stop from Telegram (${from})`);
      }
      case '/cancel':
        return expires === undefined ? 'Nothing pending.' : 'Emergency stop dropped.';
      case '/start':
      case '/help':
        return OPERATOR_HELP;
      default:
        return `Unknown command ${command || '(empty)'}.\n${OPERATOR_HELP}`;
    }
  }
}
