// The Telegram notifier (src/adapters/notifier-telegram.ts) over real HTTP against the loopback
// fake Bot API: one message per event kind, commands from allowed chats only, Telegram's rate
// limits (queue and coalesce, 429 retry_after honoured), and the bot token never in the logs.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { TimerScheduler, WallClock } from '../../src/adapters/clock-wall.js';
import { TelegramNotifier, type TelegramNotifierOptions } from '../../src/adapters/notifier-telegram.js';
import { TelegramApi } from '../../src/adapters/telegram-api.js';
import { forwardNotifications, NOTIFY_KINDS } from '../../src/app/notifications.js';
import type { KernelEvent } from '../../src/core/events.js';
import { MessageBus } from '../../src/engine/message-bus.js';
import { startFakeTelegram, type FakeTelegram } from '../fake-telegram/server.js';
import { waitFor } from '../helpers/server.js';
import { makeFill, makeOrder } from '../unit/support.js';

const CHAT = '111';
const OTHER = '222';

interface Rig {
  tg: FakeTelegram;
  bus: MessageBus;
  notifier: TelegramNotifier;
  logs: string[];
  commands: string[];
}

async function rig(over: Partial<TelegramNotifierOptions> & { perChatMs?: number; chats?: string[] } = {}): Promise<Rig> {
  const tg = await startFakeTelegram({ perChatMs: over.perChatMs ?? 1000 });
  const logs: string[] = [];
  const log = pino({ level: 'trace' }, { write: (line: string) => logs.push(line) });
  const commands: string[] = [];
  const notifier = new TelegramNotifier({
    api: new TelegramApi(tg.url, tg.token),
    chatIds: over.chats ?? [CHAT],
    clock: new WallClock(),
    scheduler: new TimerScheduler(),
    log,
    onCommand: (chat, text) => {
      commands.push(`${chat} ${text}`);
      return `answer to ${text}`;
    },
    perChatIntervalMs: 1000,
    globalPerSecond: 30,
    pollTimeoutSec: 5,
    ...over,
  });
  const bus = new MessageBus();
  forwardNotifications([bus], notifier, NOTIFY_KINDS);
  notifier.start();
  return { tg, bus, notifier, logs, commands };
}

const fill = (i: number): KernelEvent => {
  const order = makeOrder({ id: `O-${i}`, symbol: 'BTC/USDT', side: 'buy', type: 'market', status: 'filled' });
  return { type: 'fill', order, fill: makeFill({ id: `O-${i}-F1`, symbol: 'BTC/USDT', side: 'buy', qty: 0.5, price: 95_000 + i, fee: 1.5 }) };
};

