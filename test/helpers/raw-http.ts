import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Keep-alive agent for many small requests to one server. */
export const rawAgent = (): Agent => new Agent({ keepAlive: true, maxSockets: 8 });

/**
 * An HTTP request whose path goes on the wire exactly as given (fetch normalises `..`, `.`,
 * `#` and percent-escapes; attackers do not).
 */
export function rawHttp(base: string, o: { method: string; path: string; headers?: Record<string, string>; body?: string; agent?: Agent }): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: o.method,
        path: o.path,
        // Without an agent: a connection of its own (a refused request may close it).
        agent: o.agent ?? false,
        headers: { ...(o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {}), ...o.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`no answer to ${o.method} ${o.path}`)));
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

/**
 * A WebSocket upgrade request on a raw socket, the path exactly as given (a `#` included):
 * resolves with the status of the answer (101 = the socket opened).
 */
export function rawUpgrade(base: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to the upgrade of ${path}`));
    }, 20_000);
    socket.on('connect', () => {
      const lines = [
        `GET ${path} HTTP/1.1`,
        `Host: ${url.host}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) {
        clearTimeout(timer);
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * A request that announces a body of `declaredBytes` but sends only its first bytes, on a raw
 * socket: the server's early answer (413) is read without racing the upload of a body it will
 * never read (fetch then fails with EPIPE instead of showing the answer).
 */
export function rawAnnounced(base: string, o: { method: string; path: string; headers?: Record<string, string>; declaredBytes: number; firstBytes: string }): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${o.method} ${o.path}`));
    }, 20_000);
    socket.on('connect', () => {
      const head = [`${o.method} ${o.path} HTTP/1.1`, `Host: ${url.host}`, `Content-Length: ${o.declaredBytes}`, 'Connection: close', ...Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${head.join('\r\n')}\r\n\r\n${o.firstBytes}`);
    });
    socket.on('data', (d: Buffer) => {
      data += d.toString('utf8');
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine = '', ...lines] = data.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      const length = Number(headers['content-length'] ?? NaN);
      const body = data.slice(end + 4);
      if (Number.isFinite(length) && Buffer.byteLength(body) < length) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
