// The Telegram bot in the running server (a real `tradewind start` process) against the loopback
// fake Bot API: fill notifications from the demo bot, /status and /positions, /pause, and an
// emergency stop that needs /confirm and really halts the engine (checked over HTTP); commands
// from another chat are ignored; the token never appears in the server's output. Then a server on
// the live ccxt feed (fake Binance USD-M): venue bars in the bar history, and a WebSocket cut
// notified as a venue disconnect and a reconnect.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { binanceusdmUrls } from '../fake-binance/ccxt-options.js';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';
import { startFakeTelegram, type FakeTelegram } from '../fake-telegram/server.js';
import { fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';

type Obj = Record<string, unknown>;
const CHAT = 111;
const OTHER = 222;

const texts = (tg: FakeTelegram, chat: number) => tg.sent(String(chat)).map((m) => m.text).join('\n\n');

describe('Telegram bot in the server', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('notifies fills and obeys /status, /positions, /pause and a confirmed /emergency_stop from the allowed chat only', async () => {
    const tg = await startFakeTelegram();
    cleanup.push(() => tg.close());
    const dir = tempDir();
    const server = await startServer({
      dataDir: dir,
      config: fastConfig(dir, { telegram: { enabled: true, apiBaseUrl: tg.url, chat_id: CHAT, pollTimeoutSeconds: 2, notify: ['fills', 'kill-switch'] } }),
      env: { TELEGRAM_BOT_TOKEN: tg.token, LOG_LEVEL: 'debug' },
    });
    cleanup.push(() => server.stop());
    const status = async () => (await getJson<Obj>(`${server.url}/api/engine/status`)).body;
    const reply = async (chat: number, text: string, expect: string) => {
      tg.userSays(chat, text);
      await waitFor(`the answer to ${text} (${expect})`, async () => texts(tg, CHAT).includes(expect), 30_000);
    };

    await waitFor('a fill notification from the demo bot', async () => /Fill (BUY|SELL) .* — order /.test(texts(tg, CHAT)), 60_000);
    await waitFor('the bot polling for commands', async () => tg.pollers() > 0, 30_000);
    await reply(CHAT, '/status', 'Engine IDLE');
    assert.match(texts(tg, CHAT), /Account paper: equity [0-9.]+ USD/);

    // Another chat's emergency stop is ignored: the next answer to the allowed chat comes after it was read.
    tg.userSays(OTHER, '/emergency_stop');
    tg.userSays(OTHER, '/confirm');
    await reply(CHAT, '/positions', 'BTC/USDT');
    assert.equal(tg.sent(String(OTHER)).length, 0);
    assert.notEqual((await status()).state, 'EMERGENCY');

    const started = await getJson<Obj>(`${server.url}/api/engine/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ preset: 'breakout_v1', mode: 'paper' }) });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    await reply(CHAT, '/pause', 'Engine paused');
    assert.equal((await status()).state, 'PAUSED');

    await reply(CHAT, '/emergency_stop', 'Send /confirm within 60 s');
    assert.equal((await status()).state, 'PAUSED', 'not halted before the confirmation');
    assert.equal((await status()).killSwitch, false);
    await reply(CHAT, '/confirm', 'Emergency stop: trading halted');
    const halted = await status();
    assert.equal(halted.state, 'EMERGENCY');
    assert.equal(halted.killSwitch, true);
    await waitFor('the kill switch notification', async () => texts(tg, CHAT).includes('Kill switch engaged — emergency stop: emergency stop from Telegram (@user111)'), 30_000);
    assert.equal(tg.rateLimited(), 0, 'never two messages to the chat within a second');

    assert.equal(await server.stop(), 0);
    assert.ok(server.output().includes('telegram'), 'the bot logged its commands');
    assert.ok(!server.output().includes(tg.token), 'the token is not in the output');
    assert.ok(!server.output().includes(tg.token.split(':')[1] as string), 'no part of the token in the output');
  });

  it('refuses to start with Telegram on and no token (naming the variable) or a token in the file, and a ccxt feed without symbols', async () => {
    const dir = tempDir();
    const started = startServer({ dataDir: dir, config: fastConfig(dir, { telegram: { enabled: true, chatIds: [CHAT], tokenEnv: 'MY_BOT_TOKEN' } }), env: { MY_BOT_TOKEN: '' } });
    await assert.rejects(started, /MY_BOT_TOKEN/);
    const inFile = startServer({ dataDir: dir, config: fastConfig(dir, { telegram: { enabled: true, chatIds: [CHAT], bot_token: '1:abc' } }), env: { TELEGRAM_BOT_TOKEN: 'x' } });
    await assert.rejects(inFile, /telegram.bot_token: do not put the bot token in the configuration/);
    const noSymbols = startServer({ dataDir: dir, config: fastConfig(dir, { feed: { kind: 'ccxt' } }) });
    await assert.rejects(noSymbols, /feed.symbols: a ccxt feed needs at least one symbol/);
    const demoOff = startServer({ dataDir: dir, config: fastConfig(dir, { feed: { kind: 'ccxt', symbols: { 'BTC/USDT': 'BTC/USDT:USDT' } } }) });
    await assert.rejects(demoOff, /demoBot.symbols: ETH\/USDT is not in feed.symbols/);
  });

  it('runs on the live ccxt feed: venue bars in the history, a WebSocket cut notified as a disconnect and a reconnect', async () => {
    const fake: FakeBinance = await startFakeBinance({ replayBars: 3000, historyBars: 100, tickIntervalMs: 100 });
    cleanup.push(() => fake.close());
    const tg = await startFakeTelegram();
    cleanup.push(() => tg.close());
    const dir = tempDir();
    let server: ServerHandle | null = await startServer({
      dataDir: dir,
      config: fastConfig(dir, {
        feed: { kind: 'ccxt', exchange: 'binanceusdm', symbols: { 'BTC/USDT': 'BTC/USDT:USDT', 'ETH/USDT': 'ETH/USDT:USDT' }, urls: binanceusdmUrls(fake), reconnectMinMs: 200 },
        demoBot: { symbols: ['BTC/USDT', 'ETH/USDT'] },
        telegram: { enabled: true, apiBaseUrl: tg.url, chatIds: [String(CHAT)], notify: ['venue'], commands: false },
      }),
      env: { TELEGRAM_BOT_TOKEN: tg.token },
    });
    cleanup.push(() => server?.stop() ?? Promise.resolve());
    const bars = async (symbol: string, interval: number) => (await getJson<{ bars?: Obj[] }>(`${server?.url}/api/bars?symbol=${encodeURIComponent(symbol)}&interval=${interval}`)).body.bars;
    // 5 s bars built from the venue's trades; closes at the venue's prices.
    const built = await waitFor('bars built from venue trades', async () => {
      const b = await bars('ETH/USDT', 5_000);
      return Array.isArray(b) && b.length >= 2 ? b : null;
    }, 60_000);
    assert.ok(built.every((b) => typeof b.close === 'number' && (b.close as number) > 0));
    assert.ok(fake.control.subscribers('btcusdt@aggTrade') > 0 && fake.control.subscribers('btcusdt@kline_1m') > 0);

    fake.control.disconnectWebSockets('market');
    await waitFor('a disconnect notification', async () => texts(tg, CHAT).includes('Venue binanceusdm market-data/') && texts(tg, CHAT).includes('DISCONNECTED'), 30_000);
    await waitFor('a reconnect notification', async () => texts(tg, CHAT).includes('connected again'), 60_000);
    const handle = server;
    assert.equal(await handle.stop(), 0, handle.output().slice(-3000));
    server = null;
  });
});
