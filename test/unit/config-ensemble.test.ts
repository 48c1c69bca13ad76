// Seed 004's configuration sections: the annotated example loads, bad values are refused with
// the key named, and cross-key mistakes are caught when the coordinator is configured.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/cli/config.js';
import { coordinatorSettings } from '../../src/cli/coordinator.js';
import { repoRoot } from '../helpers/server.js';
import { tempDir } from './support.js';

const SYMBOLS = ['BTC/USDT', 'ETH/USDT'];

test('config.yaml.example is a valid configuration with the six seed sections', () => {
  const c = loadConfig({ file: join(repoRoot, 'config.yaml.example') });
  assert.equal(c.ensemble.enabled, true);
  assert.equal(c.ensemble.model_endpoints.length, 4);
  assert.equal(c.timing.heartbeat_interval, 60);
  assert.equal(c.binance.testnet, true);
  assert.equal(c.telegram.enabled, false);
  const s = coordinatorSettings(c, SYMBOLS);
  assert.equal(s.symbol, 'BTC/USDT');
  assert.equal(s.requestSymbol, 'BTCUSDT');
  assert.equal(s.heartbeatMs, 60_000);
  assert.deepEqual(s.ensemble, { method: 'weighted_average', threshold: 0.6, minResponding: 2 });
});

test('bad values in the seed sections are refused naming the key', () => {
  const dir = tempDir('tw-cfg-');
  try {
    const file = join(dir.dir, 'bad.yaml');
    const cases: [string, RegExp][] = [
      ['ensemble:\n  method: bayesian\n', /ensemble\.method: must be one of weighted_average, majority_vote, confidence_weighted/],
      ['trading:\n  position_size_fraction: 2\n', /trading\.position_size_fraction: .*1/],
      ['safety:\n  max_error_rate: 0\n', /safety\.max_error_rate/],
      ['timing:\n  heartbeat_interval: "fast"\n', /timing\.heartbeat_interval/],
      ['binance:\n  api_key: abc\n', /binance\.api_key: unknown key/],
      ['telegram:\n  alert_levels: [LOUD]\n', /telegram\.alert_levels/],
      ['ensemble:\n  model_endpoints: [{ name: m1, host: 127.0.0.1, port: 70000, weight: 1, enabled: true }]\n', /ensemble\.model_endpoints\.0\.port/],
    ];
    for (const [yaml, message] of cases) {
      writeFileSync(file, yaml);
      assert.throws(() => loadConfig({ file }), (e: unknown) => e instanceof ConfigError && message.test(e.message), yaml);
    }
  } finally {
    dir.cleanup();
  }
});

test('cross-key mistakes: unknown symbol, more models required than enabled, a name used twice', () => {
  const dir = tempDir('tw-cfg-');
  try {
    const file = join(dir.dir, 'c.yaml');
    const check = (yaml: string, message: RegExp) => {
      writeFileSync(file, yaml);
      assert.throws(() => coordinatorSettings(loadConfig({ file }), SYMBOLS), (e: unknown) => e instanceof ConfigError && message.test(e.message), yaml);
    };
    check('trading:\n  symbol: DOGEUSDT\n', /trading\.symbol: DOGEUSDT is not a fed instrument/);
    check('ensemble:\n  enabled: true\n  min_responding_models: 5\n', /ensemble\.min_responding_models: 5 is more than the 4 enabled/);
    check('ensemble:\n  model_endpoints:\n    - { name: a, host: 127.0.0.1, port: 8001, weight: 1, enabled: true }\n    - { name: a, host: 127.0.0.1, port: 8002, weight: 1, enabled: true }\n', /model_endpoints\[1\]\.name: a is used twice/);
  } finally {
    dir.cleanup();
  }
});
