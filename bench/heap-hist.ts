// What grows in number between two heap snapshots of one process (bench/heap-snapshot.ts writes
// them): live objects counted and summed by kind and constructor name in each, and the
// differences, largest first. heap-diff.ts says who holds what was allocated in between (a ring
// that replaces its entries shows up there too); this says whether the totals move at all, so a
// bounded ring stays flat here and only a store that is still filling (or leaking) grows.
//
//   node dist/bench/heap-hist.js A.heapsnapshot B.heapsnapshot [rows]
import { readFileSync } from 'node:fs';
import { isMain } from './common.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

const STRING_KINDS = new Set(['string', 'concatenated string', 'sliced string']);

/** Count and self size of the live objects by kind and name (strings and code pooled). */
export function histogram(s: Snapshot): Map<string, { n: number; bytes: number }> {
  const m = s.snapshot.meta;
  const nf = m.node_fields.length;
  const [type, name, size] = ['type', 'name', 'self_size'].map((f) => m.node_fields.indexOf(f)) as [number, number, number];
  const kinds = m.node_types[0];
  const h = new Map<string, { n: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += nf) {
    const kind = kinds[s.nodes[i + type] as number] as string;
    const label = STRING_KINDS.has(kind) ? '(strings)' : kind === 'code' ? '(code)' : `${kind}: ${(s.strings[s.nodes[i + name] as number] as string).slice(0, 60)}`;
    const e = h.get(label) ?? { n: 0, bytes: 0 };
    e.n += 1;
    e.bytes += s.nodes[i + size] as number;
    h.set(label, e);
  }
  return h;
}

function main(): void {
  const [fileA, fileB, rowsArg] = process.argv.slice(2);
  if (!fileA || !fileB) throw new Error('usage: heap-hist A.heapsnapshot B.heapsnapshot [rows]');
  const load = (f: string) => histogram(JSON.parse(readFileSync(f, 'utf8')) as Snapshot);
  const a = load(fileA);
  const b = load(fileB);
  const rows = [...new Set([...a.keys(), ...b.keys()])].map((k) => {
    const x = a.get(k) ?? { n: 0, bytes: 0 };
    const y = b.get(k) ?? { n: 0, bytes: 0 };
    return { k, dn: y.n - x.n, dBytes: y.bytes - x.bytes, n: y.n, bytes: y.bytes };
  });
  rows.sort((p, q) => Math.abs(q.dBytes) - Math.abs(p.dBytes));
  console.log('change in bytes | change in count | count in B | bytes in B | kind: name');
  for (const r of rows.slice(0, Number(rowsArg ?? 25))) console.log(`${r.dBytes} | ${r.dn} | ${r.n} | ${r.bytes} | ${r.k}`);
}

if (isMain(import.meta.url)) main();
