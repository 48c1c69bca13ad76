// What a server start loads (README "Start-up"): a default `tradewind start` (SQLite, simulated
// feed, paper broker, demo bot) loads no exchange, PostgreSQL, Redis, ONNX or model-training code,
// and compiles route schemas only when a route is first called; a configured exchange account
// does load ccxt. Modules are recorded by a loader hook preloaded into the real server process.
// The bundled start (dist/bundle/cli, what bin/tradewind.js runs after a build) loads the bundle's
// chunks instead of dist/src, far fewer modules, and still none of the optional packages.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { getJson, repoRoot, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';

const recorder = pathToFileURL(join(repoRoot, 'dist', 'test', 'helpers', 'module-recorder.js')).href;

/** Packages a default start must not load (by their directory under node_modules). */
const OPTIONAL_PACKAGES = ['ccxt', 'onnxruntime-node', 'pg', 'pg-copy-streams', 'synckit', 'ioredis', 'bullmq', 'playwright-core', 'undici'];
/** Our modules that only optional features use. */
const OPTIONAL_MODULES = ['src/cli/ccxt-account.js', 'src/cli/market-feed-ccxt.js', 'src/cli/storage-postgres.js', 'src/cli/coordinator.js', 'src/cli/model-servers.js', 'src/cli/cluster.js', 'src/cli/model.js', 'src/cli/model-server.js', 'src/cli/ingest.js', 'src/ml/gbdt/trainer.js', 'src/ml/train-job.js', 'src/adapters/redis/redis-services.js'];

const packageOf = (url: string): string | null => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? null;

async function recordedStart(extra: Record<string, unknown> | null, bundled = false): Promise<{ server: ServerHandle; file: string; lines: () => string[] }> {
  const dir = tempDir('tw-startup-');
  const file = join(dir, 'modules.txt');
  writeFileSync(file, '');
  let config: string | undefined;
  if (extra) {
    config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify(extra));
  }
  const server = await startServer({ dataDir: dir, ...(config ? { config } : {}), env: { MODULE_RECORD_FILE: file, NODE_OPTIONS: `--import=${recorder}`, TRADEWIND_NO_BUNDLE: bundled ? '' : '1' } });
  return { server, file, lines: () => readFileSync(file, 'utf8').split('\n').filter(Boolean) };
}

/** The CommonJS modules loaded so far (the preload writes them on SIGUSR2). */
async function cjsModules(run: { server: ServerHandle; lines: () => string[] }): Promise<string[]> {
  const before = run.lines().filter((l) => l === 'cjs-end').length;
  run.server.proc.kill('SIGUSR2');
  await waitFor('the module list', async () => run.lines().filter((l) => l === 'cjs-end').length > before);
  const lines = run.lines();
  const end = lines.lastIndexOf('cjs-end');
  const start = lines.lastIndexOf('cjs-end', end - 1) + 1;
  return lines.slice(start, end).map((l) => l.slice(4));
}

// The module graph is checked on dist/src (TRADEWIND_NO_BUNDLE=1); the bundle keeps its dynamic imports as chunks.
const bundleFresh = (): boolean => {
  const m = (p: string) => {
    try {
      return statSync(join(repoRoot, p)).mtimeMs;
    } catch {
      return Number.NaN;
    }
  };
  return m('dist/bundle/built') >= m('dist/.tsbuildinfo');
};
const ci = process.env.CI === 'true' || process.env.CI === '1';

