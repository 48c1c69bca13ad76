// The account a live run trades on (LiveAccounts.pick) and whether its bots would see prices there.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveAccounts, unpricedReason, type LiveAccount } from '../../src/app/live-accounts.js';
import type { Kernel } from '../../src/engine/kernel.js';

const account = (id: string, environment: 'testnet' | 'mainnet', symbols: string[], priced?: string[]): LiveAccount => ({ id, kernel: { accountId: id } as unknown as Kernel, environment, symbols, priced });

describe('live accounts', () => {
  it('LIVE picks the mainnet account (accounts_ids narrowing), refusing several without a name', () => {
    const accounts = [account('test', 'testnet', ['BTC/USDT']), account('a', 'mainnet', ['BTC/USDT']), account('b', 'mainnet', ['ETH/USDT'])];
    const live = new LiveAccounts(() => accounts);
    const both = live.pick('LIVE');
    assert.ok(!both.ok);
    assert.match(both.reason, /several mainnet accounts \(a, b\): name one in accounts_ids/);
    const b = live.pick('LIVE', ['b']);
    assert.ok(b.ok);
    assert.equal(b.account.id, 'b');
    const demo = live.pick('DEMO', ['test']);
    assert.ok(demo.ok && demo.account.id === 'test');
    const none = live.pick('DEMO', ['a']);
    assert.ok(!none.ok);
    assert.match(none.reason, /no testnet exchange account with credentials among a/);
  });

  it('a run is refused when the account gets no market data for a symbol (the simulated feed never prices it)', () => {
    assert.equal(unpricedReason(account('a', 'mainnet', ['BTC/USDT', 'ETH/USDT'], ['BTC/USDT', 'ETH/USDT']), ['BTC/USDT']), null);
    assert.match(String(unpricedReason(account('a', 'mainnet', ['BTC/USDT', 'ETH/USDT'], ['BTC/USDT']), ['BTC/USDT', 'ETH/USDT'])), /^account a gets no market data for ETH\/USDT: .*feed\.symbols naming it$/);
    assert.match(String(unpricedReason(account('a', 'mainnet', ['BTC/USDT', 'ETH/USDT'], []), ['BTC/USDT', 'ETH/USDT'])), /no market data for BTC\/USDT, ETH\/USDT: .*naming them$/);
    // Not known (an account list that does not say): not checked.
    assert.equal(unpricedReason(account('a', 'mainnet', ['BTC/USDT']), ['BTC/USDT']), null);
  });
});
