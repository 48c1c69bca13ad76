import type { Logger } from 'pino';
import { TelegramNotifier } from '../adapters/notifier-telegram.js';
import { TelegramApi } from '../adapters/telegram-api.js';
import type { EngineController } from '../app/engine-controller.js';
import { forwardNotifications } from '../app/notifications.js';
import { OperatorCommands } from '../app/operator-commands.js';
import { KernelOperatorConsole } from '../app/operator-console.js';
import type { Clock } from '../core/clock.js';
import type { Scheduler } from '../core/ports.js';
import type { Kernel } from '../engine/kernel.js';
import { ConfigError } from './config.js';
import type { TradewindConfig } from './config-schema.js';
import { isLoopback } from './server.js';

export interface TelegramService {
  start(): void;
  stop(): Promise<void>;
  /** An ensemble coordinator alert: sent when its level is in `telegram.alert_levels` (seed 004). */
  alert(level: string, text: string): void;
}

/** The Telegram bot of `config.telegram`, or null when it is off. Throws ConfigError when it cannot run. */
export function createTelegram(deps: {
  config: TradewindConfig;
  env: Record<string, string | undefined>;
  engine: EngineController;
  /** Every account's kernel, the primary first: their events are notified, their positions listed. */
  kernels: Kernel[];
  clock: Clock;
  scheduler: Scheduler;
  log: Logger;
}): TelegramService | null {
  const t = deps.config.telegram;
  if (!t.enabled) return null;
  // Seed 004 names the variables bot_token_env / chat_id_env; ours is tokenEnv (and TELEGRAM_CHAT_ID).
  const tokenEnv = t.bot_token_env || t.tokenEnv;
  if (t.bot_token !== '') throw new ConfigError(`telegram.bot_token: do not put the bot token in the configuration; set the environment variable ${tokenEnv} instead`);
  const token = deps.env[tokenEnv] ?? '';
  if (token === '') throw new ConfigError(`telegram.enabled: the bot token is missing: set the environment variable ${tokenEnv}`);
  const fromEnv = t.chat_id_env ? (deps.env[t.chat_id_env] ?? '').split(',').map((x) => x.trim()).filter(Boolean) : [];
  const chatIds = [...new Set([...t.chatIds, ...(t.chat_id === '' ? [] : [t.chat_id]), ...fromEnv].map(String))];
  if (chatIds.length === 0) throw new ConfigError('telegram.chatIds: name at least one chat to notify (TELEGRAM_CHAT_ID or telegram.chat_id)');
  const base = new URL(t.apiBaseUrl);
  if (base.protocol === 'http:' && !isLoopback(base.hostname.replace(/^\[|\]$/g, ''))) throw new ConfigError('telegram.apiBaseUrl: plain http is only allowed on a loopback host (the URL carries the bot token)');
  const kernels = [...new Set(deps.kernels)];
  const commands = new OperatorCommands(new KernelOperatorConsole(deps.engine, kernels), deps.clock, t.confirmTimeoutSeconds * 1000);
  const notifier = new TelegramNotifier({
    api: new TelegramApi(t.apiBaseUrl, token),
    chatIds,
    clock: deps.clock,
    scheduler: deps.scheduler,
    log: deps.log.child({ component: 'telegram' }),
    ...(t.commands ? { onCommand: (chat: string, text: string, from: string) => commands.handle(chat, text, from) } : {}),
    perChatIntervalMs: t.perChatIntervalMs,
    globalPerSecond: t.globalPerSecond,
    pollTimeoutSec: t.pollTimeoutSeconds,
  });
  let unsubscribe: (() => void) | null = null;
  return {
    start() {
      unsubscribe = forwardNotifications(kernels.map((k) => k.bus), notifier, t.notify);
      notifier.start();
    },
    async stop() {
      unsubscribe?.();
      await notifier.stop();
    },
    alert(level, text) {
      if ((t.alert_levels as readonly string[]).includes(level)) notifier.notify({ text: `[${level}] ${text}` });
    },
  };
}
