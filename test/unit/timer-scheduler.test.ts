import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TimerScheduler } from '../../src/adapters/clock-wall.js';

// The scheduler's timers are unref'd (they never keep a server alive); this one keeps the test's
// event loop running while they fire.
const keepAlive = <T>(p: Promise<T>): Promise<T> => {
  const t = setInterval(() => {}, 1000);
  return p.finally(() => clearInterval(t));
};

describe('TimerScheduler', () => {
  it('with onError, a periodic task that throws is reported (at most once per 10 s) and keeps running', async () => {
    const errors: unknown[] = [];
    const scheduler = new TimerScheduler((e) => errors.push(e));
    let runs = 0;
    await keepAlive(new Promise<void>((resolve) => {
      const cancel = scheduler.every(5, () => {
        runs += 1;
        if (runs >= 4) {
          cancel();
          resolve();
        }
        throw new Error(`disk full ${runs}`);
      });
    }));
    assert.equal(runs, 4, 'the task ran again after each failure');
    assert.deepEqual(errors.map((e) => (e as Error).message), ['disk full 1']);
  });

  it('a one-shot task that throws is reported too', async () => {
    const errors: unknown[] = [];
    const scheduler = new TimerScheduler((e) => errors.push(e));
    await keepAlive(new Promise<void>((resolve) => {
      scheduler.after(1, () => {
        setImmediate(resolve);
        throw new Error('read-only');
      });
    }));
    assert.equal((errors[0] as Error).message, 'read-only');
  });
});
