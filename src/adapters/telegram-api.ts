/** A Bot API answer: `ok` with a result, or an error code, description and (429) retry_after. */
interface BotAnswer<T> {
  ok: boolean;
  result?: T;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

/**
 * A failed Bot API call. Its message names the method and Telegram's answer, never the request URL:
 * the bot token is part of every Bot API URL, and errors end up in logs.
 */
export class TelegramError extends Error {
  override name = 'TelegramError';
  constructor(
    readonly method: string,
    /** Telegram's error_code (HTTP status), or null when no answer came (network, timeout). */
    readonly code: number | null,
    detail: string,
    /** Seconds to wait (429 Too Many Requests). */
    readonly retryAfterSec: number | null = null,
  ) {
    super(`Telegram ${method} failed: ${code === null ? '' : `${code} `}${detail}`);
  }

  /** Worth retrying: no answer, 429, or a server error. */
  get transient(): boolean {
    return this.code === null || this.code === 429 || this.code >= 500;
  }
}

/**
 * The few Bot API methods the notifier uses, over fetch. Hand-written: the Telegram client
 * libraries on npm bring a bot framework (middleware, sessions) for two HTTP calls, and most build
 * errors from the request URL, i.e. with the token in them.
 */
export class TelegramApi {
  private readonly prefix: string;

  constructor(
    baseUrl: string,
    private readonly token: string,
  ) {
    this.prefix = `${baseUrl.replace(/\/$/, '')}/bot${token}/`;
  }

  async call<T>(method: string, params: Record<string, unknown>, options: { timeoutMs: number; signal?: AbortSignal }): Promise<T> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(this.prefix + method, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params), signal });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = timeout.aborted ? `no answer within ${options.timeoutMs} ms` : (cause?.code ?? cause?.message ?? (error as Error).name);
      throw new TelegramError(method, null, this.redact(String(why)));
    }
    // An error page from a proxy is not JSON: its status still tells.
    const body = (await res.json().catch(() => null)) as BotAnswer<T> | null;
    if (res.ok && body?.ok) return body.result as T;
    const detail = body?.description ?? `HTTP ${res.status}`;
    throw new TelegramError(method, body?.error_code ?? res.status, this.redact(detail), body?.parameters?.retry_after ?? null);
  }

  /** Removes the token from a text that came back from the network (an echoing proxy, an error page). */
  redact(text: string): string {
    if (!this.token) return text;
    return text.split(this.token).join('<token>').split(encodeURIComponent(this.token)).join('<token>');
  }
}
