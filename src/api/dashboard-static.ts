import type { FastifyReply } from 'fastify';
import type { FastifyStaticOptions } from '@fastify/static';
import { basename } from 'node:path';

/** Vite names the built files `name-<hash>.ext` (web/vite.config.mjs): their content never changes under that name. */
const HASHED = /-[A-Za-z0-9_-]{8,}\.(?:js|css|woff2?|svg|png)(?:\.br|\.gz)?$/;

export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Cache-Control for a built dashboard file: a year for hashed names, revalidate everything else (index.html). */
export function dashboardCacheControl(file: string): string {
  return HASHED.test(basename(file)) ? IMMUTABLE : 'no-cache';
}

/**
 * @fastify/static's options for web/dist: the precompressed `.br` / `.gz` siblings that
 * scripts/build-web.mjs writes are sent to clients that accept them (Content-Encoding set, Vary:
 * Accept-Encoding), with the cache policy above instead of the plugin's `max-age=0`.
 */
export function dashboardStaticOptions(root: string): FastifyStaticOptions {
  return {
    root,
    prefix: '/',
    index: false,
    wildcard: false,
    preCompressed: true,
    cacheControl: false,
    setHeaders: (reply, file) => void (reply as unknown as FastifyReply).header('cache-control', dashboardCacheControl(file)),
  };
}
