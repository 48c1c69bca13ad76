// A node:test reporter that writes how long each test file's top-level tests took, as JSON
// ({ "dist/test/…/x.test.js": seconds }), for scripts/test.mjs to start the longest files first.
import { relative } from 'node:path';

export default async function* durations(source) {
  const seconds = {};
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      const file = relative(process.cwd(), event.data.file);
      seconds[file] = (seconds[file] ?? 0) + (event.data.details?.duration_ms ?? 0) / 1000;
    }
  }
  const rounded = Object.fromEntries(Object.entries(seconds).sort(([a], [b]) => a.localeCompare(b)).map(([f, s]) => [f, Math.round(s * 10) / 10]));
  yield `${JSON.stringify(rounded, null, 1)}\n`;
}
