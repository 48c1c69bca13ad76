// The seed 001 client examples, copied unchanged from the seed into test/fixtures, run against
// the real server: the Python client (python3 + requests), the browser WebSocket snippet (in a
// child node process with the `ws` package as globalThis.WebSocket) and the curl examples.
// The examples hard-code localhost:8000; the server runs on a free port and only the port of
// their URLs is rewritten.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fastConfig, getJson, repoRoot, startServer, tempDir, type ServerHandle } from '../helpers/server.js';

type Obj = Record<string, unknown>;

const fixtures = join(repoRoot, 'test', 'fixtures');
const seedFile = join(repoRoot, '..', 'shared', 'seeds', '001_92f73638fd43c416.txt');
const SEED_HOST = 'localhost:8000';

function run(cmd: string, args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr, error });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The fixture is the seed's text, unchanged (checked when the seed is next to the repo). */
function assertCopiedFromSeed(fixture: string) {
  if (!existsSync(seedFile)) return;
  assert.ok(readFileSync(seedFile, 'utf8').includes(fixture), 'the fixture is copied unchanged from the seed');
}

describe('seed 001 client examples against the running server', () => {
  let server: ServerHandle;
  let port: string;

  before(async () => {
    const dir = tempDir();
    server = await startServer({ dataDir: dir, config: fastConfig(dir, { engine: { heartbeatMs: 1000 } }) });
    port = new URL(server.url).port;
  });
  after(async () => {
    await server?.stop();
  });

  it('the Python client (BreakoutBotClient) starts the engine and reads its status', async (t: TestContext) => {
    const client = readFileSync(join(fixtures, 'seed001_client.py'), 'utf8');
    assertCopiedFromSeed(client);
    const probe = await run('python3', ['-c', 'import requests']);
    if (probe.code !== 0) {
      const why = probe.error ? `python3 is not available (${probe.error.message})` : `python3 has no requests module (${probe.stderr.trim().split('\n').at(-1) ?? ''})`;
      if (process.env.CI === 'true') assert.fail(`${why}: CI must run the seed's Python client`);
      t.skip(`${why}: install python3 and requests to run the seed's Python client`);
      return;
    }
    const { code, stdout, stderr } = await run('python3', [join(fixtures, 'seed001_client_driver.py'), `${server.url}/api`], { env: { PYTHONDONTWRITEBYTECODE: '1' } });
    assert.equal(code, 0, `driver failed:\n${stderr}`);
    const out = JSON.parse(stdout.trim()) as { start: Obj; status: Obj };
    assert.equal(out.start.success, true);
    assert.equal(out.start.message, "Engine started with preset 'breakout_v1' in paper mode");
    assert.ok(!Number.isNaN(Date.parse(out.start.timestamp as string)));
    for (const f of ['state', 'preset', 'mode', 'startedAt', 'slots', 'openPositions', 'latencyMs', 'dailyR', 'consecutiveLosses']) {
      assert.ok(Object.hasOwn(out.status, f), `status has ${f}`);
    }
    assert.ok(['INITIALIZING', 'SCANNING', 'LEVEL_BUILDING', 'SIGNAL_WAIT', 'SIZING', 'EXECUTION', 'MANAGING'].includes(out.status.state as string), String(out.status.state));
    assert.equal(out.status.preset, 'breakout_v1');
    assert.equal(out.status.mode, 'paper');
    assert.equal(out.status.slots, 3);
    // The server agrees.
    assert.equal((await getJson<Obj>(`${server.url}/api/engine/status`)).body.preset, 'breakout_v1');
  });

  it('the JavaScript WebSocket example (browser API on the ws package) connects and receives events', async () => {
    const snippet = readFileSync(join(fixtures, 'seed001_ws_client.js.txt'), 'utf8');
    assertCopiedFromSeed(snippet);
    assert.ok(snippet.includes(`ws://${SEED_HOST}/ws`), 'the seed snippet names ws://localhost:8000/ws');
    // Only the port changes: the server listens on a free port, not 8000.
    const code = snippet.replace(`ws://${SEED_HOST}/ws`, `ws://localhost:${port}/ws`);
    const runner = [
      "import WebSocket from 'ws';",
      'globalThis.WebSocket = WebSocket;',
      '(0, eval)(process.env.SEED_SNIPPET);',
      'setTimeout(() => process.exit(0), Number(process.env.RUN_MS));',
    ].join('\n');
    const result = await run(process.execPath, ['--input-type=module', '-e', runner], { env: { SEED_SNIPPET: code, RUN_MS: '2500' }, timeoutMs: 20_000 });
    assert.equal(result.code, 0, `runner failed:\n${result.stderr}`);
    const lines = result.stdout.split('\n');
    assert.ok(lines.includes('WebSocket connected'), `'WebSocket connected' printed:\n${result.stdout.slice(0, 2000)}`);
    assert.ok(lines.some((l) => l.startsWith('Received: STATE_SNAPSHOT')), `'Received: STATE_SNAPSHOT' printed:\n${result.stdout.slice(0, 2000)}`);
    assert.ok(lines.some((l) => l.startsWith('Received: HEARTBEAT')), 'a HEARTBEAT within 2.5 s (heartbeatMs 1000)');
    assert.ok(!/WebSocket error/.test(result.stdout + result.stderr), 'no WebSocket error');
  });

  it("the seed's curl examples work with only the port changed", async () => {
    const text = readFileSync(join(fixtures, 'seed001_curl_examples.txt'), 'utf8');
    const examples = text.split('\n\n').map((e) => (e.endsWith('\n') ? e : `${e}\n`));
    assert.equal(examples.length, 5);
    for (const e of examples) assertCopiedFromSeed(e);
    const curl = async (example: string): Promise<unknown> => {
      assert.ok(example.includes(SEED_HOST));
      const { code, stdout, stderr } = await run('bash', ['-c', example.replaceAll(SEED_HOST, `localhost:${port}`)]);
      assert.equal(code, 0, `curl failed: ${stderr}`);
      return JSON.parse(stdout) as unknown;
    };
    // The engine may be running from the Python example: the start example needs it stopped.
    assert.equal((await getJson(`${server.url}/api/engine/stop`, { method: 'POST' })).status, 200);
    const [start, cancel, scan, presets, logs] = examples as [string, string, string, string, string];

    const started = (await curl(start)) as Obj;
    assert.equal(started.success, true, JSON.stringify(started));
    assert.equal(started.message, "Engine started with preset 'breakout_v1' in paper mode");

    const cancelled = (await curl(cancel)) as Obj;
    assert.match(String(cancelled.detail), /order_123/, 'unknown order: 404 detail');

    const snapshot = (await curl(scan)) as Obj;
    assert.equal(snapshot.totalScanned, 2, JSON.stringify(snapshot));
    assert.ok(Array.isArray(snapshot.candidates) && (snapshot.candidates as Obj[]).length <= 5);
    assert.equal((snapshot.summary as Obj).preset, 'breakout_v1');

    const list = (await curl(presets)) as Obj[];
    assert.deepEqual(list.map((p) => p.name).sort(), ['breakout_v1', 'scalping_high_freq']);

    const entries = (await curl(logs)) as Obj[];
    assert.ok(Array.isArray(entries) && entries.length <= 10);
    assert.ok(entries.every((e) => ['ERROR', 'CRITICAL'].includes(e.level as string)));
  });
});
