import type { Clock } from '../core/clock.js';
import type { Notification, Notifier } from '../core/notifier.js';
import type { Cancel, Scheduler } from '../core/ports.js';
import { TelegramError, type TelegramApi } from './telegram-api.js';

export interface TelegramNotifierOptions {
  api: TelegramApi;
  /** Chats that receive notifications and whose commands are obeyed; every other chat is ignored. */
  chatIds: readonly string[];
  clock: Clock;
  scheduler: Scheduler;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Answers a command from an allowed chat (text starting with '/'). */
  onCommand?: (chatId: string, text: string, from: string) => string;
  /** Least time between two messages to one chat (Telegram: about one a second). */
  perChatIntervalMs: number;
  /** Most messages a second over all chats (Telegram: 30). */
  globalPerSecond: number;
  /** getUpdates long-poll timeout (s); 0 disables commands. */
  pollTimeoutSec: number;
  /** Messages waiting per chat before the oldest are dropped. */
  maxQueue?: number;
}

interface Queued extends Notification {
  attempts: number;
}

interface ChatQueue {
  id: string;
  items: Queued[];
  nextAt: number;
  inFlight: boolean;
  dropped: number;
}

interface Update {
  update_id: number;
  message?: { date: number; text?: string; chat: { id: number | string }; from?: { id: number; username?: string } };
}

/** Telegram's limit is 4096 characters a message; batches stay under it. */
const MAX_TEXT = 4000;
const SEND_TIMEOUT_MS = 15_000;
const MAX_ATTEMPTS = 5;

/**
 * Operator notifications and commands over the Telegram Bot API.
 *
 * Sending: `notify` appends to each allowed chat's queue and returns; a pump sends at most one
 * message per chat per `perChatIntervalMs` (measured from Telegram's answer, so two messages never
 * reach Telegram closer than that) and `globalPerSecond` over all chats. Whatever queued up while a
 * chat waited goes out as one message (coalesced, up to 4000 characters); a queued notification
 * with the same `key` is replaced by the newer one. 429 answers are honoured (`retry_after`);
 * network and server errors are retried with backoff, other errors drop the message (logged).
 *
 * Commands: getUpdates long polling; messages from chats not in `chatIds` and messages sent before
 * the notifier started (a stale /confirm) are ignored.
 */
export class TelegramNotifier implements Notifier {
  private readonly chats = new Map<string, ChatQueue>();
  private readonly sentAt: number[] = [];
  private pumpTimer: Cancel | null = null;
  private pumpAt = Number.POSITIVE_INFINITY;
  private running = false;
  private readonly stop$ = new AbortController();
  private polling: Promise<void> | null = null;
  private startedAt = 0;
  private readonly sleeps = new Set<() => void>();

  constructor(private readonly o: TelegramNotifierOptions) {
    for (const id of o.chatIds) this.chats.set(id, { id, items: [], nextAt: 0, inFlight: false, dropped: 0 });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.o.clock.now();
    if (this.o.onCommand && this.o.pollTimeoutSec > 0) this.polling = this.pollLoop();
    this.pump();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stop$.abort();
    this.pumpTimer?.();
    for (const wake of this.sleeps) wake();
    await this.polling;
    const unsent = [...this.chats.values()].reduce((n, c) => n + c.items.length, 0);
    if (unsent > 0) this.o.log.warn({ unsent }, 'telegram: notifications not sent before shutdown');
  }

  notify(notification: Notification): void {
    for (const chat of this.chats.values()) this.enqueue(chat, notification);
    // Sending starts on a later turn of the event loop: the caller (a bus handler) only enqueued.
    this.wakeAt(this.o.clock.now());
  }

  /** Messages waiting to be sent, per chat (for tests and status). */
  queued(chatId: string): number {
    return this.chats.get(chatId)?.items.length ?? 0;
  }

  private enqueue(chat: ChatQueue, n: Notification): void {
    const item: Queued = { text: n.text, attempts: 0, ...(n.key ? { key: n.key } : {}) };
    const same = n.key ? chat.items.findIndex((q) => q.key === n.key && q.attempts === 0) : -1;
    if (same >= 0) chat.items[same] = item;
    else chat.items.push(item);
    const max = this.o.maxQueue ?? 1000;
    while (chat.items.length > max) {
      chat.items.shift();
      chat.dropped += 1;
    }
  }

  /** Sends what the limits allow now, and wakes up when the next message may go. */
  private pump(): void {
    if (!this.running) return;
    const now = this.o.clock.now();
    while (this.sentAt.length > 0 && (this.sentAt[0] as number) <= now - 1000) this.sentAt.shift();
    let wake = Number.POSITIVE_INFINITY;
    for (const chat of this.chats.values()) {
      if (chat.inFlight || chat.items.length === 0) continue;
      if (chat.nextAt > now) {
        wake = Math.min(wake, chat.nextAt);
        continue;
      }
      if (this.sentAt.length >= this.o.globalPerSecond) {
        wake = Math.min(wake, (this.sentAt[0] as number) + 1000);
        break;
      }
      this.sentAt.push(now);
      void this.send(chat);
    }
    if (wake !== Number.POSITIVE_INFINITY) this.wakeAt(wake);
  }

