import type { EventOf, KernelEvent, KernelEventType } from '../core/events.js';
import type { Cancel } from '../core/ports.js';

type Handler = (event: KernelEvent) => void;

/**
 * Synchronous typed pub/sub. A failing subscriber is reported and does not stop delivery to
 * the others.
 */
export class MessageBus {
  private readonly byType = new Map<KernelEventType, Handler[]>();
  private anyHandlers: Handler[] = [];

  constructor(private readonly onError: (error: unknown, event: KernelEvent) => void = () => {}) {}

  /**
   * Changes with every subscribe and unsubscribe: a per-bar caller keeps `hasListeners` answers
   * and asks again only when this moved (three map lookups a bar otherwise).
   */
  get subscriptions(): number {
    return this.version;
  }

  private version = 0;

  on<T extends KernelEventType>(type: T, handler: (event: EventOf<T>) => void): Cancel {
    const h = handler as Handler;
    this.byType.set(type, [...(this.byType.get(type) ?? []), h]);
    this.version += 1;
    return () => {
      this.byType.set(type, (this.byType.get(type) ?? []).filter((x) => x !== h));
      this.version += 1;
    };
  }

  onAny(handler: Handler): Cancel {
    this.anyHandlers = [...this.anyHandlers, handler];
    this.version += 1;
    return () => {
      this.anyHandlers = this.anyHandlers.filter((x) => x !== handler);
      this.version += 1;
    };
  }

  publish(event: KernelEvent): void {
    // Handler arrays are replaced, never mutated, on (un)subscribe: safe to walk while delivering.
    const handlers = this.byType.get(event.type);
    if (handlers) for (let i = 0; i < handlers.length; i += 1) this.deliver(handlers[i] as Handler, event);
    const any = this.anyHandlers;
    for (let i = 0; i < any.length; i += 1) this.deliver(any[i] as Handler, event);
  }

  hasListeners(type: KernelEventType): boolean {
    return (this.byType.get(type)?.length ?? 0) > 0 || this.anyHandlers.length > 0;
  }

  private deliver(handler: Handler, event: KernelEvent): void {
    try {
      handler(event);
    } catch (error) {
      this.onError(error, event);
    }
  }
}
