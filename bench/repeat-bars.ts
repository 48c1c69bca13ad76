// Longer kline files made from the real one for the scaling curves: the first `baseBars` lines of
// a Binance 1-minute kline .csv.gz, repeated with their open and close times shifted by the
// base's span each round, so the series stays continuous minute after minute (prices restart
// at the base's first bar on each round: a single jump, one crossover at most).
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip, constants } from 'node:zlib';

const MINUTE_MS = 60_000;

/** The first `count` lines of a gzip text file. */
export async function readGzLines(file: string, count: number): Promise<string[]> {
  const input = createReadStream(file);
  const lines = createInterface({ input: input.pipe(createGunzip()), crlfDelay: Infinity });
  const out: string[] = [];
  for await (const line of lines) {
    if (line === '') continue;
    out.push(line);
    if (out.length >= count) break;
  }
  lines.close();
  input.destroy();
  return out;
}

/** Writes `bars` lines (gzip, fast level) cycling over `base`, shifting the times each round. */
export async function writeRepeatedBars(path: string, base: string[], bars: number): Promise<void> {
  if (base.length === 0) throw new Error('no base bars');
  const first = Number(base[0]?.split(',', 1)[0]);
  const second = Number(base[1]?.split(',', 1)[0] ?? first + MINUTE_MS);
  const span = base.length * (second - first);
  const gzip = createGzip({ level: constants.Z_BEST_SPEED });
  const done = once(gzip.pipe(createWriteStream(path)), 'finish');
  let chunk = '';
  for (let i = 0; i < bars; i += 1) {
    const round = Math.floor(i / base.length);
    const line = base[i % base.length] as string;
    if (round === 0) chunk += `${line}\n`;
    else {
      const f = line.split(',');
      const shift = round * span;
      f[0] = String(Number(f[0]) + shift);
      f[6] = String(Number(f[6]) + shift);
      chunk += `${f.join(',')}\n`;
    }
    if (chunk.length > 1 << 20) {
      if (!gzip.write(chunk)) await once(gzip, 'drain');
      chunk = '';
    }
  }
  gzip.end(chunk);
  await done;
}
