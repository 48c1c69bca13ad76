// src/adapters/ccxt/library.ts loads one exchange's ccxt modules instead of ccxt's index: the
// classes must be the very ones the index exports (errors caught with instanceof whichever way
// they were loaded), and ids ccxt does not have, or that are not plain ids, give nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ccxt from 'ccxt';
import { ccxtErrors, exchangeClass, hasExchange } from '../../src/adapters/ccxt/library.js';

describe('ccxt library, loaded per exchange', () => {
  it("gives the index's own classes for REST and WebSocket exchanges", async () => {
    assert.equal(await exchangeClass('binanceusdm', true), ccxt.pro.binanceusdm);
    assert.equal(await exchangeClass('binanceusdm', false), ccxt.binanceusdm);
    assert.equal(await exchangeClass('kraken', false), ccxt.kraken);
    for (const name of ['AuthenticationError', 'BadSymbol', 'DuplicateOrderId', 'MarginModeAlreadySet', 'NetworkError', 'OperationFailed', 'OrderNotFound', 'RequestTimeout'] as const) assert.equal(ccxtErrors[name], ccxt[name], name);
    // An error thrown by a class loaded here (no credentials: refused before any request) is caught as the index's.
    const ex = new ((await exchangeClass('binanceusdm', false)) as NonNullable<Awaited<ReturnType<typeof exchangeClass>>>)({});
    assert.throws(() => ex.checkRequiredCredentials(), (e: unknown) => e instanceof ccxt.AuthenticationError && e instanceof ccxtErrors.AuthenticationError);
  });

  it('knows which exchanges ccxt has, as REST and as WebSocket classes', async () => {
    const restOnly = ccxt.exchanges.find((id) => !(id in ccxt.pro));
    assert.ok(restOnly, 'ccxt has an exchange without a WebSocket class');
    assert.equal(hasExchange(restOnly, false), true);
    assert.equal(hasExchange(restOnly, true), false);
    assert.equal(await exchangeClass(restOnly, true), null);
    for (const id of ccxt.exchanges) assert.equal(hasExchange(id, false), true, id);
    for (const id of (ccxt.pro as unknown as { exchanges: string[] }).exchanges) assert.equal(hasExchange(id, true), true, id);
  });

  it('an unknown id or a path gives nothing and loads no file', async () => {
    for (const id of ['nosuchexchange', '../ccxt', 'base/Exchange', 'Binance', '', 'binance.js']) {
      assert.equal(hasExchange(id, false), false, id);
      assert.equal(await exchangeClass(id, false), null, id);
      assert.equal(await exchangeClass(id, true), null, id);
    }
  });
});
