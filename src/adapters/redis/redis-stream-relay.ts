import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Cancel, Scheduler } from '../../core/ports.js';
import type { RelayedEvent, StreamRelay } from '../../core/stream-relay.js';

export interface RedisStreamRelayOptions {
  /** Commands (XADD); may be shared with the cache. */
  writer: Redis;
  /** A connection of its own: XREAD BLOCK holds it. */
  reader: Redis;
  /** The Redis Stream's key. */
  key: string;
  instanceId: string;
  /** Approximate length the stream is trimmed to (XADD MAXLEN ~). */
  maxLen: number;
  /** How long one XREAD blocks (the relay's stop latency). */
  blockMs: number;
  scheduler: Scheduler;
  log: Logger;
}

/**
 * Stream fan-out through one Redis Stream: XADD (trimmed with MAXLEN ~) with fields `origin`
 * and `event`; a loop of XREAD BLOCK from the last id it saw, so after a reconnect it resumes
 * exactly where it stopped: no event twice, none skipped while the stream still holds it.
 * Started from the stream's end: an instance gets the events produced after it started.
 */
export class RedisStreamRelay implements StreamRelay {
  readonly instanceId: string;
  private running = false;
  private lastId: string | null = null;
  private publishFailures = 0;
  private published = 0;

  constructor(private readonly o: RedisStreamRelayOptions) {
    this.instanceId = o.instanceId;
  }

  get sequence(): number {
    return this.published;
  }

  publish(json: string): void {
    // Counted whether or not Redis takes it: a dropped event leaves a gap readers can see.
    this.published += 1;
    this.o.writer.xadd(this.o.key, 'MAXLEN', '~', String(this.o.maxLen), '*', 'origin', this.instanceId, 'seq', String(this.published), 'event', json).then(
      () => {
        if (this.publishFailures > 0) this.o.log.info({ component: 'redis' }, `stream relay publishing again after ${this.publishFailures} dropped events`);
        this.publishFailures = 0;
      },
      (err: unknown) => {
        if (this.publishFailures === 0) this.o.log.warn({ component: 'redis', err: String(err) }, 'stream relay cannot publish: events stay on this instance until Redis is back');
        this.publishFailures += 1;
      },
    );
  }

  start(onEvent: (event: RelayedEvent) => void): Cancel {
    this.running = true;
    void this.loop(onEvent);
    return () => {
      this.running = false;
    };
  }

  async close(): Promise<void> {
    this.running = false;
    this.o.reader.disconnect();
  }

  private async loop(onEvent: (event: RelayedEvent) => void): Promise<void> {
    const { reader, key, blockMs } = this.o;
    while (this.running) {
      try {
        if (this.lastId === null) {
          const last = await reader.xrevrange(key, '+', '-', 'COUNT', 1);
          this.lastId = last[0]?.[0] ?? '0-0';
        }
        const reply = await reader.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', key, this.lastId);
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            this.lastId = id;
            const event = fieldsOf(fields);
            if (!this.running) return;
            if (event.origin !== this.instanceId && event.event !== undefined) onEvent({ json: event.event, origin: event.origin ?? '', id, ...(event.seq !== undefined ? { seq: event.seq } : {}) });
          }
        }
      } catch (err) {
        if (!this.running) return;
        this.o.log.debug({ component: 'redis', err: String(err) }, 'stream relay read failed; resuming from the last id');
        await this.settle();
      }
    }
  }

  /** After a failed read: until the reader is connected again (or a short pause when it is). */
  private settle(): Promise<void> {
    const { reader, scheduler } = this.o;
    return new Promise((resolve) => {
      const done = (): void => {
        cancel();
        reader.off('ready', done);
        reader.off('end', done);
        resolve();
      };
      const cancel = scheduler.after(reader.status === 'ready' ? 200 : 5_000, done);
      reader.once('ready', done);
      reader.once('end', done);
    });
  }
}

function fieldsOf(fields: string[]): { origin?: string; event?: string; seq?: number } {
  const out: { origin?: string; event?: string; seq?: number } = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'origin') out.origin = fields[i + 1];
    else if (fields[i] === 'event') out.event = fields[i + 1];
    else if (fields[i] === 'seq') {
      const n = Number(fields[i + 1]);
      if (Number.isSafeInteger(n) && n > 0) out.seq = n;
    }
  }
  return out;
}
