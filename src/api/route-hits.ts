import type { FastifyInstance, RouteHandlerMethod, RouteOptions } from 'fastify';

/** Per route ("METHOD /path/:param"): its access class and how often its handler ran since start. */
export type RouteHits = Map<string, { access: string; hits: number }>;

/**
 * Counts how often each route's handler actually runs, by wrapping every handler as the route is
 * registered (after the access class is settled). A refused request never reaches its handler:
 * the route sweep test reads these counts to prove it.
 */
export function routeHits(app: FastifyInstance): RouteHits {
  const table: RouteHits = new Map();
  app.addHook('onRoute', (route: RouteOptions) => {
    const key = `${Array.isArray(route.method) ? route.method.join(',') : route.method} ${route.url}`;
    const entry = { access: String(route.config?.access), hits: 0 };
    table.set(key, entry);
    const handler = route.handler as (...a: unknown[]) => unknown;
    route.handler = function counted(this: unknown, ...args: unknown[]) {
      entry.hits += 1;
      return handler.apply(this, args);
    } as RouteHandlerMethod;
  });
  return table;
}

/** GET /api/metrics/routes (operator): every route with its access class and handler runs. */
export function routeHitsRoute(scope: FastifyInstance, table: RouteHits): void {
  scope.get('/metrics/routes', { config: { access: 'operator' }, schema: { tags: ['monitoring'], summary: 'Every route: its access class and how often its handler ran since start' } }, async () => ({
    routes: Object.fromEntries(table),
  }));
}
