import type { Cancel } from './ports.js';

/** One stream event another API instance produced, as the relay delivered it. */
export interface RelayedEvent {
  /** The envelope as its instance serialised it (what its /ws clients got). */
  json: string;
  /** The producing instance's id. */
  origin: string;
  /** The relay's position of this event (a Redis Stream id): strictly increasing. */
  id: string;
  /**
   * The producing instance's count of events it had published, this one included (1, 2, ...):
   * a follower matches it against a leader's snapshot and sees a gap. Absent from older instances.
   */
  seq?: number;
}

/**
 * Fan-out of stream events between API instances (Redis Streams when configured). Each instance
 * publishes what it produces and receives, in order and once each, what the others produced; its
 * own events never come back to it.
 */
export interface StreamRelay {
  readonly instanceId: string;
  /** How many events this instance has handed to `publish` (the `seq` of the last one). */
  readonly sequence: number;
  /** Queues one of this instance's events for the others; never throws (a down relay drops it). */
  publish(json: string): void;
  /** Starts delivering the other instances' events. */
  start(onEvent: (event: RelayedEvent) => void): Cancel;
  close(): Promise<void>;
}
