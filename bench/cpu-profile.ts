// Preloaded into the server under test (NODE_OPTIONS=--import) when BENCH_PROFILE_DIR is set:
// records a V8 CPU profile of the whole process and writes it to that directory on exit.
// Node 20 refuses --cpu-prof in NODE_OPTIONS, so the benchmarks use this instead.
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 100 });
  session.post('Profiler.start');
  process.once('exit', () => {
    // The in-process inspector session answers synchronously, so this completes before exit.
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `server-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
