/**
 * A message for the operator outside the dashboard (a chat). `key` marks a state report: a newer
 * notification with the same key replaces one still waiting to be sent (a connection that went
 * down and came back is one message, not two).
 */
export interface Notification {
  text: string;
  key?: string;
}

/**
 * Sends operator notifications. `notify` only enqueues and returns at once: it is called from
 * bus handlers on the trading path and must never wait on the network.
 */
export interface Notifier {
  notify(notification: Notification): void;
}

/** What an operator may ask or do from a chat: answers are plain text for the chat. */
export interface OperatorConsole {
  status(): string;
  positions(): string;
  pause(): string;
  /** Halts every bot, cancels working orders and flattens positions (the engine's emergency stop). */
  emergencyStop(reason: string): string;
}
