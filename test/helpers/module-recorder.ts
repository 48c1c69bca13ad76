// Preloaded into a server under test (NODE_OPTIONS=--import=<this file's URL>) with
// MODULE_RECORD_FILE set: every module the ES module loader loads (our code, packages' entry
// points and their ES modules, CommonJS packages imported from ES modules) is appended to that
// file as `esm <url>` as it loads, so the file is complete up to any line the server prints.
// SIGUSR2 appends `cjs <path>` for every CommonJS module loaded so far (require.cache), for counts.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.MODULE_RECORD_FILE;
if (file) {
  register('./module-recorder-hooks.js', { parentURL: import.meta.url, data: { file } });
  const require = createRequire(import.meta.url);
  process.on('SIGUSR2', () => {
    appendFileSync(file, `${Object.keys(require.cache).map((p) => `cjs ${p}\n`).join('')}cjs-end\n`);
  });
}
