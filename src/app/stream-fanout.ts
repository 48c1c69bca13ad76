import type { Cancel } from '../core/ports.js';
import type { StreamRelay } from '../core/stream-relay.js';
import type { LiveStream } from './live-stream.js';
import type { Envelope } from './stream-state.js';

/**
 * Joins this instance's live stream to the other API instances' (issue 14): every event it
 * produces goes to the relay; every event another instance produced is sent to this instance's
 * /ws clients with `origin` (that instance's id) and `stream_id` (its relay position) added. Remote
 * events do not change this instance's own state (/api/state, snapshots): each instance serves
 * its own accounts.
 */
export function joinStreams(stream: LiveStream, relay: StreamRelay): Cancel {
  const unsubscribe = stream.subscribe((json, _envelope, remote) => {
    if (!remote) relay.publish(json);
  });
  const stop = relay.start(({ json, origin, id }) => {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(json) as Envelope;
    } catch {
      return; // not an envelope: nothing a client could use
    }
    if (!envelope || typeof envelope.type !== 'string') return;
    stream.emit({ ...envelope, origin, stream_id: id }, true);
  });
  return () => {
    unsubscribe();
    stop();
  };
}
