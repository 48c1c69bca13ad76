import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { parse } from 'yaml';
import { adminRedis, dropKeys, redisSkip, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { testDatabaseUrl } from '../helpers/store-engines.js';
import { getJson, repoRoot, tempDir, waitFor } from '../helpers/server.js';

// docker-compose.yml: checked by `docker compose config` when the compose plugin is installed,
// otherwise parsed and its structure validated here; then every Tradewind process it names
// (server, worker) is started with its own command and environment, only the addresses of
// PostgreSQL and Redis, the ports and the directories replaced, and its healthcheck must pass.
const file = join(repoRoot, 'docker-compose.yml');
const token = randomBytes(24).toString('hex');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
}

/** Compose's variable syntax for what the file uses: ${NAME}, ${NAME:-default}, ${NAME:?error}. */
function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op: string | undefined, arg: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (op === '?') throw new Error(`compose: ${name}: ${arg}`);
    return op === '-' ? (arg ?? '') : '';
  });
}

const services = (): Record<string, Service> => (parse(interpolate(readFileSync(file, 'utf8'), { TRADEWIND_API_TOKENS: token }), { merge: true }) as { services: Record<string, Service> }).services;

const hasComposePlugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
const redisSkipReason = await redisSkip();
const pgSkipReason = await (async () => {
  const client = new pg.Client({ connectionString: testDatabaseUrl(), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return false;
  } catch (error) {
    const why = `PostgreSQL at ${testDatabaseUrl().replace(/:[^:@/]*@/, ':***@')} is unreachable (${(error as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${why}: the compose test must run under CI=true`, { cause: error });
    return `${why}: skipped (fails instead under CI=true)`;
  } finally {
    await client.end().catch(() => {});
  }
})();

