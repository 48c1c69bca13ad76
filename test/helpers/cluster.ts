// Shared set-up of the cluster tests: server processes in cluster mode on one PostgreSQL (a schema
// of the run's own) and one Redis (a key prefix of its own). `skip` is the reason when either is
// unreachable outside CI (under CI=true the helpers fail instead).
import pg from 'pg';
import { adminRedis, dropKeys, redisSkip, testRedisUrl, uniquePrefix } from './redis.js';
import { getJson, type ServerHandle } from './server.js';
import { postgresEngine, testDatabaseUrl } from './store-engines.js';

export type ClusterStatus = { role: string; instance: string; token: number | null; leader: { instance: string; url: string; token: number } | null };

export interface ClusterRig {
  skip: string | false;
  url: string;
  schema: string;
  prefix: string;
  /** The environment of instance `id` (plus `extra`). */
  env(id: string, extra?: Record<string, string>): Record<string, string>;
  query<T extends pg.QueryResultRow>(sql: string): Promise<T[]>;
  /** Drops the schema and the Redis keys of this run. */
  cleanup(): Promise<void>;
}

export async function clusterRig(name: string): Promise<ClusterRig> {
  const pgEngine = await postgresEngine();
  const redisSkipped = await redisSkip();
  const url = testDatabaseUrl();
  const schema = `tw_test_${name}_${process.pid}_${Date.now().toString(36)}`;
  const prefix = uniquePrefix();
  const query = async <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query<T>(sql)).rows;
    } finally {
      await c.end();
    }
  };
  return {
    skip: pgEngine.skip || redisSkipped,
    url,
    schema,
    prefix,
    env: (id, extra = {}) => ({
      TRADEWIND_STORAGE: 'postgres',
      DATABASE_URL: url,
      TRADEWIND_PG_SCHEMA: schema,
      REDIS_URL: testRedisUrl(),
      TRADEWIND_REDIS_PREFIX: prefix,
      TRADEWIND_INSTANCE_ID: id,
      TRADEWIND_CLUSTER: 'on',
      ...extra,
    }),
    query,
    async cleanup() {
      await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      const admin = adminRedis();
      await dropKeys(admin, prefix);
      admin.disconnect();
    },
  };
}

/** GET /api/cluster of an instance, or null while it switches role (its port is closed for a moment) or refuses. */
export const clusterNow = (s: ServerHandle, headers: Record<string, string> = {}): Promise<ClusterStatus | null> =>
  getJson<ClusterStatus>(`${s.url}/api/cluster`, { headers }).then(
    (r) => (r.status === 200 ? r.body : null),
    () => null,
  );