  /** Runs the pump at `at` (or sooner if it is already due sooner). */
  private wakeAt(at: number): void {
    if (!this.running || at >= this.pumpAt) return;
    this.pumpTimer?.();
    this.pumpAt = at;
    this.pumpTimer = this.o.scheduler.after(Math.max(0, at - this.o.clock.now()), () => {
      this.pumpAt = Number.POSITIVE_INFINITY;
      this.pumpTimer = null;
      this.pump();
    });
  }

  private async send(chat: ChatQueue): Promise<void> {
    chat.inFlight = true;
    const batch: Queued[] = [];
    let length = chat.dropped > 0 ? 60 : 0;
    while (chat.items.length > 0) {
      const next = chat.items[0] as Queued;
      if (batch.length > 0 && length + next.text.length + 2 > MAX_TEXT) break;
      batch.push(chat.items.shift() as Queued);
      length += next.text.length + 2;
    }
    const note = chat.dropped > 0 ? `(${chat.dropped} older notifications dropped: queue full)\n\n` : '';
    const text = (note + batch.map((q) => q.text).join('\n\n')).slice(0, 4096);
    try {
      await this.o.api.call('sendMessage', { chat_id: chat.id, text, disable_web_page_preview: true }, { timeoutMs: SEND_TIMEOUT_MS, signal: this.stop$.signal });
      chat.dropped = 0;
      chat.nextAt = this.o.clock.now() + this.o.perChatIntervalMs;
    } catch (error) {
      const e = error instanceof TelegramError ? error : new TelegramError('sendMessage', null, (error as Error).name);
      const attempts = Math.max(...batch.map((q) => q.attempts)) + 1;
      if (e.transient && attempts < MAX_ATTEMPTS && this.running) {
        chat.items.unshift(...batch.map((q) => ({ ...q, attempts })));
        const wait = e.retryAfterSec !== null ? e.retryAfterSec * 1000 : Math.min(30_000, 1000 * 2 ** attempts);
        chat.nextAt = this.o.clock.now() + Math.max(wait, this.o.perChatIntervalMs);
        this.o.log.warn({ chatId: chat.id, err: e.message, retryInMs: wait }, 'telegram: message not sent, will retry');
      } else {
        chat.nextAt = this.o.clock.now() + this.o.perChatIntervalMs;
        this.o.log.warn({ chatId: chat.id, err: e.message, messages: batch.length }, 'telegram: message dropped');
      }
    } finally {
      chat.inFlight = false;
    }
    this.pump();
  }

  private async pollLoop(): Promise<void> {
    let offset = 0;
    let failures = 0;
    while (this.running) {
      try {
        const timeoutMs = (this.o.pollTimeoutSec + 10) * 1000;
        const updates = await this.o.api.call<Update[]>('getUpdates', { offset, timeout: this.o.pollTimeoutSec, allowed_updates: ['message'] }, { timeoutMs, signal: this.stop$.signal });
        failures = 0;
        for (const u of updates) {
          offset = Math.max(offset, u.update_id + 1);
          this.onUpdate(u);
        }
      } catch (error) {
        if (!this.running) return;
        failures += 1;
        const wait = Math.min(30_000, 500 * 2 ** failures);
        this.o.log.warn({ err: error instanceof Error ? error.message : String(error), retryInMs: wait }, 'telegram: getUpdates failed');
        await this.sleep(wait);
      }
    }
  }

  private onUpdate(u: Update): void {
    const m = u.message;
    if (!m?.text) return;
    const chatId = String(m.chat.id);
    const chat = this.chats.get(chatId);
    if (!chat) {
      this.o.log.warn({ chatId }, 'telegram: message from a chat not allowed, ignored');
      return;
    }
    if (!m.text.startsWith('/')) return;
    if (m.date * 1000 < Math.floor(this.startedAt / 1000) * 1000) {
      this.o.log.info({ chatId }, 'telegram: command sent before the server started, ignored');
      return;
    }
    const from = m.from?.username ? `@${m.from.username}` : `user ${m.from?.id ?? chatId}`;
    let reply: string;
    try {
      reply = this.o.onCommand?.(chatId, m.text, from) ?? '';
    } catch (error) {
      reply = `Command failed: ${(error as Error).message}`;
    }
    this.o.log.info({ chatId, command: m.text.split(/\s/)[0] }, 'telegram: command');
    if (reply) {
      this.enqueue(chat, { text: reply });
      this.wakeAt(this.o.clock.now());
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let cancel: Cancel = () => {};
      const wake = () => {
        this.sleeps.delete(wake);
        cancel();
        resolve();
      };
      this.sleeps.add(wake);
      cancel = this.o.scheduler.after(ms, wake);
    });
  }
}
