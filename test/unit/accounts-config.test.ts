import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { credentialsOf } from '../../src/cli/accounts-config.js';
import { ConfigError, loadConfig } from '../../src/cli/config.js';
import { tempDir } from './support.js';

const dirs = tempDir('tw-accounts-');
after(() => dirs.cleanup());
let files = 0;
const file = (config: unknown): string => {
  const f = dirs.file(`c-${(files += 1)}.json`);
  writeFileSync(f, JSON.stringify(config));
  return f;
};
const ccxtEntry = (extra: Record<string, unknown> = {}) => ({ id: 'binance', kind: 'ccxt', exchange: 'binanceusdm', apiKeyEnv: 'BINANCE_KEY', secretEnv: 'BINANCE_SECRET', ...extra });

describe('accounts configuration', () => {
  it('a ccxt entry gets its defaults: testnet, swap, report unknown orders, user stream on', () => {
    const c = loadConfig({ file: file({ accounts: [ccxtEntry(), { id: 'paper2', kind: 'paper', startingBalance: 5000 }] }) });
    const a = c.accounts[0];
    assert.equal(a?.kind, 'ccxt');
    if (a?.kind !== 'ccxt') return;
    assert.deepEqual([a.environment, a.marketType, a.unknownOrders, a.userStream, a.currency], ['testnet', 'swap', 'report', true, 'USDT']);
    assert.equal(c.accounts[1]?.kind, 'paper');
  });

  it('credentials written into the file are refused without echoing them', () => {
    const secret = 'do-not-print-this-secret-value';
    try {
      loadConfig({ file: file({ accounts: [ccxtEntry({ secret })] }) });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /accounts\[0\]\.secret: credentials are never read from the configuration file/);
      assert.ok(!error.message.includes(secret));
    }
  });

  it('a bridge entry switches the bridge block on under its id; ids must be unique', () => {
    const c = loadConfig({ file: file({ accounts: [{ id: 'exec', kind: 'bridge' }] }) });
    assert.deepEqual([c.bridge.enabled, c.bridge.accountId], [true, 'exec']);
    assert.throws(() => loadConfig({ file: file({ accounts: [ccxtEntry({ id: 'paper' })] }) }), /'paper' is already used/);
    assert.throws(() => loadConfig({ file: file({ accounts: [ccxtEntry({ apiKeyEnv: 'not a name' })] }) }), ConfigError);
  });

  it('credentials come from the named environment variables; missing ones are named', () => {
    const c = loadConfig({ file: file({ accounts: [ccxtEntry()] }) });
    const a = c.accounts[0];
    if (a?.kind !== 'ccxt') return assert.fail('ccxt entry');
    assert.deepEqual(credentialsOf(a, { BINANCE_KEY: 'k' }), { ok: false, missing: ['BINANCE_SECRET'] });
    assert.deepEqual(credentialsOf(a, { BINANCE_KEY: 'k', BINANCE_SECRET: 's' }), { ok: true, credentials: { apiKey: 'k', secret: 's' } });
  });
});
