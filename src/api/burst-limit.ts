import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Per-address burst limit (requests per second). Written by hand: @fastify/rate-limit holds one
 * window per context and already serves the per-minute limit with its headers.
 */
export function burstLimiter(perSecond: number, exempt: (req: FastifyRequest) => boolean) {
  let second = 0;
  let counts = new Map<string, number>();
  return (req: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (exempt(req)) return done();
    const now = Math.floor(Date.now() / 1000);
    if (now !== second) {
      second = now;
      counts = new Map();
    }
    const n = (counts.get(req.ip) ?? 0) + 1;
    counts.set(req.ip, n);
    if (n > perSecond) {
      void reply
        .code(429)
        .header('retry-after', '1')
        .send({ detail: `Rate limit exceeded: more than ${perSecond} requests in one second; retry in a second` });
      return;
    }
    done();
  };
}
