/**
 * A compiled file of this package by its path under dist/src, e.g. a worker thread's entry. Resolved
 * from the package root rather than from the calling module: the server's bundle
 * (scripts/bundle-server.mjs, dist/bundle/cli) moves the callers, and both dist/src/<dir>/ and
 * dist/bundle/cli/ are three levels below the root. Worker entries stay unbundled.
 */
export const distFile = (path: string): URL => new URL(`../../../dist/src/${path}`, import.meta.url);
