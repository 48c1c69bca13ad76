import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServer, tempDir, waitFor } from '../helpers/server.js';

type Obj = Record<string, unknown>;
const TOKEN_A = 'rate-token-a-0123456789abcdef';
const TOKEN_B = 'rate-token-b-0123456789abcdef';
const BRIDGE_SECRET = 'rate-bridge-secret-0123456789';

async function hit(url: string, init?: RequestInit): Promise<{ status: number; h: (n: string) => string | null; body: Obj }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, h: (n) => res.headers.get(n), body: (text ? JSON.parse(text) : {}) as Obj };
}

/** Rate limiting on: the helper turns it off unless a test sets TRADEWIND_RATE_LIMIT. */
const on = { TRADEWIND_RATE_LIMIT: 'on', TRADEWIND_DEMO_BOT: 'false' };

describe('rate limits per route group (issue 9)', () => {
  it('a group runs out on its own: 429 with Retry-After and X-RateLimit-*, {detail, status_code}; other groups unaffected', async () => {
    const server = await startServer({ env: { ...on, TRADEWIND_RATE_LIMIT_READS: '5', BRIDGE_HEARTBEAT_SECRET: BRIDGE_SECRET } });
    try {
      const remaining: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const r = await hit(`${server.url}/api/engine/status`);
        assert.equal(r.status, 200, `read ${i + 1} allowed`);
        assert.equal(r.h('x-ratelimit-limit'), '5');
        remaining.push(Number(r.h('x-ratelimit-remaining')));
        const reset = Number(r.h('x-ratelimit-reset'));
        assert.ok(reset > 0 && reset <= 60, `X-RateLimit-Reset in seconds: ${reset}`);
      }
      assert.deepEqual(remaining, [4, 3, 2, 1, 0]);
      const sixth = await hit(`${server.url}/api/engine/status`);
      assert.equal(sixth.status, 429);
      assert.equal(sixth.body.status_code, 429);
      assert.match(String(sixth.body.detail), /rate limit exceeded.*reads/i);
      assert.equal(sixth.h('x-ratelimit-limit'), '5');
      assert.equal(sixth.h('x-ratelimit-remaining'), '0');
      assert.ok(Number(sixth.h('x-ratelimit-reset')) > 0);
      assert.ok(Number(sixth.h('retry-after')) > 0 && Number(sixth.h('retry-after')) <= 60, `Retry-After ${sixth.h('retry-after')}`);
      assert.ok(sixth.h('x-process-time'), 'X-Process-Time on a 429');
      // Every read route shares the reads budget (the v1 alias too)...
      assert.equal((await hit(`${server.url}/api/presets/`)).status, 429);
      assert.equal((await hit(`${server.url}/api/v1/state`)).status, 429);
      // ...but the control surface, the bridge and health have budgets of their own.
      const control = await hit(`${server.url}/api/engine/pause`, { method: 'POST' });
      assert.equal(control.status, 400, 'control group: the state machine answers');
      assert.equal(control.h('x-ratelimit-limit'), '100');
      const bridge = await hit(`${server.url}/api/orders/pending?secret=${BRIDGE_SECRET}`);
      assert.equal(bridge.status, 200);
      assert.equal(bridge.h('x-ratelimit-limit'), '1200');
      const health = await hit(`${server.url}/`);
      assert.equal(health.status, 200);
      assert.equal(health.h('x-ratelimit-limit'), '1200');
    } finally {
      await server.stop();
    }
  });

  it("seed 001's burst: more than burstPerSecond in one second is 429 with Retry-After 1 (TRADEWIND_RATE_LIMIT=N/M sets the control group)", async () => {
    const server = await startServer({ env: { ...on, TRADEWIND_RATE_LIMIT: '100/2' } });
    try {
      const answers = await Promise.all(Array.from({ length: 6 }, () => hit(`${server.url}/api/engine/pause`, { method: 'POST' })));
      const limited = answers.filter((a) => a.status === 429);
      assert.ok(limited.length >= 2, `${limited.length} of 6 concurrent control requests refused`);
      for (const a of limited) {
        assert.equal(a.h('x-ratelimit-limit'), '2');
        assert.equal(a.h('retry-after'), '1');
        assert.match(String(a.body.detail), /2 requests per second for control routes/);
      }
      assert.ok(answers.filter((a) => a.status === 400).length >= 2, 'the first two of a second are answered');
      const after = await waitFor('the next second', async () => {
        const a = await hit(`${server.url}/api/engine/pause`, { method: 'POST' });
        return a.status !== 429 ? a : undefined;
      });
      assert.equal(after.status, 400);
      assert.equal(after.h('x-ratelimit-limit'), '100', 'headers show the per-minute window when not refused');
    } finally {
      await server.stop();
    }
  });

  it("an operator's token has its own budget (per token); batch and upload routes keep theirs; a fast window from the config file resets", async () => {
    const dir = tempDir();
    const config = join(dir, 'rates.json');
    writeFileSync(config, JSON.stringify({ rateLimit: { groups: { operator: { max: 4, windowMs: 1500, burstPerSecond: 0 }, uploads: { max: 1, windowMs: 3_600_000, burstPerSecond: 0 } } } }));
    const server = await startServer({ dataDir: dir, config, env: { ...on, TRADEWIND_API_TOKENS: `${TOKEN_A},${TOKEN_B}` } });
    const as = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });
    try {
      for (let i = 0; i < 4; i += 1) assert.equal((await hit(`${server.url}/api/engine/status`, as(TOKEN_A))).status, 200);
      const fifth = await hit(`${server.url}/api/engine/status`, as(TOKEN_A));
      assert.equal(fifth.status, 429);
      assert.match(String(fifth.body.detail), /operator routes/);
      const b = await hit(`${server.url}/api/engine/status`, as(TOKEN_B));
      assert.equal(b.status, 200, 'another token: another budget');
      assert.equal(b.h('x-ratelimit-limit'), '4');
      // A refused caller is refused before it is counted: anonymous requests do not use up an operator's budget.
      assert.equal((await hit(`${server.url}/api/engine/status`)).status, 401);
      // The window from the config file (1.5 s) lets token A in again soon.
      await waitFor('operator window reset', async () => (await hit(`${server.url}/api/engine/status`, as(TOKEN_A))).status === 200, 10_000, 200);
      // Uploads: 1 per hour here, whoever asks (the operator budget does not apply).
      const upload = (): Promise<{ status: number; h: (n: string) => string | null; body: Obj }> =>
        hit(`${server.url}/api/upload-tick-data`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN_A}`, 'content-type': 'multipart/form-data; boundary=b' }, body: '--b--\r\n' });
      const first = await upload();
      assert.notEqual(first.status, 429);
      assert.equal(first.h('x-ratelimit-limit'), '1');
      const second = await upload();
      assert.equal(second.status, 429);
      assert.ok(Number(second.h('retry-after')) > 3000, `Retry-After ${second.h('retry-after')} s (an hour window)`);
    } finally {
      await server.stop();
    }
  });

  it('TRADEWIND_RATE_LIMIT=off turns every group off', async () => {
    const server = await startServer({ env: { TRADEWIND_RATE_LIMIT: 'off', TRADEWIND_RATE_LIMIT_READS: '2', TRADEWIND_DEMO_BOT: 'false' } });
    try {
      for (let i = 0; i < 20; i += 1) {
        const r = await hit(`${server.url}/api/engine/status`);
        assert.equal(r.status, 200);
        assert.equal(r.h('x-ratelimit-limit'), null);
      }
    } finally {
      await server.stop();
    }
  });
});