describe('docker-compose.yml', () => {
  it('is valid: docker compose config, or (without the compose plugin) its structure checked here', (t) => {
    if (hasComposePlugin) {
      const r = spawnSync('docker', ['compose', '-f', file, 'config', '--quiet'], { encoding: 'utf8', env: { ...process.env, TRADEWIND_API_TOKENS: token } });
      assert.equal(r.status, 0, r.stderr);
    } else {
      t.diagnostic('docker compose is not installed here: the YAML is parsed and its structure checked instead');
    }
    assert.throws(() => interpolate(readFileSync(file, 'utf8'), {}), /TRADEWIND_API_TOKENS/, 'the servers refuse to start without a token');
    const s = services();
    for (const name of ['postgres', 'redis', 'server-1', 'server-2', 'worker']) assert.ok(s[name], `service ${name}`);
    for (const [name, svc] of Object.entries(s)) {
      assert.ok(svc.image, `${name} has an image`);
      assert.ok(svc.healthcheck?.test[0] === 'CMD', `${name} has a healthcheck`);
      for (const dep of Object.keys(svc.depends_on ?? {})) assert.ok(s[dep], `${name} depends on a defined service ${dep}`);
    }
    const [s1, s2] = [s['server-1'] as Service, s['server-2'] as Service];
    assert.deepEqual(s1.command, s2.command, 'both servers run the same command');
    const { TRADEWIND_INSTANCE_ID: id1, ...env1 } = s1.environment ?? {};
    const { TRADEWIND_INSTANCE_ID: id2, ...env2 } = s2.environment ?? {};
    assert.deepEqual(env1, env2, 'and the same environment');
    assert.notEqual(id1, id2, 'with their own instance ids');
    assert.equal(env1.TRADEWIND_STORAGE, 'postgres');
    assert.match(env1.DATABASE_URL ?? '', /^postgres:\/\/[^@]+@postgres:5432\//);
    assert.equal(env1.REDIS_URL, 'redis://redis:6379');
    assert.deepEqual((s.worker as Service).command?.slice(0, 3), ['node', 'bin/tradewind.js', 'worker']);
    assert.equal((s.worker as Service).environment?.REDIS_URL, env1.REDIS_URL, 'workers take jobs from the servers\' Redis');
  });

  describe('every Tradewind process it names starts the same way here and reaches healthy', { skip: redisSkipReason || pgSkipReason }, () => {
    const schema = `tw_compose_${randomBytes(4).toString('hex')}`;
    const prefix = uniquePrefix();
    const procs: ReturnType<typeof spawn>[] = [];
    after(async () => {
      // Waited for, so that nothing they write lands after the keys are dropped.
      await Promise.all(
        procs.filter((p) => p.exitCode === null && p.signalCode === null).map((p) => new Promise((resolve) => {
          p.once('exit', resolve);
          p.kill('SIGKILL');
        })),
      );
      const client = new pg.Client({ connectionString: testDatabaseUrl() });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
      const admin = adminRedis();
      await dropKeys(admin, prefix);
      admin.disconnect();
    });

    /** The service's environment with this machine's PostgreSQL and Redis, and a directory of its own. */
    const localEnv = (env: Record<string, string>): Record<string, string> => {
      const out = { ...env };
      if (out.DATABASE_URL) out.DATABASE_URL = testDatabaseUrl();
      if (out.REDIS_URL) out.REDIS_URL = testRedisUrl();
      if (out.DATA_DIR) out.DATA_DIR = tempDir('tw-compose-');
      if (out.TRADEWIND_IMPORT_DIR) out.TRADEWIND_IMPORT_DIR = tempDir('tw-compose-import-');
      return { ...out, TRADEWIND_PG_SCHEMA: schema, TRADEWIND_REDIS_PREFIX: prefix };
    };

    async function startAsComposeDoes(name: string, portFlag: string, started: RegExp): Promise<{ port: number; svc: Service }> {
      const svc = services()[name] as Service;
      const command = svc.command ?? [];
      assert.equal(command[0], 'node');
      const at = command.indexOf(portFlag);
      assert.ok(at > 0, `${name} names its port with ${portFlag}`);
      const args = command.slice(1).map((a, i) => (i === at ? '0' : a)); // the value after the flag: any free port here
      const proc = spawn(process.execPath, args, { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', ...localEnv(svc.environment ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
      procs.push(proc);
      let out = '';
      proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      const port = await waitFor(`${name} started`, async () => {
        if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}:\n${out}`);
        const m = started.exec(out);
        return m?.[1] ? Number(m[1]) : null;
      }, 180_000, 100);
      return { port, svc };
    }

    /** Runs the service's healthcheck command against the port it got here. */
    function healthcheck(svc: Service, port: number, composePort: string): number | null {
      const [kind, bin, ...args] = svc.healthcheck?.test ?? [];
      assert.equal(kind, 'CMD');
      assert.equal(bin, 'node');
      return spawnSync(process.execPath, args.map((a) => a.replace(`127.0.0.1:${composePort}`, `127.0.0.1:${port}`)), { encoding: 'utf8', timeout: 30_000 }).status;
    }

    it('server (server-1; server-2 is the same command and environment)', { timeout: 300_000 }, async () => {
      const { port, svc } = await startAsComposeDoes('server-1', '--port', /listening on http:\/\/[^:]+:(\d+)/);
      await waitFor('the server healthcheck passing', async () => healthcheck(svc, port, '8000') === 0, 120_000, 500);
      // Bound to 0.0.0.0 with the API token: operator routes need it.
      assert.equal((await getJson(`http://127.0.0.1:${port}/api/sweeps/sw-000000000000`)).status, 401);
      const withToken = await getJson<{ where: string }>(`http://127.0.0.1:${port}/api/sweeps/sw-000000000000`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(withToken.status, 404);
    });

    it('worker', { timeout: 300_000 }, async () => {
      const { port, svc } = await startAsComposeDoes('worker', '--health-port', /health http:\/\/[^:]+:(\d+)\/health/);
      await waitFor('the worker healthcheck passing', async () => healthcheck(svc, port, '8080') === 0, 120_000, 500);
      const health = await getJson<{ status: string; redis: string; concurrency: number }>(`http://127.0.0.1:${port}/health`);
      assert.equal(health.body.status, 'ok');
      assert.equal(health.body.redis, 'ok');
      assert.equal(health.body.concurrency, Number(svc.environment?.WORKER_CONCURRENCY));
    });
  });
});