/** A loopback port nothing listens on (connections are refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const texts = (tg: FakeTelegram, chat: string) => tg.sent(chat).map((m) => m.text).join('\n\n');

describe('Telegram notifications and commands (fake Bot API)', () => {
  const rigs: Rig[] = [];
  const make = async (over: Parameters<typeof rig>[0] = {}) => {
    const r = await rig(over);
    rigs.push(r);
    return r;
  };
  after(async () => {
    for (const r of rigs) {
      await r.notifier.stop();
      await r.tg.close();
    }
  });

  it('sends a message for fills, risk refusals, the kill switch, the daily stop, venue disconnects, reconciliation differences and halts', async () => {
    const { tg, bus } = await make();
    const ts = Date.now();
    bus.publish(fill(1));
    bus.publish({ type: 'risk-rejected', accountId: 'paper', source: 'bot', code: 'max_positions', request: { accountId: 'paper', botId: 'demo', symbol: 'ETH/USDT', side: 'sell', type: 'market', purpose: 'entry', qty: 2 }, reason: 'max open positions reached (3)', ts });
    bus.publish({ type: 'kill-switch', engaged: true, reason: 'operator pressed the button', ts });
    bus.publish({ type: 'daily-stop', accountId: 'renko', pnl: -512.5, limit: 500, source: 'desk', ts });
    bus.publish({ type: 'feed-connection', venue: 'binanceusdm', channel: 'market-data/trades', state: 'disconnected', detail: 'NetworkError: connection closed (1006)', ts });
    bus.publish({ type: 'venue-connection', accountId: 'binance-main', state: 'auth-failed', detail: 'Invalid API-key (-2015)', ts });
    bus.publish({ type: 'venue-difference', accountId: 'binance-main', reason: 'periodic', difference: { kind: 'missing-fill', orderId: 'tw-17', tradeId: '8812', qty: 0.01, price: 95000 }, ts });
    bus.publish({ type: 'account-halted', accountId: 'paper', context: 'fill', reason: 'disk full', ts });
    bus.publish({ type: 'feed-gap', venue: 'binanceusdm', symbol: 'BTC/USDT', kind: 'trades', from: 10, to: 30_009, missing: 30_000, backfilled: 20_000, ts });
    // A gap filled completely is not news.
    bus.publish({ type: 'feed-gap', venue: 'binanceusdm', symbol: 'ETH/USDT', kind: 'trades', from: 10, to: 19, missing: 10, backfilled: 10, ts });
    // Not notified: a plain state change and a tick.
    bus.publish({ type: 'engine-state', botId: 'engine', transition: { from: 'IDLE', to: 'INITIALIZING', event: 'START', reason: 'start', timestamp: ts, metadata: {} } });
    bus.publish({ type: 'tick', tick: { symbol: 'BTC/USDT', ts, price: 1, size: 1, trades: 1 } });
    const expected = [
      'Fill BUY 0.5 BTC/USDT @ 95001 (fee 1.5) — order O-1',
      'Refused by risk: SELL 2 ETH/USDT (entry, bot demo, account paper): max open positions reached (3)',
      'Kill switch engaged — emergency stop: operator pressed the button',
      'Daily stop hit on account renko: day P&L -512.50 reached the -500.00 limit (desk)',
      'Venue binanceusdm market-data/trades: DISCONNECTED — NetworkError: connection closed (1006)',
      'Account binance-main: AUTH-FAILED — Invalid API-key (-2015)',
      'Reconciliation difference on account binance-main (missing-fill, periodic): venue trade 8812 for order tw-17 (0.01 @ 95000) was not in the journal: applied',
      'Account paper HALTED (fill): disk full',
      'Market data gap on binanceusdm BTC/USDT: 10000 of 30000 trades lost',
    ];
    await waitFor('every notification', async () => expected.every((e) => texts(tg, CHAT).includes(e)), 30_000);
    assert.ok(!texts(tg, CHAT).includes('INITIALIZING'));
    assert.ok(!texts(tg, CHAT).includes('gap on binanceusdm ETH/USDT'));
    assert.equal(tg.rateLimited(), 0);
    // A reconnect after the reported disconnect is reported too.
    bus.publish({ type: 'feed-connection', venue: 'binanceusdm', channel: 'market-data/trades', state: 'connected', detail: 'WebSocket stream delivering', ts });
    await waitFor('the reconnect', async () => texts(tg, CHAT).includes('market-data/trades: connected again'), 30_000);
  });

  it('queues and coalesces under Telegram’s limits: every event arrives, no chat gets two messages within a second, bus handlers only enqueue', async () => {
    const { tg, bus, notifier } = await make({ chats: [CHAT, OTHER] });
    for (let i = 0; i < 60; i += 1) bus.publish(fill(i));
    // publish returned with the messages still queued: the handlers did not wait for Telegram.
    assert.ok(notifier.queued(CHAT) > 0 && notifier.queued(OTHER) > 0);
    for (const chat of [CHAT, OTHER]) {
      await waitFor(`all 60 fills in chat ${chat}`, async () => Array.from({ length: 60 }, (_, i) => `@ ${95_000 + i} `).every((p) => texts(tg, chat).includes(p)), 60_000);
      const messages = tg.sent(chat);
      assert.ok(messages.length < 10, `coalesced into a few messages (${messages.length})`);
      // In order, each once.
      const order = [...texts(tg, chat).matchAll(/order O-(\d+)/g)].map((m) => Number(m[1]));
      assert.deepEqual(order, Array.from({ length: 60 }, (_, i) => i));
    }
    // The fake answers 429 to a second message within 1 s to a chat: none was needed.
    assert.equal(tg.rateLimited(), 0);
  });

  it('honours 429 retry_after: a sender configured faster than the chat allows loses nothing', async () => {
    const { tg, bus } = await make({ perChatIntervalMs: 100 });
    bus.publish(fill(1));
    await waitFor('the first message', async () => tg.sent(CHAT).length === 1, 30_000);
    bus.publish(fill(2));
    await waitFor('the second fill after a 429', async () => texts(tg, CHAT).includes('order O-2'), 30_000);
    assert.ok(tg.rateLimited() >= 1, 'the fake refused the early message');
    assert.equal((texts(tg, CHAT).match(/order O-2,/g) ?? []).length, 1, 'sent once');
  });

  it('obeys commands from allowed chats only', async () => {
    const { tg, commands, logs } = await make();
    await waitFor('the long poll', async () => tg.pollers() > 0, 30_000);
    tg.userSays(OTHER, '/emergency_stop');
    tg.userSays(CHAT, 'hello');
    tg.userSays(CHAT, '/status');
    await waitFor('the answer', async () => texts(tg, CHAT).includes('answer to /status'), 30_000);
    assert.deepEqual(commands, [`${CHAT} /status`], 'only the allowed chat’s command ran; plain text is not a command');
    assert.equal(tg.sent(OTHER).length, 0, 'nothing is sent to a chat not allowed');
    assert.ok(logs.some((l) => l.includes('not allowed') && l.includes(OTHER)));
  });

  it('never writes the bot token to the logs, whatever fails', async () => {
    const r = await make();
    r.tg.failNext('sendMessage', 500, 1);
    r.tg.failNext('getUpdates', 502, 1);
    r.bus.publish(fill(7));
    await waitFor('the retried message', async () => texts(r.tg, CHAT).includes('order O-7'), 30_000);
    await waitFor('the failed poll logged', async () => r.logs.some((l) => l.includes('getUpdates failed')), 30_000);
    // A wrong token (401) drops the message; a dead endpoint fails at the socket.
    const wrong = await startFakeTelegram({ token: '999:another-token' });
    const logs: string[] = [];
    const log = pino({ level: 'trace' }, { write: (line: string) => logs.push(line) });
    const common = { chatIds: [CHAT], clock: new WallClock(), scheduler: new TimerScheduler(), log, perChatIntervalMs: 1000, globalPerSecond: 30, pollTimeoutSec: 1, onCommand: () => '' };
    const unauthorized = new TelegramNotifier({ ...common, api: new TelegramApi(wrong.url, r.tg.token) });
    const dead = new TelegramNotifier({ ...common, api: new TelegramApi(`http://127.0.0.1:${await closedPort()}`, r.tg.token) });
    unauthorized.start();
    dead.start();
    unauthorized.notify({ text: 'x' });
    dead.notify({ text: 'y' });
    try {
      await waitFor('the 401 logged', async () => logs.some((l) => l.includes('401 Unauthorized')), 30_000);
      await waitFor('the refused connection logged', async () => logs.some((l) => l.includes('ECONNREFUSED')), 30_000);
    } finally {
      await unauthorized.stop();
      await dead.stop();
      await wrong.close();
    }
    const all = [...r.logs, ...logs].join('\n');
    assert.ok(all.includes('telegram'), 'the failures were logged');
    for (const secret of [r.tg.token, encodeURIComponent(r.tg.token), r.tg.token.split(':')[1] as string]) assert.ok(!all.includes(secret), 'no token in the logs');
  });
});
