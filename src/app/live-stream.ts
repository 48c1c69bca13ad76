import type { Cancel } from '../core/ports.js';
import type { Envelope } from './stream-state.js';

/** `remote`: the event came from another API instance (through the stream relay). */
export type StreamListener = (json: string, envelope: Envelope, remote: boolean) => void;

/** Fan-out of wire envelopes, serialised once for every subscriber. */
export class LiveStream {
  private listeners: StreamListener[] = [];

  subscribe(listener: StreamListener): Cancel {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(envelope: Envelope, remote = false): void {
    if (this.listeners.length === 0) return;
    const json = JSON.stringify(envelope);
    for (const l of this.listeners) l(json, envelope, remote);
  }

  get subscriberCount(): number {
    return this.listeners.length;
  }
}
