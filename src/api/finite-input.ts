import type { FastifyInstance } from 'fastify';
import { MAX_JSON_DEPTH } from './errors.js';

/**
 * Ajv 8 coerces the strings "Infinity" and "-Infinity" to numbers for `number` and `integer`
 * schemas and then skips their numeric keywords (minimum, maximum: it checks them only for finite
 * numbers), so `?limit=Infinity` passed a `maximum: 1000` schema and reached the handler. No JSON
 * text or query string carries a non-finite number otherwise, so any one found after validation
 * came from that coercion: refused here with the validation errors' 422 shape.
 */
export function rejectNonFiniteInput(app: FastifyInstance): void {
  app.addHook('preHandler', (req, reply, done) => {
    for (const [where, value] of [['querystring', req.query], ['params', req.params], ['body', req.body]] as const) {
      const loc = nonFiniteAt(value);
      if (loc) {
        void reply.code(422).send({ detail: [{ loc: [where, ...loc], msg: 'must be a finite number', type: 'value_error' }], status_code: 422 });
        return;
      }
    }
    done();
  });
}

/** The path to the first non-finite number in a parsed value (objects and arrays, bounded depth), or null. */
function nonFiniteAt(value: unknown): string[] | null {
  const stack: { v: unknown; path: string[] }[] = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop() as { v: unknown; path: string[] };
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return path;
      continue;
    }
    if (v === null || typeof v !== 'object' || path.length > MAX_JSON_DEPTH || ArrayBuffer.isView(v)) continue;
    // Streams and the like (multipart files) are not parsed input. (A query object's prototype is
    // the query parser's own empty one, so prototypes are not checked.)
    if (typeof (v as { pipe?: unknown }).pipe === 'function') continue;
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) stack.push({ v: child, path: [...path, k] });
  }
  return null;
}
