// The loader hooks of module-recorder.ts (they run on the loader's own thread).
import { appendFileSync } from 'node:fs';

let file = '';

export function initialize(data: { file: string }): void {
  file = data.file;
}

type Next = (url: string, context: unknown) => Promise<unknown>;

export async function load(url: string, context: unknown, next: Next): Promise<unknown> {
  if (!url.startsWith('node:')) appendFileSync(file, `esm ${url}\n`);
  return next(url, context);
}
