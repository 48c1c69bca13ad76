import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { redactUrl, registerRequestLog } from '../../src/api/request-log.js';
import { createLogging } from '../../src/cli/logger.js';

/** A Fastify app with the request log on the real logger (into its ring); a console stand-in. */
async function app(level: string, component?: string) {
  const lines: string[] = [];
  const { logger, ring } = createLogging({ level, dataDir: '/nonexistent', toFile: false, stdout: { write: (s: string) => void lines.push(s) } });
  const log = component ? logger.child({ component }) : logger;
  // As src/api/app.ts builds it: Fastify's own request lines off (they would log the raw URL).
  const server = Fastify({ loggerInstance: log as FastifyBaseLogger, disableRequestLogging: true });
  registerRequestLog(server, log);
  server.get('/api/engine/status', async () => ({ state: 'IDLE' }));
  server.get('/api/orders/pending', async (_req, reply) => reply.code(401).send({ ok: false }));
  await server.ready();
  return { server, ring, lines };
}

describe('request/response log lines (seed 001 middleware format)', () => {
  it('logs "Request: METHOD URL" and "Response: STATUS (Ns) METHOD URL" at info with method, url, status and duration_s', async () => {
    const { server, ring } = await app('info', 'api');
    try {
      const res = await server.inject({ method: 'GET', url: '/api/engine/status', headers: { host: 'localhost:8000' } });
      assert.equal(res.statusCode, 200);
      const entries = ring.query({ component: 'api' }).filter((e) => /^(Request|Response):/.test(e.message));
      assert.equal(entries.length, 2, JSON.stringify(entries));
      const [request, response] = entries;
      assert.equal(request?.level, 'INFO');
      assert.equal(request?.message, 'Request: GET http://localhost:8000/api/engine/status');
      assert.deepEqual([request?.data?.method, request?.data?.url], ['GET', 'http://localhost:8000/api/engine/status']);
      assert.match(String(response?.message), /^Response: 200 \(\d+\.\d{3}s\) GET http:\/\/localhost:8000\/api\/engine\/status$/);
      assert.equal(response?.data?.status, 200);
      assert.equal(typeof response?.data?.duration_s, 'number');
      assert.ok((response?.data?.duration_s as number) >= 0 && (response?.data?.duration_s as number) < 5);
      assert.equal(response?.component, 'api');
    } finally {
      await server.close();
    }
  });

  it('redacts secrets and tokens in logged URLs, refused requests included; a logger without a component logs as http', async () => {
    const { server, ring, lines } = await app('info');
    try {
      const res = await server.inject({ method: 'GET', url: '/api/orders/pending?secret=s3cr3t-value&limit=5&Token=tok-123&owner=vps1' });
      assert.equal(res.statusCode, 401);
      const entries = ring.query({ component: 'http' });
      assert.deepEqual(
        entries.map((e) => e.message.replace(/\(\d+\.\d{3}s\)/, '(Xs)')),
        ['Request: GET http://localhost:80/api/orders/pending?secret=[redacted]&limit=5&Token=[redacted]&owner=vps1', 'Response: 401 (Xs) GET http://localhost:80/api/orders/pending?secret=[redacted]&limit=5&Token=[redacted]&owner=vps1'],
      );
      const all = lines.join('');
      assert.ok(!all.includes('s3cr3t-value') && !all.includes('tok-123'), 'no secret on the console');
    } finally {
      await server.close();
    }
  });

  it('registers nothing when info is off (LOG_LEVEL=warn costs nothing per request)', async () => {
    const { server, ring, lines } = await app('warn', 'api');
    try {
      await server.inject({ method: 'GET', url: '/api/engine/status' });
      assert.equal(ring.size, 0);
      assert.equal(lines.length, 0);
    } finally {
      await server.close();
    }
  });

  it('redactUrl covers the usual secret parameter names and leaves the rest', () => {
    assert.equal(redactUrl('/a?x=1&y=2'), '/a?x=1&y=2');
    assert.equal(redactUrl('/a'), '/a');
    assert.equal(
      redactUrl('/a?api_key=1&access_token=2&password=3&sig=4&key=5&apikey=6&keyword=ok'),
      '/a?api_key=[redacted]&access_token=[redacted]&password=[redacted]&sig=[redacted]&key=[redacted]&apikey=[redacted]&keyword=ok',
    );
  });
});
