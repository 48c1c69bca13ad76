import type { FastifyInstance } from 'fastify';

/** Cluster mode (docs/SCALE-OUT.md): this instance's role, and who leads. */
export type ClusterStatus = () => Promise<Record<string, unknown>>;

export function clusterRoutes(app: FastifyInstance, status: ClusterStatus): void {
  app.get('/cluster', { config: { access: 'operator' }, schema: { tags: ['cluster'], summary: "This instance's role (leader or follower), its fencing token and the leader's URL" } }, async () => status());
}
