// Seeded generator of an ES-like tick CSV ('timestamp,price,volume,side' with a header;
// timestamps 'YYYY-MM-DD HH:MM:SS.fff' UTC, several prints often sharing a millisecond).
// Writes to a temporary directory; never commit its output.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { seededRandom } from '../src/core/seeded-random.js';

const rng = seededRandom;

const pad = (n: number, w: number) => String(n).padStart(w, '0');

export async function generateTicks(path: string, rows: number, seed = 20260101): Promise<void> {
  const rand = rng(seed);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let ts = Date.UTC(2025, 0, 2, 14, 30);
  let ticks = 20_000 * 4; // price in quarter points
  let buf = 'timestamp,price,volume,side\n';
  let day = '';
  let dayOf = -1;
  for (let i = 0; i < rows; i++) {
    const r = rand();
    // 35% of prints share the previous millisecond (sweeps); otherwise 1-200 ms later.
    if (r >= 0.35) ts += 1 + Math.floor(rand() * 200);
    const move = rand();
    if (move < 0.1) ticks -= 1;
    else if (move > 0.9) ticks += 1;
    const size = rand() < 0.6 ? 1 : 1 + Math.floor(rand() * 20);
    const d = Math.floor(ts / 86_400_000);
    if (d !== dayOf) {
      dayOf = d;
      day = new Date(d * 86_400_000).toISOString().slice(0, 10);
    }
    const inDay = ts - d * 86_400_000;
    const h = Math.floor(inDay / 3_600_000), m = Math.floor(inDay / 60_000) % 60, s = Math.floor(inDay / 1000) % 60, ms = inDay % 1000;
    buf += `${day} ${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(ms, 3)},${(ticks / 4).toFixed(2)},${size},${move < 0.5 ? 'B' : 'S'}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = Number(process.argv[2] ?? 10_000_000);
  const path = process.argv[3] ?? join(tmpdir(), `tradewind-ticks-${rows}.csv`);
  await generateTicks(path, rows);
  process.stdout.write(`${path}\n`);
}
