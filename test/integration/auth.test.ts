import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { connectWs, getJson, startServer, tempDir } from '../helpers/server.js';

type Obj = Record<string, unknown>;
const PASSWORD = 'correct horse battery staple';
const TOKEN = 'program-token-0123456789abcdef';
const json = (body: unknown, cookie?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
  body: JSON.stringify(body),
});

describe('operator authentication (seed 003, DESIGN.md §4)', () => {
  it('password login sets a strict HttpOnly session cookie that survives a restart; logout ends it; failures are throttled', async () => {
    const dataDir = tempDir();
    const env = { DASHBOARD_PASSWORD: PASSWORD, LOG_LEVEL: 'debug' };
    let server = await startServer({ dataDir, env });
    let cookie: string;
    try {
      assert.deepEqual((await getJson(`${server.url}/api/auth/status`)).body, { authenticated: false, password_required: true });
      const denied = await getJson<Obj>(`${server.url}/api/state`);
      assert.equal(denied.status, 401);
      assert.equal(denied.body.ok, false);
      assert.match(String(denied.body.error), /log in/);
      assert.equal((await getJson(`${server.url}/`)).status, 200, 'health stays open');
      await assert.rejects(connectWs(server.wsUrl), /401/);

      const wrong = await getJson<Obj>(`${server.url}/api/login`, json({ password: 'nope' }));
      assert.equal(wrong.status, 401);
      assert.deepEqual([wrong.body.ok, wrong.body.error], [false, 'Invalid password']);

      const res = await fetch(`${server.url}/api/login`, json({ password: PASSWORD }));
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { ok: true });
      const setCookie = res.headers.get('set-cookie') ?? '';
      assert.match(setCookie, /^tw_session=[A-Za-z0-9_-]{40,};/);
      assert.match(setCookie, /HttpOnly/i);
      assert.match(setCookie, /SameSite=Strict/i);
      assert.match(setCookie, /Path=\//);
      assert.doesNotMatch(setCookie, /Secure/i, 'plain HTTP: no Secure flag');
      cookie = setCookie.split(';')[0] as string;
      assert.equal((await getJson(`${server.url}/api/state`, { headers: { cookie } })).status, 200);
      assert.deepEqual((await getJson(`${server.url}/api/auth/status`, { headers: { cookie } })).body, { authenticated: true, password_required: true });
      const ws = await connectWs(server.wsUrl, { cookie });
      ws.close();
      assert.ok(!server.output().includes(PASSWORD), 'password never logged');
    } finally {
      await server.stop();
    }

    // Sessions are persisted: a restart keeps the operator logged in.
    server = await startServer({ dataDir, env });
    try {
      assert.equal((await getJson(`${server.url}/api/engine/status`, { headers: { cookie } })).status, 200, 'session survived the restart');
      const db = new Database(join(dataDir, 'tradewind.db'), { readonly: true });
      const dump = JSON.stringify(db.prepare('SELECT * FROM sessions').all());
      db.close();
      assert.ok(!dump.includes(cookie.split('=')[1] as string), 'only a hash of the session token is stored');
      assert.ok(!readFileSync(join(dataDir, 'tradewind.db')).includes(Buffer.from(PASSWORD)), 'the password is not in the database');

      const out = await getJson<Obj>(`${server.url}/api/logout`, json({}, cookie));
      assert.deepEqual(out.body, { ok: true });
      assert.equal((await getJson(`${server.url}/api/state`, { headers: { cookie } })).status, 401, 'logged out');

      for (let i = 0; i < 5; i += 1) assert.equal((await getJson(`${server.url}/api/login`, json({ password: `bad-${i}` }))).status, 401);
      const throttled = await fetch(`${server.url}/api/login`, json({ password: PASSWORD }));
      assert.equal(throttled.status, 429, 'even the right password waits once throttled');
      assert.ok(Number(throttled.headers.get('retry-after')) > 0);
    } finally {
      await server.stop();
    }
  });

  it('every protected route refuses without credentials and accepts a bearer token (sweep over the OpenAPI route table)', async () => {
    const server = await startServer({ env: { DASHBOARD_PASSWORD: PASSWORD, TRADEWIND_API_TOKENS: TOKEN } });
    try {
      const doc = (await getJson<{ paths: Record<string, Record<string, unknown>> }>(`${server.url}/api/docs/json`)).body;
      // Health routes stay open (DESIGN.md §4), seed 002's among them.
      const open = new Set(['/', '/api/login', '/api/logout', '/api/auth/status', '/api/health/', '/api/v1/trading/health']);
      const probes: { method: string; path: string }[] = [];
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const method of Object.keys(methods)) probes.push({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'x') });
      }
      assert.ok(probes.length >= 30, `route table has ${probes.length} operations`);
      for (const p of probes) {
        const init = (headers: Record<string, string>): RequestInit => ({ method: p.method, headers: { ...headers, ...(p.method === 'GET' ? {} : { 'content-type': 'application/json' }) }, ...(p.method === 'GET' ? {} : { body: '{}' }) });
        const anon = await fetch(`${server.url}${p.path}`, init({}));
        // The guard's refusal is a 401 with WWW-Authenticate; a login with no password is the handler's own 401.
        const guarded = (r: Response) => r.status === 401 && r.headers.get('www-authenticate') === 'Bearer';
        // Webhook and bridge routes authenticate with their own secret in the request, not the operator's.
        const ownSecret = p.path.startsWith('/tv_') || /^\/api\/(bridge|rithmic)\//.test(p.path) || p.path === '/api/orders/pending' || p.path.endsWith('/execution-report');
        if (ownSecret) {
          assert.ok([401, 403].includes(anon.status), `${p.method} ${p.path} refuses without its secret (got ${anon.status})`);
          await anon.body?.cancel();
          continue;
        }
        if (open.has(p.path)) {
          assert.ok(!guarded(anon), `${p.method} ${p.path} is open`);
        } else {
          assert.ok(guarded(anon), `${p.method} ${p.path} refuses without credentials (got ${anon.status})`);
          const v1 = p.path.startsWith('/api/') && !p.path.startsWith('/api/v1/') ? await fetch(`${server.url}${p.path.replace('/api/', '/api/v1/')}`, init({})) : null;
          if (v1) assert.ok(guarded(v1), `${p.method} /api/v1 alias of ${p.path} refuses too`);
        }
        const authed = await fetch(`${server.url}${p.path}`, init({ authorization: `Bearer ${TOKEN}` }));
        assert.ok(!guarded(authed), `${p.method} ${p.path} accepts the bearer token`);
        await anon.body?.cancel();
        await authed.body?.cancel();
      }
    } finally {
      await server.stop();
    }
  });

  it('a non-loopback bind is allowed once a password is set', async () => {
    const server = await startServer({ env: { DASHBOARD_PASSWORD: PASSWORD }, args: ['--host', '0.0.0.0'] });
    try {
      const port = new URL(server.url).port;
      assert.equal((await getJson(`http://127.0.0.1:${port}/`)).status, 200);
      assert.equal((await getJson(`http://127.0.0.1:${port}/api/state`)).status, 401);
    } finally {
      await server.stop();
    }
  });
});
