import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MIGRATIONS } from '../../src/adapters/store-sqlite/migrations.js';
import { connectWs, getJson, repoRoot, startServer, tempDir } from '../helpers/server.js';

const bin = join(repoRoot, 'bin', 'tradewind.js');

function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('configuration, CLI and security defaults', () => {
  it('--help lists the subcommands', async () => {
    const { code, out } = await runCli(['--help']);
    assert.equal(code, 0);
    for (const sub of ['start', 'config', 'migrate']) assert.match(out, new RegExp(`\\b${sub}\\b`));
  });

  it('a bad PORT is refused at start with a message naming the key and its source', async () => {
    const { code, out } = await runCli(['start', '--data-dir', tempDir()], { PORT: 'abc' });
    assert.equal(code, 2);
    assert.match(out, /server\.port/);
    assert.match(out, /PORT/);
  });

  it('binding a non-loopback address without API tokens is refused', async () => {
    const { code, out } = await runCli(['start', '--host', '0.0.0.0', '--port', '0', '--data-dir', tempDir()], { TRADEWIND_API_TOKENS: '' });
    assert.equal(code, 2);
    assert.match(out, /Refusing to bind 0\.0\.0\.0/);
  });

  it('config prints the effective configuration with tokens redacted', async () => {
    const token = 'super-secret-token-1234567890';
    const { code, out } = await runCli(['config'], { TRADEWIND_API_TOKENS: token, DATA_DIR: '/tmp/somewhere' });
    assert.equal(code, 0);
    assert.ok(!out.includes(token), 'token not printed');
    const config = JSON.parse(out) as { dataDir: string; auth: { apiTokens: string[] } };
    assert.equal(config.dataDir, '/tmp/somewhere');
    assert.deepEqual(config.auth.apiTokens, ['***']);
  });

  it('migrate creates the database at the current schema version', async () => {
    const dir = tempDir();
    const { code, out } = await runCli(['migrate', '--data-dir', dir]);
    assert.equal(code, 0, out);
    const latest = Math.max(...MIGRATIONS.map((m) => m.version));
    assert.ok(latest >= 5, 'the managed stops migration is there');
    assert.match(out, new RegExp(`schema version ${latest}\\n`));
  });

  it('when the port is taken, the next free one is used and printed', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const server = await startServer({ args: ['--port', String(taken)] }).catch(async (e: Error) => {
        // Extremely unlikely: the next port is taken too.
        throw e;
      });
      try {
        const port = Number(new URL(server.url).port);
        assert.ok(port > taken && port <= taken + 9, `listening on ${port}, blocked ${taken}`);
        const { status } = await getJson(`${server.url}/`);
        assert.equal(status, 200);
      } finally {
        await server.stop();
      }
    } finally {
      blocker.close();
    }
  });

  it('with API tokens, /api and /ws need the bearer token and health stays open; the token never reaches the logs', async () => {
    const token = 'test-token-abcdefghijklmnop';
    const server = await startServer({ env: { TRADEWIND_API_TOKENS: token, LOG_LEVEL: 'debug' } });
    try {
      assert.equal((await getJson(`${server.url}/`)).status, 200);
      const denied = await getJson<{ detail: string }>(`${server.url}/api/state`);
      assert.equal(denied.status, 401);
      assert.match(denied.body.detail, /token/);
      assert.equal((await getJson(`${server.url}/api/state`, { headers: { authorization: 'Bearer wrong-token-000000000' } })).status, 401);
      assert.equal((await getJson(`${server.url}/api/state`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      await assert.rejects(connectWs(server.wsUrl), /401/);
      const ws = await connectWs(server.wsUrl, { authorization: `Bearer ${token}` });
      ws.close();
      assert.ok(!server.output().includes(token), 'token absent from the server output');
    } finally {
      await server.stop();
    }
  });
});
