import type { FastifyInstance } from 'fastify';

/** Cluster mode (docs/SCALE-OUT.md): this instance's role, and who leads. */
export type ClusterStatus = () => Promise<Record<string, unknown>>;

/**
 * The leader's /ws state as a follower needs it (docs/SCALE-OUT.md, *Followers*): JSON
 * `{origin, token, seq, snapshot}`, the STATE_SNAPSHOT and, read in the same turn of the event loop,
 * how many events this instance had published to the relay (`seq`): the snapshot holds exactly
 * those, so a follower sends its client the relayed events after `seq` and none before.
 */
export type ClusterStreamSnapshot = () => string;

export function clusterRoutes(app: FastifyInstance, status: ClusterStatus, stream?: ClusterStreamSnapshot): void {
  app.get('/cluster', { config: { access: 'operator' }, schema: { tags: ['cluster'], summary: "This instance's role (leader or follower), its fencing token and the leader's URL" } }, async () => status());
  if (stream) {
    app.get('/cluster/stream', { config: { access: 'operator' }, schema: { tags: ['cluster'], summary: "The leader's stream snapshot and its relay position (what a follower's /ws client gets first)" } }, (_req, reply) => {
      void reply.type('application/json').send(stream());
    });
  }
}
