import type { Clock } from '../core/clock.js';
import type { Cancel, Scheduler } from '../core/ports.js';

export class WallClock implements Clock {
  now(): number {
    return Date.now();
  }
}

/** How often one failing periodic task may log its error (a disk that stays full fails every tick). */
const ERROR_LOG_EVERY_MS = 10_000;

/**
 * Timers for live runs. With `onError`, a task that throws is reported there instead of ending the
 * process as an uncaught exception: a periodic write that fails (disk full, read-only) must not
 * take the server, and every account on it, down.
 */
export class TimerScheduler implements Scheduler {
  constructor(private readonly onError?: (error: unknown) => void) {}

  every(ms: number, fn: () => void): Cancel {
    const t = setInterval(this.guarded(fn), ms);
    t.unref?.();
    return () => clearInterval(t);
  }

  after(ms: number, fn: () => void): Cancel {
    const t = setTimeout(this.guarded(fn), ms);
    t.unref?.();
    return () => clearTimeout(t);
  }

  private guarded(fn: () => void): () => void {
    const report = this.onError;
    if (!report) return fn;
    let lastLogged = -Infinity;
    return () => {
      try {
        fn();
      } catch (error) {
        const now = Date.now();
        if (now - lastLogged >= ERROR_LOG_EVERY_MS) {
          lastLogged = now;
          report(error);
        }
      }
    };
  }
}
