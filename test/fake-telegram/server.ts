// A loopback imitation of the Telegram Bot API for tests: sendMessage and getUpdates (long
// polling) under /bot<token>/<method>, with Telegram's answer shapes ({ok, result} or
// {ok: false, error_code, description, parameters.retry_after}). It enforces the per-chat limit
// (a second message to a chat within `perChatMs` of the previous one is 429 with retry_after) so a
// sender that ignores the limit is seen failing. Not part of the server: nothing in src/ imports it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SentMessage {
  chatId: string;
  text: string;
  at: number;
}

export interface FakeTelegram {
  /** http://127.0.0.1:PORT — the apiBaseUrl to configure. */
  url: string;
  token: string;
  /** Messages the bot sent (accepted ones), oldest first; optionally one chat's. */
  sent(chatId?: string): SentMessage[];
  /** sendMessage calls answered 429 by the per-chat limit. */
  rateLimited(): number;
  /** Every request path received (token included): what a leak check compares logs with. */
  requests(): { method: string; status: number }[];
  /** A user writes `text` in `chatId` (delivered by the next getUpdates). */
  userSays(chatId: number | string, text: string, fromId?: number): void;
  /** The next `n` calls of `method` answer `status` (500, 401 ...). */
  failNext(method: string, status: number, n?: number): void;
  /** getUpdates calls waiting (a long poll is open). */
  pollers(): number;
  close(): Promise<void>;
}

interface Update {
  update_id: number;
  message: { message_id: number; date: number; text: string; chat: { id: number; type: string }; from: { id: number; is_bot: false; username: string } };
}

export async function startFakeTelegram(options: { token?: string; perChatMs?: number } = {}): Promise<FakeTelegram> {
  const token = options.token ?? '123456:FAKE-telegram-token_ABCdef';
  const perChatMs = options.perChatMs ?? 1000;
  const sent: SentMessage[] = [];
  const updates: Update[] = [];
  const waiters = new Set<() => void>();
  const faults: { method: string; status: number; left: number }[] = [];
  const lastAt = new Map<string, number>();
  const log: { method: string; status: number }[] = [];
  let limited = 0;
  let nextUpdate = 1;
  let nextMessage = 1;

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, description: string, extra: Record<string, unknown> = {}) => answer(res, status, { ok: false, error_code: status, description, ...extra });

  const handle = async (req: IncomingMessage, res: ServerResponse, method: string, params: Record<string, unknown>): Promise<number> => {
    const fault = faults.find((f) => f.method === method && f.left > 0);
    if (fault) {
      fault.left -= 1;
      fail(res, fault.status, fault.status === 401 ? 'Unauthorized' : 'Internal Server Error');
      return fault.status;
    }
    if (method === 'sendMessage') {
      const chatId = String(params.chat_id ?? '');
      const text = String(params.text ?? '');
      if (!chatId || !text) {
        fail(res, 400, 'Bad Request: message text is empty');
        return 400;
      }
      if (text.length > 4096) {
        fail(res, 400, 'Bad Request: message is too long');
        return 400;
      }
      const now = Date.now();
      const previous = lastAt.get(chatId);
      if (previous !== undefined && now - previous < perChatMs) {
        limited += 1;
        fail(res, 429, 'Too Many Requests: retry after 1', { parameters: { retry_after: 1 } });
        return 429;
      }
      lastAt.set(chatId, now);
      sent.push({ chatId, text, at: now });
      answer(res, 200, { ok: true, result: { message_id: nextMessage++, date: Math.floor(now / 1000), chat: { id: Number(chatId), type: 'private' }, text } });
      return 200;
    }
    if (method === 'getUpdates') {
      const offset = Number(params.offset ?? 0);
      const timeoutSec = Number(params.timeout ?? 0);
      const pending = () => updates.filter((u) => u.update_id >= offset);
      // Telegram forgets updates below the offset.
      updates.splice(0, updates.length, ...pending());
      if (pending().length === 0 && timeoutSec > 0) {
        await new Promise<void>((resolve) => {
          const done = () => {
            waiters.delete(done);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(done, timeoutSec * 1000);
          waiters.add(done);
          res.once('close', done);
        });
      }
      answer(res, 200, { ok: true, result: pending() });
      return 200;
    }
    if (method === 'getMe') {
      answer(res, 200, { ok: true, result: { id: 1, is_bot: true, username: 'tradewind_test_bot' } });
      return 200;
    }
    fail(res, 404, 'Not Found');
    return 404;
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
      if (!m) {
        log.push({ method: '?', status: 404 });
        return fail(res, 404, 'Not Found');
      }
      if (decodeURIComponent(m[1] as string) !== token) {
        log.push({ method: m[2] as string, status: 401 });
        return fail(res, 401, 'Unauthorized');
      }
      let params: Record<string, unknown> = Object.fromEntries(url.searchParams);
      const raw = Buffer.concat(chunks).toString();
      if (raw) {
        try {
          params = { ...params, ...(JSON.parse(raw) as Record<string, unknown>) };
        } catch {
          log.push({ method: m[2] as string, status: 400 });
          return fail(res, 400, "Bad Request: can't parse JSON");
        }
      }
      void handle(req, res, m[2] as string, params).then((status) => log.push({ method: m[2] as string, status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    sent: (chatId) => sent.filter((s) => chatId === undefined || s.chatId === String(chatId)),
    rateLimited: () => limited,
    requests: () => [...log],
    userSays(chatId, text, fromId = Number(chatId)) {
      updates.push({
        update_id: nextUpdate++,
        message: { message_id: nextMessage++, date: Math.floor(Date.now() / 1000), text, chat: { id: Number(chatId), type: 'private' }, from: { id: fromId, is_bot: false, username: `user${fromId}` } },
      });
      for (const w of [...waiters]) w();
    },
    failNext(method, status, n = 1) {
      faults.push({ method, status, left: n });
    },
    pollers: () => waiters.size,
    async close() {
      for (const w of [...waiters]) w();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
