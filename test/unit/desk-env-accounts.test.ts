// Which account seed 003's POST /api/env trades: deskEnvAccounts over the live-mode account list.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveAccounts, type LiveAccount } from '../../src/app/live-accounts.js';
import { deskEnvAccounts } from '../../src/app/renko-desk/env-accounts.js';
import type { Kernel } from '../../src/engine/kernel.js';

const kernel = (id: string) => ({ accountId: id }) as unknown as Kernel;
const account = (id: string, environment: 'testnet' | 'mainnet', symbols: string[]): LiveAccount => ({ id, kernel: kernel(id), environment, symbols });

describe('deskEnvAccounts (POST /api/env)', () => {
  it('LIVE: the first mainnet account trading every desk symbol; refused naming what is missing', () => {
    const none = deskEnvAccounts(new LiveAccounts(() => []), ['BTC/USDT']);
    const refused = none('LIVE');
    assert.ok(!refused.ok);
    assert.match(refused.reason, /^no mainnet exchange account with credentials; configured ccxt accounts with credentials: none\./);
    assert.deepEqual(none('DEMO'), { ok: true, kernel: null });

    const accounts = [account('test', 'testnet', ['BTC/USDT']), account('eth', 'mainnet', ['ETH/USDT']), account('main', 'mainnet', ['BTC/USDT', 'ETH/USDT'])];
    const pick = deskEnvAccounts(new LiveAccounts(() => accounts), ['BTC/USDT']);
    const live = pick('LIVE');
    assert.ok(live.ok && live.kernel?.accountId === 'main');
    const demo = pick('DEMO');
    assert.ok(demo.ok && demo.kernel?.accountId === 'test', 'DEMO: the venue testnet account');

    const wrong = deskEnvAccounts(new LiveAccounts(() => accounts), ['MES', 'MNQ'])('LIVE');
    assert.ok(!wrong.ok);
    assert.equal(wrong.reason, 'no mainnet exchange account with credentials trades MES, MNQ (eth trades ETH/USDT; main trades BTC/USDT, ETH/USDT): add them to its instruments or the desk\'s assets');
    assert.deepEqual(deskEnvAccounts(new LiveAccounts(() => accounts), ['MES'])('DEMO'), { ok: true, kernel: null }, 'DEMO falls back to the desk account');
  });
});
