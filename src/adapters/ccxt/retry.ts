import { ccxtErrors } from './library.js';

/**
 * Whether the venue may not have answered: a network error, a timeout, a limiter answer (429/418)
 * or a 5xx. ccxt raises these as OperationFailed (NetworkError and its kin); a 4xx the venue did
 * answer (bad credentials, a refused order) is an ExchangeError and is never retried.
 */
export const isTransient = (error: unknown): boolean => error instanceof ccxtErrors.OperationFailed;

export interface RetryOptions {
  maxAttempts: number;
  /** First delay; doubled after each failure (capped at 30 s). */
  backoffMs: number;
  sleep: (ms: number) => Promise<void>;
  /** A delay the venue asked for (Retry-After), in ms, if any. */
  retryAfterMs?: () => number | undefined;
  /** Told of each failed attempt that will be retried. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** Runs `fn`, retrying transient failures with exponential backoff; anything else is thrown at once. */
export async function withRetry<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn();
    } catch (error) {
      if (!isTransient(error) || attempt >= o.maxAttempts) throw error;
      const delay = Math.max(Math.min(o.backoffMs * 2 ** (attempt - 1), 30_000), o.retryAfterMs?.() ?? 0);
      o.onRetry?.(error, attempt, delay);
      await o.sleep(delay);
    }
  }
}
