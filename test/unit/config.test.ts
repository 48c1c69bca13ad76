import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import Value from 'typebox/value';
import { defaultConfig } from '../../src/cli/config-defaults.js';
import { ConfigSchema } from '../../src/cli/config-schema.js';
import { ConfigError, loadConfig, redactConfig } from '../../src/cli/config.js';
import { tempDir } from './support.js';

const dirs = tempDir('tw-config-');
after(() => dirs.cleanup());
const write = (name: string, text: string): string => {
  const file = dirs.file(name);
  writeFileSync(file, text);
  return file;
};

/** Runs fn, expects a ConfigError and returns its message. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.name, 'ConfigError');
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('defaults validate and are what loadConfig returns without input', () => {
    assert.equal(Value.Check(ConfigSchema, defaultConfig()), true);
    const c = loadConfig();
    assert.deepEqual(c, defaultConfig());
    assert.equal(c.server.port, 8000);
    assert.equal(c.server.host, '127.0.0.1');
    assert.deepEqual(loadConfig({ env: {} }), defaultConfig());
  });

  it('a bridge secret turns the bridge account on unless bridge.enabled is set explicitly (seed 003 configures it by the secret)', () => {
    assert.equal(loadConfig({ env: { BRIDGE_HEARTBEAT_SECRET: 'bridge-secret-1' } }).bridge.enabled, true);
    assert.equal(loadConfig({ file: write('bridge-secret.yaml', 'bridge:\n  secret: from-the-file\n') }).bridge.enabled, true);
    assert.equal(loadConfig({ file: write('bridge-off.yaml', 'bridge:\n  enabled: false\n'), env: { BRIDGE_HEARTBEAT_SECRET: 'bridge-secret-1' } }).bridge.enabled, false);
    assert.equal(loadConfig({ env: { TV_WEBHOOK_SECRET: 'tv' } }).bridge.enabled, false, 'no bridge secret: off');
  });

  it('tradingView.barSource and barSourceByAsset accept the documented values only', () => {
    const c = loadConfig({ file: write('bars.yaml', 'tradingView:\n  barSource: both\n  barSourceByAsset:\n    NQ: feed\n') });
    assert.deepEqual([c.tradingView.barSource, c.tradingView.barSourceByAsset], ['both', { NQ: 'feed' }]);
    assert.equal(loadConfig().tradingView.barSource, 'auto');
    assert.match(configError(() => loadConfig({ file: write('bars-bad.yaml', 'tradingView:\n  barSource: webhook\n') })), /tradingView\.barSource: must be one of auto, tradingview, feed, both/);
  });

  it('feed.historyBars: 2,000 bars by default, a whole number from 50 to 100,000', () => {
    assert.equal(loadConfig().feed.historyBars, 2000);
    assert.equal(loadConfig({ file: write('hist.yaml', 'feed:\n  historyBars: 300\n') }).feed.historyBars, 300);
    assert.match(configError(() => loadConfig({ file: write('hist-low.yaml', 'feed:\n  historyBars: 10\n') })), /feed\.historyBars: must be >= 50/);
    assert.match(configError(() => loadConfig({ file: write('hist-frac.yaml', 'feed:\n  historyBars: 99.5\n') })), /feed\.historyBars: must be integer/);
  });

  it('merges a YAML file over the defaults, key by key', () => {
    const file = write('partial.yaml', 'server:\n  port: 8100\nrisk:\n  maxOpenPositions: 7\n');
    const c = loadConfig({ file });
    assert.equal(c.server.port, 8100);
    assert.equal(c.server.host, '127.0.0.1', 'sibling keys keep their defaults');
    assert.equal(c.risk.maxOpenPositions, 7);
    assert.equal(c.risk.riskPerTrade, defaultConfig().risk.riskPerTrade);
  });

  it('reads JSON files too, and treats an empty YAML file as no settings', () => {
    assert.equal(loadConfig({ file: write('c.json', JSON.stringify({ dataDir: '/srv/tw' })) }).dataDir, '/srv/tw');
    assert.deepEqual(loadConfig({ file: write('empty.yaml', '') }), defaultConfig());
  });

  it('lets PORT, HOST and DATA_DIR override the file', () => {
    const file = write('env.yaml', 'server:\n  port: 8100\n  host: 127.0.0.2\ndataDir: /from/file\n');
    const c = loadConfig({ file, env: { PORT: '9100', HOST: '::1', DATA_DIR: '/from/env' } });
    assert.equal(c.server.port, 9100);
    assert.equal(c.server.host, '::1');
    assert.equal(c.dataDir, '/from/env');
    // An empty variable is treated as unset.
    assert.equal(loadConfig({ file, env: { PORT: '' } }).server.port, 8100);
  });

  it('storage: sqlite by default; TRADEWIND_STORAGE, DATABASE_URL and TRADEWIND_PG_SCHEMA select PostgreSQL; the URL is printed without its password', () => {
    assert.equal(loadConfig({ env: {} }).storage, 'sqlite');
    const c = loadConfig({ env: { TRADEWIND_STORAGE: 'postgres', DATABASE_URL: 'postgres://tw:s3cret@db:5432/trading', TRADEWIND_PG_SCHEMA: 'desk_a' } });
    assert.deepEqual([c.storage, c.database], ['postgres', { url: 'postgres://tw:s3cret@db:5432/trading', schema: 'desk_a' }]);
    assert.equal(redactConfig(c).database.url, 'postgres://tw:***@db:5432/trading');
    assert.ok(!JSON.stringify(redactConfig(c)).includes('s3cret'));
    assert.throws(() => loadConfig({ env: { TRADEWIND_STORAGE: 'mysql' } }), /storage: .*TRADEWIND_STORAGE/);
    assert.throws(() => loadConfig({ env: { TRADEWIND_PG_SCHEMA: 'Bad-Name' } }), /database\.schema/);
  });

  it('lets flags override the environment', () => {
    const c = loadConfig({
      env: { PORT: '9100', HOST: '::1', DATA_DIR: '/from/env' },
      overrides: [
        { path: ['server', 'port'], value: 9200, source: 'flag --port' },
        { path: ['dataDir'], value: '/from/flag', source: 'flag --data-dir' },
      ],
    });
    assert.equal(c.server.port, 9200);
    assert.equal(c.dataDir, '/from/flag');
    assert.equal(c.server.host, '::1', 'no host flag: the environment still applies');
  });

  it('names the key and the environment variable for PORT=abc', () => {
    const msg = configError(() => loadConfig({ env: { PORT: 'abc' } }));
    assert.match(msg, /server\.port/);
    assert.match(msg, /environment variable PORT/);
  });

  it('names the key and the file for server.port: -1 in YAML', () => {
    const file = write('neg.yaml', 'server:\n  port: -1\n');
    const msg = configError(() => loadConfig({ file }));
    assert.match(msg, /server\.port/);
    assert.ok(msg.includes(`config file ${file}`), msg);
  });

  it('names the flag when a flag value is out of range', () => {
    const msg = configError(() => loadConfig({ env: { PORT: '9000' }, overrides: [{ path: ['server', 'port'], value: 70_000, source: 'flag --port' }] }));
    assert.match(msg, /server\.port/);
    assert.match(msg, /flag --port/);
    assert.doesNotMatch(msg, /environment variable PORT/);
  });

  it('names an unknown key, nested or top-level', () => {
    const file = write('unknown.yaml', 'server:\n  prot: 9000\nbogus: 1\n');
    const msg = configError(() => loadConfig({ file }));
    assert.match(msg, /server\.prot: unknown key/);
    assert.match(msg, /bogus: unknown key/);
    assert.ok(msg.includes(file));
  });

  it('rejects a value of the wrong type from an environment boolean', () => {
    const msg = configError(() => loadConfig({ env: { TRADEWIND_DEMO_BOT: 'maybe' } }));
    assert.match(msg, /demoBot\.enabled/);
    assert.match(msg, /TRADEWIND_DEMO_BOT/);
    assert.equal(loadConfig({ env: { TRADEWIND_DEMO_BOT: 'off' } }).demoBot.enabled, false);
  });

  it('gives a clear error for malformed YAML', () => {
    const file = write('bad.yaml', 'server: [\n  port: 1\n');
    const msg = configError(() => loadConfig({ file }));
    assert.ok(msg.startsWith(`Config file ${file} is not valid YAML:`), msg);
  });

  it('gives a clear error for malformed JSON', () => {
    const file = write('bad.json', '{"server": {"port": 1,}}');
    const msg = configError(() => loadConfig({ file }));
    assert.ok(msg.startsWith(`Config file ${file} is not valid JSON:`), msg);
  });

  it('refuses a file whose top level is not a mapping, and a missing file', () => {
    assert.match(configError(() => loadConfig({ file: write('list.yaml', '- a\n- b\n') })), /top level must be a mapping/);
    assert.match(configError(() => loadConfig({ file: dirs.file('missing.yaml') })), /Cannot read config file .*missing\.yaml/);
  });

  it('redacts API tokens', () => {
    const c = loadConfig({ env: { TRADEWIND_API_TOKENS: 'abcdefghijklmnop1, abcdefghijklmnop2' } });
    assert.deepEqual(c.auth.apiTokens, ['abcdefghijklmnop1', 'abcdefghijklmnop2']);
    assert.deepEqual(redactConfig(c).auth.apiTokens, ['***', '***']);
    assert.deepEqual(c.auth.apiTokens, ['abcdefghijklmnop1', 'abcdefghijklmnop2'], 'the original is untouched');
  });
});
