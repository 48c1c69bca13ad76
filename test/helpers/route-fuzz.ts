// Requests generated from the server's OpenAPI document for the route fuzzer
// (test/integration/route-fuzz.test.ts): every operation, every declared field (and, for the
// routes that check their bodies by hand, the field names used anywhere in the document), with
// hostile values. Seeded: the same seed gives the same requests.
import fc from 'fast-check';

type Schema = Record<string, unknown>;
type Obj = Record<string, unknown>;

export interface Operation {
  method: string;
  /** OpenAPI path, `{param}` placeholders included. */
  path: string;
  params: { in: 'path' | 'query'; name: string; schema: Schema }[];
  /** The JSON body's schema when the route declares one. */
  body: Schema | null;
}

export interface FuzzRequest {
  method: string;
  /** Path and query, on the wire as given. */
  path: string;
  /** JSON text (or deliberately broken text) or none. */
  body?: string;
  contentType?: string;
  /** What was mutated, for the failure report. */
  what: string;
}

export function operations(doc: { paths: Record<string, Record<string, Obj>> }): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = ((op.parameters as Obj[] | undefined) ?? [])
        .filter((p) => p.in === 'path' || p.in === 'query')
        .map((p) => ({ in: p.in as 'path' | 'query', name: p.name as string, schema: (p.schema as Schema | undefined) ?? {} }));
      const content = ((op.requestBody as Obj | undefined)?.content ?? {}) as Record<string, { schema?: Schema }>;
      out.push({ method: method.toUpperCase(), path, params, body: content['application/json']?.schema ?? null });
    }
  }
  return out;
}

/** Every property and parameter name in the document: the fields a hand-checked body may read. */
export function vocabulary(doc: unknown): string[] {
  const names = new Set<string>(['secret', 'asset', 'symbol', 'side', 'qty', 'quantity', 'price', 'status', 'extra', 'fill_price', 'fee', 'owner', 'reason', 'force', 'mode', 'env', 'bar_id', 'color', 'direction', 'points', 'level', 'positions', 'command', 'preset', 'password', 'id', 'name']);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    const o = v as Obj;
    if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) names.add(k);
    if (typeof o.name === 'string' && (o.in === 'query' || o.in === 'path')) names.add(o.name);
    for (const child of Object.values(o)) walk(child);
  };
  walk(doc);
  return [...names].sort();
}

const nest = (depth: number, leaf: unknown = 1): string => '['.repeat(depth) + JSON.stringify(leaf) + ']'.repeat(depth);
const nestObject = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** Values of the wrong type, extreme numbers, odd strings, deep nesting: JSON texts. */
export const HOSTILE_JSON: readonly string[] = [
  'null',
  'true',
  '0',
  '-1',
  '-0',
  '1e308',
  '-1e308',
  '1e-320',
  '9007199254740993',
  '123456789012345678901234567890',
  '0.1',
  '[]',
  '{}',
  '[1,2,3]',
  '{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}',
  '""',
  '"NaN"',
  '"Infinity"',
  '"-Infinity"',
  '"1e309"',
  '"-1"',
  '"0x10"',
  '"  12  "',
  '"2024-02-30T25:61:61Z"',
  '"../../../../etc/passwd"',
  '"\\u0000\\u0001\\u001f"',
  '"\\ud800"',
  '"<script>alert(1)</script>"',
  '"\' OR 1=1; DROP TABLE orders; --"',
  '"%s%s%s%n"',
  '"🚀🚀"',
  JSON.stringify('x'.repeat(70_000)),
  nest(64),
  nest(5_000),
  nestObject(3_000),
  JSON.stringify(Array.from({ length: 20_000 }, (_, i) => i)),
];

/** Hostile path-parameter and query-value texts (already percent-encoded where needed). */
export const HOSTILE_TEXT: readonly string[] = [
  '',
  '0',
  '-1',
  '1e308',
  'NaN',
  'Infinity',
  '9007199254740993',
  '123456789012345678901234567890',
  'true',
  'null',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '%00',
  '%C0%AE',
  '%FF%FE',
  '%F0%9F%9A%80',
  `${'a'.repeat(3_000)}`,
  '%27%20OR%201%3D1--',
  '[object Object]',
  '__proto__',
  'constructor',
];

/** A plausible value for a schema (the rest of a request stays valid while one field is hostile). */
export function plausible(schema: Schema | undefined, depth = 0): unknown {
  const s = schema ?? {};
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (s.const !== undefined) return s.const;
  const alt = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (Array.isArray(alt) && alt.length > 0) return plausible(alt[0], depth);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return typeof s.minLength === 'number' && s.minLength > 3 ? 'x'.repeat(s.minLength) : 'ES';
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? Math.max(1, s.minimum) : 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object': {
      if (depth > 4) return {};
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const required = (s.required ?? []) as string[];
      return Object.fromEntries(required.map((k) => [k, plausible(props[k], depth + 1)]));
    }
    default:
      return 'x';
  }
}

