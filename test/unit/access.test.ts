import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Fastify, { type FastifyRequest } from 'fastify';
import { accessControl, badPath, scopeAccess, withAccess } from '../../src/api/auth.js';
import { jsonTooDeep, MAX_JSON_DEPTH, redactPaths } from '../../src/api/errors.js';
import { groupOf } from '../../src/api/rate-limits.js';
import { hashPassword, OperatorAuth } from '../../src/app/operator-auth.js';
import { loadConfig } from '../../src/cli/config.js';
import { defaultRateGroups } from '../../src/cli/config-defaults.js';
import { tempDir } from '../helpers/server.js';

function memorySessions() {
  const m = new Map<string, { createdAt: number; expiresAt: number; client: string }>();
  return {
    createSession: (s: { tokenHash: string; createdAt: number; expiresAt: number; client: string }) => void m.set(s.tokenHash, s),
    findSession: (h: string, now: number) => {
      const s = m.get(h);
      return s && s.expiresAt > now ? s : null;
    },
    deleteSession: (h: string) => void m.delete(h),
    purgeSessions: () => 0,
  };
}

const operatorAuth = (passwordHash: string | null, apiTokens: string[] = [], maxFailures = 5) =>
  new OperatorAuth({ sessions: memorySessions(), clock: { now: () => 1_000_000 }, passwordHash, apiTokens, sessionTtlMs: 60_000, maxFailures, failureWindowMs: 900_000 });

describe('access classes are declared on routes and checked against the matched route', () => {
  it('start-up fails when a route declares no access class', async () => {
    const app = Fastify();
    accessControl(app, { auth: operatorAuth(null), trustedOrigins: [] });
    app.get('/declared', { config: { access: 'open' } }, async () => ({ ok: true }));
    app.register(async (scope) => {
      scope.get('/forgotten', async () => ({ ok: true }));
    });
    await assert.rejects(async () => {
      await app.ready();
    }, /GET \/forgotten declares no access class/);
  });

  it('a declared class, a scope default (third-party plugin routes) and a wrapped registration all count', async () => {
    const app = Fastify();
    accessControl(app, { auth: operatorAuth(null, ['a-token-0123456789abcdef']), trustedOrigins: [] });
    const seen = new Map<string, unknown>();
    app.addHook('onRoute', (r) => void seen.set(`${String(r.method)} ${r.url}`, r.config?.access));
    app.get('/mine', { config: { access: 'operator' } }, async () => 'x');
    await app.register(async (scope) => {
      scopeAccess(scope, 'open');
      scope.get('/from-a-plugin', async () => 'x');
      scope.get('/declared-wins', { config: { access: 'operator' } }, async () => 'x');
    });
    await withAccess(app, 'open', () => app.register(async (s) => void s.get('/wrapped', async () => 'x')));
    assert.throws(() => app.get('/after', async () => 'x'), /declares no access class/, 'the default ends with the wrapped registration');
    await app.ready();
    assert.equal(seen.get('GET /mine'), 'operator');
    assert.equal(seen.get('HEAD /mine'), 'operator', 'the automatic HEAD route has the same class');
    assert.equal(seen.get('GET /from-a-plugin'), 'open');
    assert.equal(seen.get('GET /declared-wins'), 'operator');
    assert.equal(seen.get('GET /wrapped'), 'open');
    // The matched route decides: an encoded spelling of /mine is still /mine, and still guarded.
    for (const url of ['/mine', '/%6Dine', '/m%69ne']) assert.equal((await app.inject({ url })).statusCode, 401, url);
    assert.equal((await app.inject({ url: '/%6Dine', headers: { authorization: 'Bearer a-token-0123456789abcdef' } })).statusCode, 200);
    assert.equal((await app.inject({ url: '/from-a-plugin' })).statusCode, 200);
    await app.close();
  });

  it('without a password only loopback host names are served (DNS rebinding); configured origins count; with auth the Host is not needed', async () => {
    const open = Fastify();
    accessControl(open, { auth: operatorAuth(null), trustedOrigins: ['https://desk.example'] });
    open.post('/act', { config: { access: 'operator' } }, async () => 'done');
    for (const host of ['127.0.0.1:8000', 'localhost:8000', '[::1]:8000', 'desk.example', 'app.localhost']) {
      assert.equal((await open.inject({ method: 'POST', url: '/act', headers: { host } })).statusCode, 200, host);
    }
    for (const host of ['rebound.example:8000', '127.0.0.1.evil.example', '10.0.0.5:8000']) {
      const r = await open.inject({ method: 'POST', url: '/act', headers: { host, origin: `http://${host}` } });
      assert.equal(r.statusCode, 403, host);
    }
    await open.close();
    const guarded = Fastify();
    accessControl(guarded, { auth: operatorAuth(null, ['a-token-0123456789abcdef']), trustedOrigins: [] });
    guarded.get('/read', { config: { access: 'operator' } }, async () => 'ok');
    assert.equal((await guarded.inject({ url: '/read', headers: { host: 'tradewind.example', authorization: 'Bearer a-token-0123456789abcdef' } })).statusCode, 200);
    await guarded.close();
  });

  it('badPath refuses encoded control characters and undecodable paths, and leaves data escapes to the router', () => {
    assert.equal(badPath('/api/state'), null);
    assert.equal(badPath('/api/scanner/market-data/BTC%2FUSDT?x=%00'), null, 'an encoded slash is data; the query is not the path');
    assert.equal(badPath('/%61pi/state'), null, 'encoded letters are the router business (it decodes them and then matches)');
    assert.match(String(badPath('/api/state%00')), /control/);
    assert.match(String(badPath('/api/%0astate')), /control/);
    assert.match(String(badPath('/api/%E0%A4')), /decode/);
  });
});

