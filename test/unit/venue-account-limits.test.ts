// Accounts of the `accounts` list trade under the configured account-wide limits (`risk`, with
// `risk.accounts.<id>` over it), as the primary, bridge and desk accounts do.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { SqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.js';
import { TimerScheduler } from '../../src/adapters/clock-wall.js';
import { SimClock } from '../../src/core/clock.js';
import { loadConfig } from '../../src/cli/config.js';
import { createVenueAccounts } from '../../src/cli/venue-accounts.js';
import { registry, tempDir } from './support.js';

const dirs = tempDir('tw-venue-limits-');
after(() => dirs.cleanup());
let runs = 0;

async function accountsWith(risk: Record<string, unknown>) {
  runs += 1;
  const file = dirs.file(`c-${runs}.json`);
  writeFileSync(file, JSON.stringify({ risk, accounts: [{ id: 'p2', kind: 'paper', startingBalance: 100_000 }, { id: 'p3', kind: 'paper', startingBalance: 100_000 }] }));
  const config = loadConfig({ file });
  const store = new SqliteStore({ file: dirs.file(`j-${runs}.db`) });
  const accounts = await createVenueAccounts({ config, store, clock: new SimClock(Date.UTC(2024, 0, 2)), scheduler: new TimerScheduler(), instruments: registry(), log: pino({ level: 'silent' }), env: {} });
  return { accounts, store };
}

const entry = { botId: 'operator', symbol: 'BTC/USDT', side: 'buy' as const, type: 'market' as const, qty: 0.01, purpose: 'entry' as const, refPrice: 40_000 };

describe('account-wide limits of the accounts list', () => {
  it('risk.maxOrdersPerMinute and risk.accounts.<id> apply to each account', async () => {
    const { accounts, store } = await accountsWith({ maxOrdersPerMinute: 3, accounts: { p3: { maxOrdersPerMinute: 1 } } });
    try {
      const [p2, p3] = accounts;
      assert.ok(p2 && p3);
      const outcomes2 = [1, 2, 3, 4].map(() => p2.kernel.submit(entry, 'manual'));
      assert.deepEqual(outcomes2.map((o) => (o.ok ? 'ok' : o.code)), ['ok', 'ok', 'ok', 'order_rate']);
      const outcomes3 = [1, 2].map(() => p3.kernel.submit(entry, 'manual'));
      assert.deepEqual(outcomes3.map((o) => (o.ok ? 'ok' : o.code)), ['ok', 'order_rate']);
    } finally {
      store.close();
    }
  });
});
