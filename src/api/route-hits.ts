import type { FastifyInstance, RouteHandlerMethod, RouteOptions } from 'fastify';

/** Handler invocations per route ("METHOD /path/:param"), counted from start. */
export type RouteHits = Map<string, number>;

/**
 * Counts how often each route's handler actually runs, by wrapping every handler as the route is
 * registered. What the access hook let through is visible here: a refused request never reaches
 * its handler (the route sweep test reads this to prove it).
 */
export function routeHits(app: FastifyInstance): RouteHits {
  const hits: RouteHits = new Map();
  app.addHook('onRoute', (route: RouteOptions) => {
    const key = `${Array.isArray(route.method) ? route.method.join(',') : route.method} ${route.url}`;
    const handler = route.handler;
    hits.set(key, 0);
    route.handler = function counted(this: unknown, ...args: unknown[]) {
      hits.set(key, (hits.get(key) ?? 0) + 1);
      return (handler as (...a: unknown[]) => unknown).apply(this, args);
    } as RouteHandlerMethod;
  });
  return hits;
}

/** GET /api/metrics/routes (operator): the counts, busiest first. */
export function routeHitsRoute(scope: FastifyInstance, hits: RouteHits): void {
  scope.get('/metrics/routes', { config: { access: 'operator' }, schema: { tags: ['monitoring'], summary: 'How often each route handler ran since start' } }, async () => ({
    routes: Object.fromEntries([...hits].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])),
  }));
}