describe('start-up: what a server start loads', () => {
  const servers: ServerHandle[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  it('a default start loads no optional package or feature module; route schemas compile on first use', async () => {
    const run = await recordedStart(null);
    servers.push(run.server);
    const esm = run.lines().filter((l) => l.startsWith('esm ')).map((l) => l.slice(4));
    // The recorder works: the server's own modules and its packages are in the list.
    assert.ok(esm.some((u) => u.endsWith('/dist/src/cli/server.js')), 'server.js recorded');
    assert.ok(esm.some((u) => packageOf(u) === 'better-sqlite3'), 'better-sqlite3 recorded');
    assert.ok(esm.some((u) => packageOf(u) === 'fastify'), 'fastify recorded');
    const packages = new Set(esm.map(packageOf).filter((p): p is string => p !== null));
    assert.deepEqual(OPTIONAL_PACKAGES.filter((p) => packages.has(p)), [], `optional packages loaded: ${[...packages].join(', ')}`);
    assert.deepEqual(OPTIONAL_MODULES.filter((m) => esm.some((u) => u.endsWith(`/dist/${m}`))), []);

    const cjs = await cjsModules(run);
    assert.ok(cjs.some((p) => packageOf(p) === 'fastify'), 'CommonJS modules recorded');
    for (const p of OPTIONAL_PACKAGES) assert.equal(cjs.some((f) => packageOf(f) === p), false, `${p} loaded (CommonJS)`);
    // No route called yet: no validator compiled, so Ajv is not even loaded.
    assert.equal(cjs.some((f) => packageOf(f) === '@fastify/ajv-compiler'), false, 'Ajv loaded before any request');

    // The first call of a route compiles its schema: bad input is refused, good input answered.
    const bad = await getJson(`${run.server.url}/api/logs?limit=0`);
    assert.deepEqual([bad.status, bad.body], [422, { detail: [{ loc: ['querystring', 'limit'], msg: 'must be >= 1', type: 'value_error' }], status_code: 422 }]);
    const unknown = await getJson(`${run.server.url}/api/v1/logs?unknown=1`);
    assert.deepEqual([unknown.status, unknown.body], [422, { detail: [{ loc: ['querystring', 'unknown'], msg: 'unknown field', type: 'value_error' }], status_code: 422 }]);
    const good = await getJson<unknown[]>(`${run.server.url}/api/logs?limit=2`);
    assert.equal(good.status, 200);
    assert.ok(Array.isArray(good.body) && good.body.length <= 2, JSON.stringify(good.body));
    assert.ok((await cjsModules(run)).some((f) => packageOf(f) === '@fastify/ajv-compiler'), 'Ajv loaded once a route validated');
  });

  it('an exchange account loads ccxt (the lazy path is taken when configured)', async () => {
    const run = await recordedStart({
      demoBot: { enabled: false },
      accounts: [
        {
          id: 'venue',
          kind: 'ccxt',
          exchange: 'binanceusdm',
          environment: 'testnet',
          // Unset: the account reports missing credentials and never connects.
          apiKeyEnv: 'TW_STARTUP_TEST_NO_KEY',
          secretEnv: 'TW_STARTUP_TEST_NO_SECRET',
          startingBalance: 1_000,
          instruments: { 'BTC/USDT': { leverage: 1, marginType: 'isolated' } },
        },
      ],
    });
    servers.push(run.server);
    const esm = run.lines().filter((l) => l.startsWith('esm ')).map((l) => l.slice(4));
    assert.ok(esm.some((u) => packageOf(u) === 'ccxt'), 'ccxt loaded');
    assert.ok(esm.some((u) => u.endsWith('/dist/src/cli/ccxt-account.js')));
    // Only the account's exchange (src/adapters/ccxt/library.ts): not ccxt's index, which loads
    // every exchange it has, nor another exchange's class.
    const ccxtFiles = esm.filter((u) => packageOf(u) === 'ccxt').map((u) => u.replace(/^.*\/node_modules\/ccxt\/js\//, ''));
    assert.ok(ccxtFiles.includes('src/pro/binanceusdm.js'), ccxtFiles.join(', '));
    assert.ok(!ccxtFiles.includes('ccxt.js'), "ccxt's index was loaded");
    const exchanges = ccxtFiles.filter((f) => /^src\/(pro\/)?[a-z0-9]+\.js$/.test(f)).map((f) => f.replace(/^src\/(pro\/)?|\.js$/g, ''));
    assert.deepEqual([...new Set(exchanges)].sort(), ['binance', 'binanceusdm'], 'the exchange classes loaded (binanceusdm extends binance)');
    const accounts = await getJson<{ accounts: { id: string; state: string }[] }>(`${run.server.url}/api/accounts`);
    assert.equal(accounts.status, 200);
    assert.equal(accounts.body.accounts.find((a) => a.id === 'venue')?.state, 'no-credentials', JSON.stringify(accounts.body));
  });

  it('the bundled start: chunks of dist/bundle/cli, not dist/src; fewer modules; no optional package', async (t) => {
    if (!bundleFresh()) {
      if (ci) assert.fail('dist/bundle is older than the last tsc build (node scripts/bundle-server.mjs)');
      return t.skip('dist/bundle is older than the last tsc build: run node scripts/bundle-server.mjs');
    }
    const plain = await recordedStart(null);
    servers.push(plain.server);
    const bundled = await recordedStart(null, true);
    servers.push(bundled.server);
    const esmOf = (run: typeof plain) => run.lines().filter((l) => l.startsWith('esm ')).map((l) => l.slice(4));
    const esm = esmOf(bundled);
    assert.ok(esm.some((u) => u.endsWith('/dist/bundle/cli/main.js')), 'the bundle entry ran');
    assert.deepEqual(esm.filter((u) => u.includes('/dist/src/')), [], 'no module of dist/src loaded by a bundled start');
    const packages = new Set(esm.map(packageOf).filter((p): p is string => p !== null));
    assert.deepEqual(OPTIONAL_PACKAGES.filter((p) => packages.has(p)), []);
    for (const p of OPTIONAL_PACKAGES) assert.equal((await cjsModules(bundled)).some((f) => packageOf(f) === p), false, `${p} loaded (CommonJS)`);
    const count = async (run: typeof plain) => esmOf(run).length + (await cjsModules(run)).length;
    const [n, m] = [await count(bundled), await count(plain)];
    assert.ok(n < m / 2, `the bundled start loaded ${n} modules, the plain one ${m}`);
    assert.equal((await getJson(`${bundled.server.url}/api/logs?limit=0`)).status, 422, 'a bundled route validates');
  });
});