/** A seeded stream of random JSON values (fast-check's arbitraries, sampled). */
export function randomJson(seed: number, count: number): string[] {
  const arb = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.double(), fc.bigInt().map((b) => b.toString()), fc.string({ unit: 'binary', maxLength: 40 }));
  return fc.sample(arb, { seed, numRuns: count }).map((v) => (typeof v === 'number' ? String(v) : JSON.stringify(v) ?? 'null'));
}

const encode = (v: string): string => (/%[0-9A-F]{2}/i.test(v) ? v : encodeURIComponent(v));

/**
 * The requests for one operation: each field (path and query parameters, body properties, or
 * vocabulary fields when the body is checked by hand) set to each hostile value in turn while the
 * rest stays plausible, several fields at once at random, and whole bodies of the wrong kind.
 * `baseBody` is merged in first (the bridge or webhook secret of an authenticated caller).
 */
export function requestsFor(op: Operation, o: { seed: number; vocabulary: string[]; baseBody: Obj; perField: number; mixed: number }): FuzzRequest[] {
  const rand = fc.sample(fc.integer({ min: 0, max: 0x7fffffff }), { seed: o.seed, numRuns: 4_096 });
  let r = 0;
  const pick = <T>(xs: readonly T[]): T => xs[(rand[r++ % rand.length] as number) % xs.length] as T;
  const randoms = randomJson(o.seed, 64);
  const jsonValues = [...HOSTILE_JSON, ...randoms];

  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const withBody = op.method !== 'GET' && op.method !== 'DELETE';
  const bodyProps = (op.body?.properties ?? {}) as Record<string, Schema>;
  const bodyFields = op.body ? Object.keys(bodyProps) : o.vocabulary;
  const baseBody = { ...o.baseBody, ...(op.body ? (plausible(op.body) as Obj) : {}) };
  const basePath = (over: Record<string, string> = {}) => op.path.replace(/\{([^}]+)\}/g, (_, name: string) => over[name] ?? 'fuzz-id');
  const query = (q: Record<string, string>) => {
    const parts = Object.entries(q).map(([k, v]) => `${encodeURIComponent(k)}=${encode(v)}`);
    return parts.length ? `?${parts.join('&')}` : '';
  };
  const bodyText = (fields: Record<string, string>): string => {
    // Splices raw JSON texts in as values, so invalid-as-JS values (deep nesting, huge numbers) stay verbatim.
    const base = JSON.stringify(baseBody);
    const extra = Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}:${v}`);
    if (extra.length === 0) return base;
    const without = JSON.stringify(Object.fromEntries(Object.entries(baseBody).filter(([k]) => !(k in fields))));
    return without === '{}' ? `{${extra.join(',')}}` : `${without.slice(0, -1)},${extra.join(',')}}`;
  };
  const out: FuzzRequest[] = [];
  const add = (path: string, body: string | undefined, what: string, contentType?: string) =>
    out.push({ method: op.method, path, ...(body !== undefined ? { body, contentType: contentType ?? 'application/json' } : {}), what });
  const plainBody = withBody ? bodyText({}) : undefined;

  for (const p of pathParams) for (let i = 0; i < o.perField; i++) {
    const v = pick(HOSTILE_TEXT);
    add(basePath({ [p.name]: encode(v) || '%20' }), plainBody, `path ${p.name}=${v.slice(0, 40)}`);
  }
  for (const p of queryParams) {
    for (let i = 0; i < o.perField; i++) {
      const v = pick(HOSTILE_TEXT);
      add(basePath() + query({ [p.name]: v }), plainBody, `query ${p.name}=${v.slice(0, 40)}`);
    }
    add(`${basePath()}?${p.name}=1&${p.name}=2&${p.name}[a]=3`, plainBody, `query ${p.name} repeated`);
  }
  if (withBody) {
    const fields = op.body ? bodyFields : Array.from({ length: Math.min(12, bodyFields.length) }, () => pick(bodyFields));
    for (const f of new Set(fields)) for (let i = 0; i < o.perField; i++) {
      const v = pick(jsonValues);
      add(basePath(), bodyText({ [f]: v }), `body ${f}=${v.slice(0, 40)}`);
    }
    for (let i = 0; i < o.mixed; i++) {
      const n = 2 + (i % 5);
      const fs = Object.fromEntries(Array.from({ length: n }, () => [pick(o.vocabulary), pick(jsonValues)]));
      add(basePath(), bodyText(fs), `body mixed ${Object.keys(fs).join(',')}`);
    }
    for (const whole of ['[]', '"text"', '42', 'null', '{', '{"a":1}{"b":2}', '\u0000', nest(20_000), nestObject(20_000), '{"a":1,"a":{"b":2}}']) {
      add(basePath(), whole, `whole body ${whole.slice(0, 20)}`);
    }
    add(basePath(), plainBody, 'text/plain body', 'text/plain');
    add(basePath(), 'a=1&b=2', 'form body', 'application/x-www-form-urlencoded');
    add(basePath(), plainBody, 'unknown content type', 'application/x-fuzz');
  } else {
    add(basePath(), '{"unexpected":true}', 'body on a bodiless method');
  }
  return out;
}
