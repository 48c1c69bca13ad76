import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { startServer, tempDir, type ServerHandle } from '../helpers/server.js';

let server: ServerHandle;
const BOUNDARY = 'twboundary';

const part = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const filePart = (content: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="ticks.csv"\r\nContent-Type: text/csv\r\n\r\n${content}\r\n`;
const form = (parts: string[]) => Buffer.from(`${parts.join('')}--${BOUNDARY}--\r\n`);

function ticksCsv(n: number, header = true): string {
  const rows: string[] = header ? ['timestamp,price,volume'] : [];
  for (let i = 0; i < n; i++) rows.push(`${1735828200000 + i},${(21000 + (i % 40) * 0.25).toFixed(2)},${1 + (i % 3)}`);
  return rows.join('\n');
}

/** A plain HTTP client: posts and parses the `data:` lines of the event stream. */
function post(body: Buffer, headers: Record<string, string | number> = {}): Promise<{ status: number; contentType: string; events: Record<string, unknown>[]; raw: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL('/api/upload-tick-data', server.url);
    const req = request(url, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': body.length, ...headers } }, (res) => {
      let raw = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (raw += d));
      res.on('end', () => {
        const events = raw.startsWith('data: ') ? raw.split('\n\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')) as Record<string, unknown>) : [];
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), events, raw });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const countTicks = (symbol: string): number => {
  const db = new Database(join(server.dataDir, 'market.db'), { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ticks t JOIN symbols s ON s.id = t.sym WHERE s.symbol = ?`).get(symbol) as { n: number }).n;
  } finally {
    db.close();
  }
};

before(async () => {
  server = await startServer({ env: { TRADEWIND_MAX_UPLOAD_BYTES: String(2 * 1024 * 1024), TRADEWIND_DEMO_BOT: 'false' } });
});
after(async () => {
  await server.stop();
});

test('upload streams started, progress per batch and completed; re-upload skips every row', async () => {
  const body = form([part('instrument', 'NQ'), part('has_header', 'true'), filePart(`${ticksCsv(25_000)}\nnot,a,row`)]);
  const res = await post(body);
  assert.equal(res.status, 200);
  assert.match(res.contentType, /text\/event-stream/);
  assert.deepEqual(res.events[0], { status: 'started', message: 'Upload started' });
  const progress = res.events.filter((e) => e.status === 'progress');
  assert.deepEqual(progress.map((p) => [p.batch, p.uploaded, p.skipped]), [[1, 10_000, 0], [2, 20_000, 0], [3, 25_000, 0]]);
  const done = res.events[res.events.length - 1] as Record<string, unknown>;
  assert.equal(done.status, 'completed');
  assert.equal(done.success, true);
  assert.equal(done.total_rows, 25_001);
  assert.equal(done.uploaded_rows, 25_000);
  assert.equal(done.skipped_rows, 0);
  assert.equal(done.malformed_rows, 1);
  assert.deepEqual((done.malformed_examples as { line: number }[]).map((m) => m.line), [25_002]);
  assert.match(String(done.duration), /^\d+\.\ds$/);
  assert.equal(countTicks('NQ'), 25_000);
  // File first (the seed's curl order): spooled, then imported; every row is a duplicate now.
  const again = await post(form([filePart(ticksCsv(25_000)), part('instrument', 'NQ'), part('supabase_target', 'selfhosted')]));
  const last = again.events[again.events.length - 1] as Record<string, unknown>;
  assert.deepEqual([last.status, last.uploaded_rows, last.skipped_rows, last.supabase_target], ['completed', 0, 25_000, 'selfhosted']);
  assert.equal(countTicks('NQ'), 25_000);
});

test('validation: missing instrument, unknown instrument, no file', async () => {
  const a = await post(form([filePart(ticksCsv(3))]));
  assert.equal(a.status, 422);
  assert.match(JSON.parse(a.raw).detail, /instrument is required/);
  const b = await post(form([part('instrument', 'XYZ'), filePart(ticksCsv(3))]));
  assert.equal(b.status, 422);
  const c = await post(form([part('instrument', 'ES')]));
  assert.equal(c.status, 400);
  assert.match(JSON.parse(c.raw).detail, /file_path/);
});

test('file_path inside the import directory is imported; outside, ../ and symlinks out are refused', async () => {
  const importDir = join(server.dataDir, 'imports');
  mkdirSync(importDir, { recursive: true });
  writeFileSync(join(importDir, 'es.csv'), ticksCsv(100, false));
  const ok = await post(form([part('instrument', 'ES'), part('has_header', 'false'), part('file_path', 'es.csv')]));
  const done = ok.events[ok.events.length - 1] as Record<string, unknown>;
  assert.deepEqual([done.status, done.uploaded_rows], ['completed', 100]);
  const outside = join(tempDir(), 'secret.csv');
  writeFileSync(outside, ticksCsv(5));
  symlinkSync(outside, join(importDir, 'link.csv'));
  for (const p of [outside, '../tradewind.db', 'link.csv', '/etc/passwd']) {
    const r = await post(form([part('instrument', 'ES'), part('file_path', p)]));
    assert.equal(r.status, 403, `${p}: ${r.raw}`);
    assert.match(JSON.parse(r.raw).detail, /inside the import directory/);
  }
  assert.equal(countTicks('ES'), 100);
});

test('oversize uploads are refused with 413: by Content-Length, and while streaming', async () => {
  const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(new URL('/api/upload-tick-data', server.url), { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': 400 * 1024 * 1024 } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.write(part('instrument', 'ES'));
  });
  assert.equal(r.status, 413);
  assert.match(JSON.parse(r.body).detail, /too large/);
  // File first (spooled) and over the 2 MB test limit: 413 before any stream starts.
  const big = ticksCsv(100_000);
  const spooled = await post(form([filePart(big), part('instrument', 'MES')]));
  assert.equal(spooled.status, 413);
});

test('a client that disconnects mid-upload leaves whole batches only', async () => {
  const head = Buffer.from(part('instrument', 'MNQ') + `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="t.csv"\r\n\r\ntimestamp,price,volume\n`);
  const rows = ticksCsv(35_000, false);
  await new Promise<void>((resolve) => {
    const req = request(new URL('/api/upload-tick-data', server.url), { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'transfer-encoding': 'chunked' } }, (res) => {
      res.on('data', (d: Buffer) => {
        // After the first stored batch, go away in the middle of the file.
        if (d.toString().includes('"progress"')) req.destroy();
      });
      res.on('error', () => resolve());
      res.on('close', () => resolve());
    });
    req.on('error', () => resolve());
    req.write(head);
    req.write(rows.slice(0, Math.floor(rows.length * 0.4)));
  });
  await new Promise((r) => setTimeout(r, 500));
  const n = countTicks('MNQ');
  assert.ok(n > 0 && n % 10_000 === 0, `stored ${n} ticks`);
  // The server is still healthy.
  const ok = await post(form([part('instrument', 'MNQ'), filePart(ticksCsv(10))]));
  assert.equal(ok.events[ok.events.length - 1]?.status, 'completed');
});
