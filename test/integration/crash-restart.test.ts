import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { connectWs, fastConfig, getJson, startServer, tempDir, waitFor } from '../helpers/server.js';

type Obj = Record<string, unknown>;

interface DbView {
  orders: Obj[];
  fills: Obj[];
  openPositions: Obj[];
  account: Obj;
}

function readDb(dataDir: string): DbView {
  const db = new Database(join(dataDir, 'tradewind.db'), { readonly: true });
  try {
    const rows = (sql: string) => (db.prepare(sql).all() as { data: string }[]).map((r) => JSON.parse(r.data) as Obj);
    return {
      orders: rows('SELECT data FROM orders ORDER BY seq'),
      fills: rows('SELECT data FROM fills ORDER BY ts, rowid'),
      openPositions: rows('SELECT data FROM positions WHERE open = 1 ORDER BY seq'),
      account: rows(`SELECT data FROM accounts WHERE id = 'demo'`)[0] as Obj,
    };
  } finally {
    db.close();
  }
}

const stable = (p: Obj) => ({ id: p.id, symbol: p.symbol, side: p.side, size: p.size, entry: p.entry, sl: p.sl, tp: p.tp, openedAt: p.openedAt });

describe('crash safety', () => {
  it('after SIGKILL mid-run, a restart restores orders, positions, trades and the account exactly', async () => {
    const dataDir = tempDir('tw-crash-');
    const server = await startServer({ dataDir, config: fastConfig(dataDir) });
    const announced: Obj[] = [];
    let killed = false;
    try {
      const ws = await connectWs(server.wsUrl);
      ws.ws.on('message', (raw) => {
        const m = JSON.parse(raw.toString()) as Obj;
        if (m.type === 'TRADE_EXECUTION') announced.push(m);
      });
      // Trade until there are fills, an open position and working protective orders.
      await waitFor(
        'fills and an open position',
        async () => {
          const { body } = await getJson<Obj[]>(`${server.url}/api/positions?account=demo`);
          return announced.length >= 4 && body.length > 0;
        },
        60_000,
      );
      await server.kill9();
      killed = true;
      ws.ws.terminate();
    } finally {
      if (!killed) await server.stop();
    }

    // What the dead process left on disk.
    const atCrash = readDb(dataDir);
    const fillIds = new Set(atCrash.fills.map((f) => f.id));
    assert.equal(fillIds.size, atCrash.fills.length, 'no fill stored twice');
    for (const t of announced) assert.ok(fillIds.has(t.fill_id), `announced fill ${String(t.fill_id)} survived the crash`);
    assert.ok(atCrash.openPositions.length > 0);

    // Restart with no strategy and no market moves, so nothing changes while we compare.
    const frozen = fastConfig(dataDir, { feed: { tickIntervalMs: 60_000 }, demoBot: { enabled: false } });
    const restarted = await startServer({ dataDir, config: frozen });
    try {
      const positions = (await getJson<Obj[]>(`${restarted.url}/api/positions?account=demo`)).body;
      const expected = atCrash.openPositions.map((p) => ({
        id: p.id,
        symbol: p.symbol,
        side: p.side,
        size: p.qty,
        entry: p.avgPrice,
        sl: p.stopPrice,
        tp: p.takeProfit,
        openedAt: new Date(p.openedAt as number).toISOString(),
      }));
      assert.deepEqual(positions.map(stable), expected, 'open positions restored');

      const trades = (await getJson<Obj[]>(`${restarted.url}/api/trades`)).body;
      const lastFills = atCrash.fills.slice(-50);
      assert.deepEqual(
        trades.map((t) => [t.fill_id, t.symbol, t.price, t.lot]),
        lastFills.map((f) => [f.id, f.symbol, f.price, f.qty]),
        'recent trades restored from the journal',
      );

      // The demo bot trades its own account (demo): its figures from GET /api/accounts.
      const accounts = (await getJson<{ accounts: { id: string; account: Obj }[] }>(`${restarted.url}/api/accounts`)).body.accounts;
      const account = accounts.find((a) => a.id === 'demo')?.account as Obj;
      assert.equal(account.balance, atCrash.account.balance);
      assert.equal(account.realizedPnl, atCrash.account.realizedPnl);
      assert.equal(account.fees, atCrash.account.fees);
      const feesFromFills = atCrash.fills.reduce((sum, f) => sum + (f.fee as number), 0);
      assert.ok(Math.abs((account.fees as number) - feesFromFills) < 1e-6, 'account fees equal the sum of stored fills');

      const state = (await getJson<Obj>(`${restarted.url}/api/state`)).body;
      assert.ok((state.events as unknown[]).length > 0, 'event log restored');

      const afterRestart = readDb(dataDir);
      assert.equal(afterRestart.fills.length, atCrash.fills.length, 'no fill replayed or invented on restart');
      assert.equal(afterRestart.orders.length, atCrash.orders.length, 'no order resent on restart');
      for (const [i, before] of atCrash.orders.entries()) {
        const now = afterRestart.orders[i] as Obj;
        if (before.status === 'pending_submit') {
          // Never acknowledged by the (dead) paper broker: reported rejected, never resent.
          assert.equal(now.status, 'rejected');
        } else {
          assert.deepEqual(now, before, `order ${String(before.id)} unchanged`);
        }
      }
      // Protective orders need their position; an entry the kill caught between its acceptance and
      // its fill is working too, legitimately without one.
      const working = afterRestart.orders.filter((o) => o.status === 'accepted' && (o.purpose === 'stop_loss' || o.purpose === 'take_profit'));
      assert.ok(working.length > 0, 'protective orders still working after the restart');
      for (const o of working) assert.ok(afterRestart.openPositions.some((p) => p.symbol === o.symbol), `working ${String(o.purpose)} order has its position`);
    } finally {
      await restarted.stop();
    }
  });
});
