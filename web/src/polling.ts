// Polling that is polite to the server's rate limits (issue 16 item 1): a poll runs only while its
// page is shown and the browser tab is visible, and a refused (429), failing (5xx) or unreachable
// server is asked again later and later (doubling up to a minute, never sooner than Retry-After)
// instead of on the normal beat. Hand-written: the few lines did not justify a query library.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { ApiError } from './api';

export const MAX_BACKOFF_MS = 60_000;

/** Errors worth retrying later: rate limited, server trouble, or no answer at all. */
export const retryable = (e: unknown): boolean => (e instanceof ApiError ? e.status === 429 || e.status >= 500 : e instanceof TypeError);

/** Worth telling the user the server is down (not merely busy). */
export const unreachable = (e: unknown): boolean => (e instanceof ApiError ? e.status >= 502 : e instanceof TypeError);

/** The wait before the next try after `failures` retryable failures in a row. */
export function backoffMs(intervalMs: number, failures: number, retryAfterMs = 0): number {
  if (failures <= 0) return intervalMs;
  return Math.max(retryAfterMs, Math.min(MAX_BACKOFF_MS, intervalMs * 2 ** failures));
}

const subscribeVisibility = (onChange: () => void) => {
  document.addEventListener('visibilitychange', onChange);
  return () => document.removeEventListener('visibilitychange', onChange);
};
const tabVisible = () => document.visibilityState !== 'hidden';

/**
 * Whether the browser tab is visible (document.visibilityState). Read through
 * useSyncExternalStore, which looks again when it subscribes: a listener added in an effect would
 * miss a change between the first paint and that effect, and polls would then stay paused (or run
 * in a hidden tab) until the next change.
 */
export function usePageVisible(): boolean {
  return useSyncExternalStore(subscribeVisibility, tabVisible, () => true);
}

export interface PollState {
  /** Retryable failures in a row (0 when the last try answered). */
  failures: number;
  /** The last retryable error, while failing. */
  error: unknown;
  /** When the next try is due (Date.now() terms), while failing. */
  retryAt: number | null;
}

/**
 * Calls `load` now and every `intervalMs` while `active` and the browser tab is visible; a
 * retryable error from `load` (see `retryable`) spaces the next tries out. `key` restarts the loop.
 */
export function usePoll(load: () => Promise<unknown>, intervalMs: number, active = true, key: unknown = null): PollState {
  const visible = usePageVisible();
  const run = useRef(load);
  run.current = load;
  const [state, setState] = useState<PollState>({ failures: 0, error: null, retryAt: null });
  useEffect(() => {
    if (!active || !visible) return undefined;
    let stopped = false;
    let timer: number | undefined;
    let failures = 0;
    const tick = async () => {
      let delay = intervalMs;
      try {
        await run.current();
        failures = 0;
        if (!stopped) setState((s) => (s.failures === 0 ? s : { failures: 0, error: null, retryAt: null }));
      } catch (e) {
        if (retryable(e)) {
          failures += 1;
          delay = backoffMs(intervalMs, failures, e instanceof ApiError ? e.retryAfterMs : 0);
          if (!stopped) setState({ failures, error: e, retryAt: Date.now() + delay });
        } else failures = 0;
      }
      if (!stopped) timer = window.setTimeout(() => void tick(), delay);
    };
    void tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [active, visible, intervalMs, key]);
  return state;
}
