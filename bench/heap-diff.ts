// What accumulates between two heap snapshots of one process (bench/heap-snapshot.ts writes them):
// the objects alive in B that were allocated after A, grouped by the nearest named object that
// holds them and the property path to it (e.g. JobRunner.jobs.report.trades), largest first.
//
//   node dist/bench/heap-diff.js A.heapsnapshot B.heapsnapshot [rows]
//
// Snapshot node ids are stable within a process, so "not in A" means "allocated after A". Self
// sizes only (no dominator tree): a ring buffer that replaces its entries shows up too, so look
// for owners whose share grows from one pair of snapshots to the next.
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; edge_fields: string[]; node_types: [string[]]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const [fileA, fileB, rowsArg] = process.argv.slice(2);
if (!fileA || !fileB) throw new Error('usage: heap-diff A.heapsnapshot B.heapsnapshot [rows]');
const load = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Snapshot;
const a = load(fileA);
const b = load(fileB);
const meta = b.snapshot.meta;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const [TYPE, NAME, ID, SIZE, EDGES] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number, number];
const [ETYPE, ENAME, ETO] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];

const idsA = new Set<number>();
for (let i = 0; i < a.nodes.length; i += NF) idsA.add(a.nodes[i + ID] as number);

// Retainers of each node of B: [from node, edge type, edge name].
const count = b.nodes.length / NF;
const retainers: [number, string, string][][] = Array.from({ length: count }, () => []);
for (let k = 0, e = 0; k < count; k += 1) {
  for (let j = 0; j < (b.nodes[k * NF + EDGES] as number); j += 1, e += EF) {
    const type = edgeTypes[b.edges[e + ETYPE] as number] as string;
    if (type === 'weak') continue;
    const raw = b.edges[e + ENAME] as number;
    const name = ['context', 'property', 'internal', 'shortcut'].includes(type) ? (b.strings[raw] as string) : String(raw);
    retainers[(b.edges[e + ETO] as number) / NF]?.push([k, type, name]);
  }
}

const GENERIC = new Set(['Object', 'Array', 'Map', 'Set', '(object elements)', '(object properties)', '', 'Context']);
const typeOf = (k: number) => nodeTypes[b.nodes[k * NF + TYPE] as number] as string;
const nameOf = (k: number) => b.strings[b.nodes[k * NF + NAME] as number] as string;
const owners = new Map<string, { n: number; bytes: number }>();
for (let k = 0; k < count; k += 1) {
  if (idsA.has(b.nodes[k * NF + ID] as number) || ['native', 'synthetic', 'code'].includes(typeOf(k))) continue;
  let cur = k;
  const seen = new Set([k]);
  const path: string[] = [];
  let owner = '?';
  for (let depth = 0; depth < 25; depth += 1) {
    // Prefer named edges (properties, closure variables) over internal and element links.
    const next = (retainers[cur] ?? []).filter(([from]) => !seen.has(from)).sort((x, y) => Number(['internal', 'hidden', 'element'].includes(x[1])) - Number(['internal', 'hidden', 'element'].includes(y[1])))[0];
    if (!next) break;
    const [from, type, name] = next;
    seen.add(from);
    cur = from;
    if (type === 'property' || type === 'context') path.push(name);
    if (typeOf(cur) === 'object' && !GENERIC.has(nameOf(cur)) && !nameOf(cur).startsWith('system')) {
      owner = [nameOf(cur), ...path.slice(-3).reverse()].join('.');
      break;
    }
  }
  const o = owners.get(owner) ?? { n: 0, bytes: 0 };
  o.n += 1;
  o.bytes += b.nodes[k * NF + SIZE] as number;
  owners.set(owner, o);
}
const rows = [...owners].sort((x, y) => y[1].bytes - x[1].bytes).slice(0, Number(rowsArg ?? 25));
console.log('objects   MB (self)  held by');
for (const [owner, o] of rows) console.log(`${String(o.n).padStart(7)} ${(o.bytes / 1e6).toFixed(2).padStart(7)}  ${owner}`);
