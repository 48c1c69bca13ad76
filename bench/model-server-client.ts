// The HTTP half of bench/model-server.ts, in a process of its own: a client that holds only the
// request bodies (not the year of candles and the training set the parent keeps), as the
// coordinator's own client process would, so that its garbage collections measure the client
// and not the benchmark's data. It asks one model server, one request at a time, either through
// the coordinator's adapter (node:http, one kept-alive connection) or through the global fetch
// (one process per client kind: fetch's garbage would otherwise land in the adapter's requests),
// and prints the times (µs) and the server's own latency_ms as JSON.
//   node dist/bench/model-server-client.js adapter|fetch URL BODIES.json CALLS
import { readFileSync } from 'node:fs';
import { HttpModelServerClient } from '../src/adapters/model-server-client.js';
import { WallClock } from '../src/adapters/clock-wall.js';

async function main() {
  const [kind, url, bodiesFile, callsArg] = process.argv.slice(2);
  if ((kind !== 'adapter' && kind !== 'fetch') || !url || !bodiesFile) throw new Error('usage: model-server-client adapter|fetch URL BODIES.json CALLS');
  const calls = Number(callsArg ?? 5000);
  const bodies = JSON.parse(readFileSync(bodiesFile, 'utf8')) as object[];
  const payloads = bodies.map((b) => JSON.stringify(b));
  const client = new HttpModelServerClient({ name: 'bench', url, clock: new WallClock(), timeoutMs: 10_000 });
  const viaAdapter = async (i: number) => (await client.predict(bodies[i % bodies.length] as never)).latency_ms;
  const viaFetch = async (i: number) => {
    const res = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payloads[i % payloads.length] as string });
    const body = (await res.json()) as { latency_ms: number };
    if (res.status !== 200) throw new Error(`predict answered ${res.status}`);
    return body.latency_ms;
  };
  const call = kind === 'adapter' ? viaAdapter : viaFetch;
  try {
    for (let i = 0; i < 1000; i++) await call(i);
    const times: number[] = [];
    const serverSide: number[] = [];
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      const ms = await call(i);
      times.push((performance.now() - t0) * 1000);
      serverSide.push(ms * 1000);
    }
    process.stdout.write(`${JSON.stringify({ times, serverSide })}\n`);
  } finally {
    client.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
