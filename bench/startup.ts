// `npm run bench:startup`: the CPU time a default `tradewind start` (SQLite, simulated feed, paper
// broker, demo bot) takes until it prints "listening on", over BENCH_STARTUP_RUNS starts (default
// 9). CPU time (user + system of the server process, from /proc/<pid>/stat, all its threads) is
// measured rather than wall time: on a machine shared with other work a start's wall time is
// mostly waiting for a core. One more start with the module recorder (test/helpers/module-recorder.ts)
// counts the modules loaded by then. BENCH_STARTUP_WITH=ccxt adds a ccxt account (no credentials).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { envNumber, isMain, machineInfo, nowMs } from './common.js';
import { repoRoot } from '../test/helpers/server.js';

const bin = join(repoRoot, 'bin', 'tradewind.js');
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface Start {
  cpuMs: number;
  wallMs: number;
}

/** user + system CPU of a process so far, from /proc/<pid>/stat (fields 14 and 15). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * BENCH_STARTUP_WITH=ccxt: the start has a Binance USD-M account through ccxt too (its credentials
 * unset, so it connects nowhere): what ccxt's loading adds to a start.
 */
const withCcxt = process.env.BENCH_STARTUP_WITH === 'ccxt';
const startConfig = ((): string => {
  if (!withCcxt) return '';
  const file = join(mkdtempSync(join(tmpdir(), 'tw-bench-startup-config-')), 'config.json');
  const account = { id: 'venue', kind: 'ccxt', exchange: 'binanceusdm', environment: 'testnet', apiKeyEnv: 'TW_BENCH_NO_KEY', secretEnv: 'TW_BENCH_NO_SECRET', startingBalance: 1_000, instruments: { 'BTC/USDT': { leverage: 1, marginType: 'isolated' } } };
  writeFileSync(file, JSON.stringify({ accounts: [account] }));
  return file;
})();

/** Starts the server, waits for "listening on", reads its CPU time, runs `whileUp`, stops it. */
async function start(env: Record<string, string> = {}, whileUp?: (pid: number) => Promise<void>): Promise<Start> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tw-bench-startup-'));
  const t0 = nowMs();
  const proc = spawn(process.execPath, [bin, 'start', '--port', '0', '--data-dir', dataDir], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: '', HOST: '', DATA_DIR: '', TRADEWIND_CONFIG: startConfig, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  try {
    const result = await new Promise<Start>((resolve, reject) => {
      proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
      proc.stdout.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('listening on') && proc.pid !== undefined) resolve({ cpuMs: cpuMsOf(proc.pid), wallMs: nowMs() - t0 });
      });
      proc.once('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${output}`)));
    });
    if (whileUp && proc.pid !== undefined) await whileUp(proc.pid);
    return result;
  } finally {
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Modules loaded when the server listens: ES modules (our code, packages) and CommonJS ones. */
async function moduleCounts(): Promise<{ esm: number; ours: number; cjs: number; packages: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-bench-modules-'));
  const file = join(dir, 'modules.txt');
  writeFileSync(file, '');
  const recorder = pathToFileURL(join(repoRoot, 'dist', 'test', 'helpers', 'module-recorder.js')).href;
  const lines = () => readFileSync(file, 'utf8').split('\n').filter(Boolean);
  await start({ MODULE_RECORD_FILE: file, NODE_OPTIONS: `--import=${recorder}` }, async (pid) => {
    process.kill(pid, 'SIGUSR2');
    for (let i = 0; i < 200 && !lines().includes('cjs-end'); i += 1) await new Promise((r) => setTimeout(r, 50));
  });
  const all = lines();
  rmSync(dir, { recursive: true, force: true });
  const esm = all.filter((l) => l.startsWith('esm ')).map((l) => l.slice(4));
  const cjs = all.filter((l) => l.startsWith('cjs ')).map((l) => l.slice(4));
  const packages = new Set([...esm, ...cjs].map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter(Boolean));
  // A CommonJS package imported from an ES module is in both lists.
  return { esm: esm.length, ours: esm.filter((u) => u.includes('/dist/src/')).length, cjs: cjs.filter((p) => !esm.includes(pathToFileURL(p).href)).length, packages: packages.size };
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  const runs = envNumber('BENCH_STARTUP_RUNS', 9);
  const machine = machineInfo();
  const loadBefore = loadavg()[0] ?? 0;
  await start(); // warm the file cache; not counted
  const starts: Start[] = [];
  for (let i = 0; i < runs; i += 1) starts.push(await start());
  const modules = await moduleCounts();
  const cpu = starts.map((s) => s.cpuMs);
  const wall = starts.map((s) => s.wallMs);
  console.log(`tradewind start (defaults${withCcxt ? ' + a ccxt account' : ''}) to "listening on", ${runs} starts; ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; load average ${loadBefore.toFixed(1)} -> ${(loadavg()[0] ?? 0).toFixed(1)}`);
  console.log(`  CPU ms (user+sys): median ${median(cpu).toFixed(0)}, min ${Math.min(...cpu).toFixed(0)}, max ${Math.max(...cpu).toFixed(0)}`);
  console.log(`  wall ms:           median ${median(wall).toFixed(0)}, min ${Math.min(...wall).toFixed(0)}, max ${Math.max(...wall).toFixed(0)}`);
  console.log(`  modules loaded:    ${modules.esm} ES modules (${modules.ours} of Tradewind's), ${modules.cjs} CommonJS, from ${modules.packages} packages`);
}

if (isMain(import.meta.url)) await main();
