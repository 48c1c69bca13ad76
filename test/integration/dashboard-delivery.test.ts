import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { repoRoot, startServer, type ServerHandle } from '../helpers/server.js';
import { dashboardBuilt, isCi } from '../helpers/browser.js';

const dist = join(repoRoot, 'web', 'dist');
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The raw bytes as sent (node's fetch would decode them). */
function raw(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

const skip = dashboardBuilt() ? false : 'web/dist is not built (node scripts/build-web.mjs)';
if (skip && isCi) throw new Error(`dashboard delivery tests cannot run under CI: ${skip}`);

describe('dashboard delivery: precompressed, hashed, cached (issue 15 item 7)', { skip }, () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer();
  });
  after(async () => server?.stop());

  it('index.html: brotli or gzip copy when accepted, no-cache, and it names the hashed bundle files', async () => {
    const file = readFileSync(join(dist, 'index.html'));
    const br = await raw(`${server.url}/`, { accept: 'text/html', 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.match(String(br.headers['content-type']), /^text\/html/);
    assert.equal(br.headers['cache-control'], 'no-cache');
    assert.match(String(br.headers.vary), /accept-encoding/i);
    assert.deepEqual(brotliDecompressSync(br.body), file);
    const gz = await raw(`${server.url}/`, { accept: 'text/html', 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), file);
    const plain = await raw(`${server.url}/`, { accept: 'text/html' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.deepEqual(plain.body, file);

    const html = file.toString();
    const assets = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), html);
    for (const a of assets) assert.match(a, /^[\w.-]+-[A-Za-z0-9_-]{8,}\.(?:js|css)$/, `${a} carries a content hash`);
  });

  it('hashed assets: .br body with Content-Encoding br (or gzip, or plain), cached a year as immutable', async () => {
    const html = readFileSync(join(dist, 'index.html'), 'utf8');
    const main = /src="\/assets\/([^"]+\.js)"/.exec(html)?.[1] as string;
    const file = readFileSync(join(dist, 'assets', main));
    const br = await raw(`${server.url}/assets/${main}`, { 'accept-encoding': 'br' });
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.match(String(br.headers['content-type']), /javascript/);
    assert.equal(br.headers['cache-control'], IMMUTABLE);
    assert.match(String(br.headers.vary), /accept-encoding/i);
    assert.ok(br.body.length < file.length / 2, `brotli ${br.body.length} of ${file.length} bytes`);
    assert.deepEqual(brotliDecompressSync(br.body), file);
    assert.deepEqual(br.body, readFileSync(join(dist, 'assets', `${main}.br`)), 'the precompressed file itself');
    const gz = await raw(`${server.url}/assets/${main}`, { 'accept-encoding': 'gzip' });
    assert.deepEqual([gz.headers['content-encoding'], gz.headers['cache-control']], ['gzip', IMMUTABLE]);
    assert.deepEqual(gunzipSync(gz.body), file);
    const plain = await raw(`${server.url}/assets/${main}`, {});
    assert.deepEqual([plain.headers['content-encoding'], plain.headers['cache-control']], [undefined, IMMUTABLE]);
    assert.deepEqual(plain.body, file);
    const css = /href="\/assets\/([^"]+\.css)"/.exec(html)?.[1] as string;
    const style = await raw(`${server.url}/assets/${css}`, { 'accept-encoding': 'br, gzip' });
    assert.deepEqual([style.headers['content-encoding'], style.headers['cache-control']], ['br', IMMUTABLE]);
  });

  it('the chart library is a chunk of its own that the first load does not import', async () => {
    const html = readFileSync(join(dist, 'index.html'), 'utf8');
    const main = /src="\/assets\/([^"]+\.js)"/.exec(html)?.[1] as string;
    const charts = readdirSync(join(dist, 'assets')).find((f) => /^lightweight-charts.*\.js$/.test(f));
    assert.ok(charts, 'a lightweight-charts chunk');
    assert.ok(!html.includes('lightweight-charts'), 'not preloaded by index.html');
    const code = readFileSync(join(dist, 'assets', main), 'utf8');
    // Static imports of an ES module bundle: `import{...}from"./x.js"` / `import"./x.js"`.
    const statics = [...code.matchAll(/import\s*(?:[\w${},\s*]+from\s*)?["']([^"']+)["']/g)].map((m) => m[1] as string);
    assert.ok(!statics.some((s) => s.includes('lightweight-charts')), `static imports: ${statics.join(', ')}`);
    assert.ok(!code.includes('createSeriesMarkers'), 'no chart code in the first bundle');
    const served = await raw(`${server.url}/assets/${charts}`, { 'accept-encoding': 'br' });
    assert.deepEqual([served.status, served.headers['content-encoding'], served.headers['cache-control']], [200, 'br', IMMUTABLE]);
  });
});
