import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, it } from 'node:test';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { WebSocket } from 'ws';
import { redactUrl, registerRequestLog } from '../../src/api/request-log.js';
import { createLogging } from '../../src/cli/logger.js';
import { waitFor } from '../helpers/server.js';

/** A Fastify app with the request log on the real logger (into its ring); a console stand-in. */
async function app(level: string, component?: string) {
  const lines: string[] = [];
  const { logger, ring } = createLogging({ level, dataDir: '/nonexistent', toFile: false, stdout: { write: (s: string) => void lines.push(s) } });
  const log = component ? logger.child({ component }) : logger;
  // As src/api/app.ts builds it: Fastify's own request lines off (they would log the raw URL).
  const server = Fastify({ loggerInstance: log as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
  registerRequestLog(server, log);
  server.get('/api/engine/status', async () => ({ state: 'IDLE' }));
  server.get('/api/orders/pending', async (_req, reply) => reply.code(401).send({ ok: false }));
  server.get('/api/positions/:id', async (req) => ({ id: (req.params as { id: string }).id }));
  await server.register(websocket);
  server.get('/ws', { websocket: true }, (socket) => socket.send('hello'));
  // Answers only when the test says so: a client can go away before the answer.
  let release: () => void = () => {};
  let entered = false;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  server.get('/api/held', async () => {
    entered = true;
    await held;
    return { ok: true };
  });
  await server.ready();
  return { server, ring, lines, release, entered: () => entered };
}

const RESPONSE = /^Response: 200 \(\d+\.\d{3}s\) GET http:\/\/localhost:8000\/api\/engine\/status$/;

describe('access log at info (seed 001 format: a Request and a Response line)', () => {
  it('logs "Request: METHOD URL" on arrival and "Response: STATUS (Ns) METHOD URL" once answered, with one reqId; method, url, route, status and duration_s', async () => {
    const { server, ring, lines } = await app('info', 'api');
    try {
      const res = await server.inject({ method: 'GET', url: '/api/engine/status', headers: { host: 'localhost:8000' } });
      assert.equal(res.statusCode, 200);
      const entries = ring.query({ component: 'api' });
      assert.equal(entries.length, 2, JSON.stringify(entries));
      const [request, response] = entries;
      assert.deepEqual([request?.level, request?.message], ['INFO', 'Request: GET http://localhost:8000/api/engine/status']);
      assert.equal(request?.data?.reqId, response?.data?.reqId);
      assert.equal(response?.level, 'INFO');
      assert.match(String(response?.message), RESPONSE);
      assert.equal(response?.component, 'api');
      const data = response?.data as Record<string, unknown>;
      assert.deepEqual([data.method, data.url, data.route, data.status], ['GET', 'http://localhost:8000/api/engine/status', '/api/engine/status', 200]);
      assert.match(String(data.reqId), /^req-/);
      assert.equal(typeof data.duration_s, 'number');
      assert.ok((data.duration_s as number) >= 0 && (data.duration_s as number) < 5);
      // The console gets the same two lines.
      assert.equal(lines.length, 2);
      assert.match(JSON.parse(lines[1] as string).msg, RESPONSE);
    } finally {
      await server.close();
    }
  });

  it('names the matched route pattern beside the URL; a request that matches no route has none', async () => {
    const { server, ring } = await app('info', 'api');
    try {
      await server.inject({ method: 'GET', url: '/api/positions/P-17', headers: { host: 'localhost:8000' } });
      await server.inject({ method: 'GET', url: '/api/nothing-here', headers: { host: 'localhost:8000' } });
      const [known, missing] = ring.query({ component: 'api' }).filter((e) => e.message.startsWith('Response:'));
      assert.deepEqual([known?.data?.url, known?.data?.route, known?.data?.status], ['http://localhost:8000/api/positions/P-17', '/api/positions/:id', 200]);
      assert.deepEqual([missing?.data?.url, missing?.data?.status], ['http://localhost:8000/api/nothing-here', 404]);
      assert.equal(missing?.data?.route, undefined);
      assert.notEqual(known?.data?.reqId, missing?.data?.reqId, 'each request has its own id');
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
        [
          'Request: GET http://localhost:80/api/orders/pending?secret=[redacted]&limit=5&Token=[redacted]&owner=vps1',
          'Response: 401 (Xs) GET http://localhost:80/api/orders/pending?secret=[redacted]&limit=5&Token=[redacted]&owner=vps1',
        ],
      );
      const all = lines.join('');
      assert.ok(!all.includes('s3cr3t-value') && !all.includes('tok-123'), 'no secret on the console');
    } finally {
      await server.close();
    }
  });

  it('the Request line is written when the request arrives, before the answer, secrets redacted', async () => {
    const { server, ring, release, entered } = await app('info', 'api');
    try {
      const address = await server.listen({ port: 0, host: '127.0.0.1' });
      const access = () => ring.query({ component: 'api' }).filter((e) => !e.message.startsWith('Server listening'));
      const pending = fetch(`${address}/api/held`);
      await waitFor('the handler to receive the request', async () => entered(), 5_000, 10);
      assert.deepEqual(access().map((e) => e.message), [`Request: GET ${address}/api/held`], 'only the arrival line while unanswered');
      release();
      await (await pending).text();
      await waitFor('the response line', async () => access().length === 2, 5_000, 10);
      await server.inject({ method: 'GET', url: '/api/engine/status?token=abc', headers: { host: 'localhost:8000' } });
      const entries = access().slice(2);
      assert.deepEqual(entries.map((e) => e.level), ['INFO', 'INFO'], JSON.stringify(entries));
      const [request, response] = entries;
      assert.equal(request?.message, 'Request: GET http://localhost:8000/api/engine/status?token=[redacted]');
      assert.match(String(response?.message), /^Response: 200 \(\d+\.\d{3}s\) GET http:\/\/localhost:8000\/api\/engine\/status\?token=\[redacted\]$/);
      assert.equal(request?.data?.reqId, response?.data?.reqId);
    } finally {
      release();
      await server.close();
    }
  });

  it('logs a request whose client went away before the answer ("Aborted: ..."), at info', async () => {
    const { server, ring, release, entered } = await app('info', 'api');
    try {
      const address = await server.listen({ port: 0, host: '127.0.0.1' });
      const { port } = new URL(address);
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/held?secret=zz-top', method: 'GET' });
      req.on('error', () => {}); // the destroy below
      req.end();
      await waitFor('the handler to receive the request', async () => entered(), 5_000, 10);
      req.destroy();
      const aborted = await waitFor('the Aborted line', async () => ring.query({ component: 'api' }).find((e) => e.message.startsWith('Aborted:')), 5_000, 10);
      assert.equal(aborted.level, 'INFO');
      assert.equal(aborted.message, `Aborted: GET http://127.0.0.1:${port}/api/held?secret=[redacted] (the client closed the connection before the answer)`);
      assert.deepEqual([aborted.data?.method, aborted.data?.route, aborted.data?.aborted], ['GET', '/api/held', true]);
      assert.match(String(aborted.data?.reqId), /^req-/);
    } finally {
      release();
      await server.close();
    }
  });

  it('logs a WebSocket upgrade ("Upgrade: GET url (WebSocket)"), which never gets a response line', async () => {
    const { server, ring } = await app('info', 'api');
    try {
      const address = await server.listen({ port: 0, host: '127.0.0.1' });
      const ws = new WebSocket(`${address.replace('http', 'ws')}/ws?token=ws-tok-1`);
      await new Promise((resolve, reject) => {
        ws.once('message', resolve);
        ws.once('error', reject);
      });
      ws.close();
      const access = () => ring.query({ component: 'api' }).filter((e) => !e.message.startsWith('Server listening'));
      const entries = access().filter((e) => !e.message.startsWith('Request:'));
      assert.deepEqual(access().map((e) => e.message), [`Request: GET ${address}/ws?token=[redacted]`, `Upgrade: GET ${address}/ws?token=[redacted] (WebSocket)`]);
      assert.deepEqual([entries[0]?.data?.route, entries[0]?.data?.upgrade], ['/ws', 'websocket']);
      assert.match(String(entries[0]?.data?.reqId), /^req-/);
      // A plain GET of the same route is an ordinary request: its two lines, no upgrade line.
      await server.inject({ method: 'GET', url: '/ws' });
      assert.deepEqual(access().slice(2).map((e) => e.message.replace(/\(\d+\.\d{3}s\)/, '(Xs)')), ['Request: GET http://localhost:80/ws', 'Response: 404 (Xs) GET http://localhost:80/ws']);
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