describe('JSON bodies, errors, rate groups', () => {
  it('jsonTooDeep counts nesting outside strings only', () => {
    assert.equal(jsonTooDeep('{"a":[1,2,{"b":[]}]}', 4), false, 'four levels');
    assert.equal(jsonTooDeep('{"a":[1,2,{"b":[]}]}', 3), true);
    assert.equal(jsonTooDeep('[[[[]]]]', 3), true);
    assert.equal(jsonTooDeep(`{"s":"${'['.repeat(500)}"}`, 2), false, 'brackets inside a string');
    assert.equal(jsonTooDeep(`{"s":"\\"${'['.repeat(500)}"}`, 2), false, 'an escaped quote does not end the string');
    assert.equal(jsonTooDeep(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`, MAX_JSON_DEPTH), false);
    assert.equal(jsonTooDeep(`${'['.repeat(5000)}${']'.repeat(5000)}`, MAX_JSON_DEPTH), true);
  });

  it('redactPaths hides server directories and database files', () => {
    const paths = [
      { path: '/srv/tw/data', label: '<data dir>' },
      { path: '/srv/tw/data/imports', label: '<import dir>' },
    ];
    assert.equal(redactPaths('cannot open /srv/tw/data/imports/x.csv', paths), 'cannot open <import dir>/x.csv');
    assert.equal(redactPaths('SqliteError at /other/place/market.db', paths), 'SqliteError at <database file>');
    assert.equal(redactPaths('Not Found: GET /api/x', paths), 'Not Found: GET /api/x');
  });

  it('groupOf: the route and the caller pick the budget', () => {
    const req = (config: Record<string, unknown>, method = 'GET', caller: unknown = { kind: 'anonymous' }) => ({ routeOptions: { config }, method, caller }) as unknown as FastifyRequest;
    assert.equal(groupOf(req({ access: 'operator' })), 'reads');
    assert.equal(groupOf(req({ access: 'operator' }, 'POST')), 'control');
    assert.equal(groupOf(req({ access: 'operator' }, 'POST', { kind: 'session', key: 's' })), 'operator');
    assert.equal(groupOf(req({ access: 'operator', rateGroup: 'uploads' }, 'POST', { kind: 'token', key: 't' })), 'uploads');
    assert.equal(groupOf(req({ access: 'operator', rateGroup: 'batch' }, 'POST')), 'batch');
    assert.equal(groupOf(req({ access: 'open', rateGroup: 'login' }, 'POST')), 'login');
    assert.equal(groupOf(req({ access: 'bridge' })), 'bridge');
    assert.equal(groupOf(req({ access: 'webhook' }, 'POST')), 'webhook');
    assert.equal(groupOf(req({})), 'open', 'unmatched (404)');
  });

  it('configuration: groups from the file and the environment; BRIDGE_HEARTBEAT_SECRET alone enables the bridge', () => {
    const c = loadConfig({ env: { TRADEWIND_RATE_LIMIT: '50/5', TRADEWIND_RATE_LIMIT_UPLOADS: '3', TRADEWIND_CORS_ORIGINS: 'https://desk.example/, http://localhost:5173', TRADEWIND_TRUST_PROXY: '1' } });
    assert.deepEqual(c.rateLimit.groups.control, { max: 50, windowMs: 60_000, burstPerSecond: 5 });
    assert.deepEqual(c.rateLimit.groups.uploads, { ...defaultRateGroups().uploads, max: 3 });
    assert.equal(c.rateLimit.enabled, true);
    assert.deepEqual(c.server.corsOrigins, ['https://desk.example', 'http://localhost:5173']);
    assert.equal(c.server.trustProxy, 1);
    assert.equal(loadConfig({ env: { TRADEWIND_RATE_LIMIT: 'off' } }).rateLimit.enabled, false);
    assert.throws(() => loadConfig({ env: { TRADEWIND_RATE_LIMIT_READS: 'lots' } }), /rateLimit\.groups\.reads\.max.*TRADEWIND_RATE_LIMIT_READS/);
    assert.throws(() => loadConfig({ env: { TRADEWIND_CORS_ORIGINS: 'desk.example' } }), /server\.corsOrigins/);
    assert.equal(loadConfig({}).bridge.enabled, false);
    assert.equal(loadConfig({ env: { BRIDGE_HEARTBEAT_SECRET: 's3cret' } }).bridge.enabled, true);
    const file = join(tempDir(), 'c.json');
    writeFileSync(file, JSON.stringify({ bridge: { enabled: false } }));
    assert.equal(loadConfig({ file, env: { BRIDGE_HEARTBEAT_SECRET: 's3cret' } }).bridge.enabled, false, 'an explicit enabled: false stays');
  });
});

describe('login throttling under concurrency', () => {
  it('200 concurrent guesses: at most maxFailures are checked, each guess takes a slot', async () => {
    const auth = operatorAuth(await hashPassword('right', { N: 1024, r: 8, p: 1 }));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => auth.login(`guess-${i}`, '10.0.0.1')));
    const statuses = results.map((r) => (r.ok ? 200 : r.status));
    assert.equal(statuses.filter((s) => s === 401).length, 5, 'exactly maxFailures checked');
    assert.equal(statuses.filter((s) => s === 429).length, 195);
    const right = await auth.login('right', '10.0.0.1');
    assert.equal(right.ok ? 200 : right.status, 429, 'throttled even with the right password');
    const other = await auth.login('right', '10.0.0.2');
    assert.ok(other.ok, 'another client is not affected');
  });

  it('a successful login clears the slots its own attempt took', async () => {
    const auth = operatorAuth(await hashPassword('right', { N: 1024, r: 8, p: 1 }), [], 2);
    assert.equal((await auth.login('wrong', 'c')).ok, false);
    assert.ok((await auth.login('right', 'c')).ok);
    assert.ok((await auth.login('wrong', 'c')).ok === false);
    assert.ok((await auth.login('right', 'c')).ok, 'one failure after a success: still below the limit');
  });
});
