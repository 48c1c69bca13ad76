import type { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import type { TradingFacade } from '../app/facade.js';
import type { StateBody } from '../app/stream-state.js';
import Type from 'typebox';
import { AccountParam } from './schemas.js';

const json = 'application/json; charset=utf-8';

/** Seed 000's REST surface, registered under /api and /api/v1. */
export interface ExtraState {
  view(): Record<string, unknown>;
  /** Changes whenever the view would change for a reason other than the passing of time. */
  revision(): number;
}

export async function streamRoutes(app: FastifyInstance, facade: TradingFacade, extraState?: ExtraState): Promise<void> {
  const stateBody = extraState ? mergedState(() => facade.stateBody(), extraState) : () => facade.stateBody();
  app.get('/account', { config: { access: 'operator' } }, async (_req, reply) => {
    const account = facade.account();
    if (!account) return reply.code(503).send({ detail: 'Account not available yet' });
    return account;
  });
  app.get(
    '/positions',
    { config: { access: 'operator' }, schema: { querystring: Type.Object({ account: Type.Optional(AccountParam()) }, { additionalProperties: true }) } },
    async (req, reply) => {
      const account = (req.query as { account?: string }).account;
      const positions = facade.positions(account);
      if (!positions) return reply.code(404).send({ detail: `Unknown account '${String(account)}': one of ${[...facade.accountIds(), 'all', 'dashboard'].join(', ')}` });
      return positions;
    },
  );
  app.get('/trades', { config: { access: 'operator' } }, async () => facade.trades());
  app.get('/scan', { config: { access: 'operator' } }, async () => facade.scan());
  // Serialised once per state change, however many clients poll it; pollers that send the
  // ETag back get 304, clients that accept gzip get the compressed copy.
  app.get('/state', { config: { access: 'operator' } }, (req, reply) => {
    const body = stateBody();
    reply.header('etag', body.etag).header('cache-control', 'no-cache').header('vary', 'accept-encoding');
    if (req.headers['if-none-match'] === body.etag) return reply.code(304).send();
    reply.type(json);
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(body.gzip());
    return reply.send(body.raw);
  });
}

/**
 * Seed 000's cached state body with a small extra object's keys (the operator desk: flags,
 * locks, connectivity, tempo) spliced in at the top level. The seed 000 part stays serialised
 * once per change; only the small part is encoded per request, and the merged body is reused
 * while both are unchanged.
 */
function mergedState(base: () => StateBody, extra: ExtraState): () => StateBody {
  let last: StateBody | null = null;
  let lastKey = '';
  let extraJson = '{}';
  let extraKey = '';
  let extraVersion = 0;
  return () => {
    const b = base();
    // The desk view is rebuilt when it changed or a second passed (its remaining times count
    // seconds), not on every request: each rebuild also releases expired locks.
    const key0 = `${extra.revision()}:${Math.floor(performance.now() / 1000)}`;
    if (key0 !== extraKey) {
      const next = JSON.stringify(extra.view());
      if (next !== extraJson) extraVersion += 1;
      extraJson = next;
      extraKey = `${extra.revision()}:${Math.floor(performance.now() / 1000)}`;
    }
    const key = `${b.etag}|${extraVersion}`;
    if (last && key === lastKey) return last;
    const inner = extraJson.slice(1, -1);
    const raw = inner ? Buffer.concat([b.raw.subarray(0, b.raw.length - 1), Buffer.from(`${b.raw.length > 2 ? ',' : ''}${inner}}`, 'utf8')]) : b.raw;
    const tag = createHash('sha1').update(extraJson).digest('base64url').slice(0, 12);
    let gz: Buffer | null = null;
    last = { version: b.version, raw, etag: `W/"${b.etag.slice(3, -1)}-${tag}"`, gzip: () => (gz ??= gzipSync(raw, { level: 6 })) };
    lastKey = key;
    return last;
  };
}
