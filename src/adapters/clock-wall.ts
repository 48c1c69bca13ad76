import type { Clock } from '../core/clock.js';
import type { Cancel, Scheduler } from '../core/ports.js';

export class WallClock implements Clock {
  now(): number {
    return Date.now();
  }
}

export class TimerScheduler implements Scheduler {
  every(ms: number, fn: () => void): Cancel {
    const t = setInterval(fn, ms);
    t.unref?.();
    return () => clearInterval(t);
  }

  after(ms: number, fn: () => void): Cancel {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  }
}
