import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectWs, fastConfig, getJson, repoRoot, startServer, tempDir, waitFor, type ServerHandle, type WsMessage } from '../helpers/server.js';

type Obj = Record<string, unknown>;

const ACCOUNT_FIELDS = ['balance', 'equity', 'profit', 'currency', 'leverage', 'day_pl'];
const POSITION_000 = ['ticket', 'symbol', 'type', 'direction', 'volume', 'entry_price', 'price_current', 'sl_price', 'tp_price', 'profit'];
const POSITION_001 = ['id', 'side', 'entry', 'sl', 'size', 'mode', 'openedAt', 'pnlR', 'pnlUsd', 'unrealizedPnlR', 'unrealizedPnlUsd'];
const TRADE_FIELDS = ['symbol', 'direction', 'price', 'lot', 'timestamp'];

const hasFields = (obj: unknown, fields: string[], what: string) => {
  assert.equal(typeof obj, 'object', `${what} is an object`);
  for (const f of fields) assert.ok(Object.hasOwn(obj as Obj, f), `${what} has field ${f}: ${JSON.stringify(obj)}`);
};

describe('seed 000 streaming surface on the running server', () => {
  let server: ServerHandle;
  const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

  before(async () => {
    const dir = tempDir();
    server = await startServer({ dataDir: dir, config: fastConfig(dir) });
  });
  after(async () => {
    await server?.stop();
  });

  it('GET / answers health and version', async () => {
    const { status, body, headers } = await getJson<Obj>(`${server.url}/`);
    assert.equal(status, 200);
    assert.equal(body.status, 'ok');
    assert.equal(body.version, version);
    assert.equal(body.mode, 'paper');
    assert.match(headers.get('x-process-time') ?? '', /^\d+\.\d+$/);
  });

  it('GET /api/account has the seed fields with numbers', async () => {
    const { status, body } = await getJson<Obj>(`${server.url}/api/account`);
    assert.equal(status, 200);
    hasFields(body, ACCOUNT_FIELDS, 'account');
    for (const f of ['balance', 'equity', 'profit', 'leverage', 'day_pl']) assert.equal(typeof body[f], 'number', f);
    assert.equal(body.currency, 'USD');
    assert.ok(Math.abs((body.equity as number) - ((body.balance as number) + (body.profit as number))) < 1e-6, 'equity = balance + open profit');
  });

  it('the demo bot trades: trades, positions and scan fill up with the seed fields', async () => {
    const trades = await waitFor('a trade', async () => {
      const { body } = await getJson<Obj[]>(`${server.url}/api/trades`);
      return body.length > 0 && body;
    });
    for (const t of trades) {
      hasFields(t, TRADE_FIELDS, 'trade');
      assert.ok(['BUY', 'SELL'].includes(t.direction as string));
      assert.ok((t.lot as number) > 0 && (t.price as number) > 0);
      assert.ok(!Number.isNaN(Date.parse(t.timestamp as string)));
    }
    const positions = await waitFor('an open position', async () => {
      // The demo bot trades its own account (demo); the default is the engine's.
      const { body } = await getJson<Obj[]>(`${server.url}/api/positions?account=demo`);
      return body.length > 0 && body;
    });
    for (const p of positions) {
      hasFields(p, [...POSITION_000, ...POSITION_001], 'position');
      assert.equal(p.type === 'BUY', p.side === 'long');
      assert.equal(p.volume, p.size);
      assert.equal(p.entry_price, p.entry);
    }
    const scan = await waitFor('a scan summary', async () => {
      const { body } = await getJson<Obj>(`${server.url}/api/scan`);
      return (body.count as number) > 0 && body;
    });
    hasFields(scan, ['symbols', 'timestamp', 'count'], 'scan');
    assert.equal(Object.keys(scan.symbols as Obj).length, scan.count);
    assert.deepEqual(Object.keys(scan.symbols as Obj).sort(), ['BTC/USDT', 'ES', 'ETH/USDT', 'NQ']);
  });

  it('GET /api/state holds account, positions, scan_summary, recent_trades and events within their windows', async () => {
    const { status, body } = await getJson<Obj>(`${server.url}/api/state`);
    assert.equal(status, 200);
    hasFields(body, ['account', 'positions', 'scan_summary', 'recent_trades', 'events'], 'state');
    assert.ok((body.recent_trades as unknown[]).length <= 50);
    assert.ok((body.events as unknown[]).length <= 200);
    assert.ok((body.events as Obj[]).every((e) => typeof e.type === 'string' && typeof e.timestamp === 'string'));
    const v1 = await getJson<Obj>(`${server.url}/api/v1/state`);
    assert.equal(v1.status, 200);
    hasFields(v1.body, ['account', 'positions', 'scan_summary', 'recent_trades', 'events'], 'v1 state');
  });

  it('unknown paths answer 404 with a detail', async () => {
    const { status, body } = await getJson<Obj>(`${server.url}/api/nothing-here`);
    assert.equal(status, 404);
    assert.match(body.detail as string, /nothing-here/);
  });

  it('a WebSocket client gets STATE_SNAPSHOT first, then every seed 000 event type in the envelope', async () => {
    const client = await connectWs(server.wsUrl);
    try {
      await waitFor('the first message', async () => client.messages.length > 0);
      const first = client.messages[0] as WsMessage;
      assert.equal(first.type, 'STATE_SNAPSHOT');
      hasFields(first.data, ['account', 'positions', 'scan_summary', 'recent_trades', 'events'], 'snapshot data');
      const wanted = ['ACCOUNT_UPDATE', 'POSITION_UPDATE', 'SCAN_SUMMARY', 'TRADE_EXECUTION'];
      await waitFor('all four live event types', async () => wanted.every((t) => client.messages.some((m) => m.type === t)), 60_000);
      for (const m of client.messages.slice(1)) {
        assert.notEqual(m.type, 'STATE_SNAPSHOT');
        assert.ok(!Number.isNaN(Date.parse(m.timestamp as string)), 'envelope timestamp');
        assert.equal(typeof m.data, 'object');
      }
      const account = client.messages.find((m) => m.type === 'ACCOUNT_UPDATE') as WsMessage;
      hasFields(account.account, ACCOUNT_FIELDS, 'ACCOUNT_UPDATE.account');
      hasFields((account.data as Obj).account, ACCOUNT_FIELDS, 'ACCOUNT_UPDATE.data.account');
      const positions = client.messages.find((m) => m.type === 'POSITION_UPDATE') as WsMessage;
      assert.ok(Array.isArray(positions.positions));
      const scan = client.messages.find((m) => m.type === 'SCAN_SUMMARY') as WsMessage;
      hasFields(scan, ['symbols', 'timestamp', 'count'], 'SCAN_SUMMARY');
      const trade = client.messages.find((m) => m.type === 'TRADE_EXECUTION') as WsMessage;
      hasFields(trade, TRADE_FIELDS, 'TRADE_EXECUTION');
      hasFields(trade.data, TRADE_FIELDS, 'TRADE_EXECUTION.data');
      // What was pushed is what REST reports.
      const { body: trades } = await getJson<Obj[]>(`${server.url}/api/trades`);
      assert.ok(trades.some((t) => t.fill_id === trade.fill_id), 'pushed trade is in /api/trades');
    } finally {
      client.close();
    }
  });

  it('a stalled client does not hold back the others', async () => {
    const stalled = await connectWs(server.wsUrl);
    const healthy = await connectWs(server.wsUrl);
    try {
      // Stop reading on the stalled client's socket: the server's writes to it back up.
      (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const before = healthy.messages.length;
      await waitFor('messages on the healthy client', async () => healthy.messages.length >= before + 5, 20_000);
    } finally {
      stalled.ws.terminate();
      healthy.close();
    }
  });

  it('a JSON ping gets a PONG and plain text is ignored', async () => {
    const client = await connectWs(server.wsUrl);
    try {
      client.ws.send('keep-alive');
      client.ws.send(JSON.stringify({ type: 'ping' }));
      await waitFor('PONG', async () => client.messages.some((m) => m.type === 'PONG'), 5_000);
    } finally {
      client.close();
    }
  });
});
