import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './server.js';

const bin = join(repoRoot, 'bin', 'tradewind.js');

export interface WorkerHandle {
  name: string;
  health: string;
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/**
 * Starts a real `tradewind worker` process (health port on a free port) and waits for its
 * start line. `args` replace the default flags; `env` adds to this process's environment.
 */
export async function startWorker(options: { args?: string[]; env: Record<string, string>; timeoutMs?: number }): Promise<WorkerHandle> {
  const proc = spawn(process.execPath, [bin, 'worker', ...(options.args ?? ['--concurrency', '1', '--health-port', '0'])], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const started = await new Promise<{ name: string; health: string }>((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 180_000;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL'); // not left running (its pipes would keep the caller alive)
      reject(new Error(`worker did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const check = () => {
      const m = /tradewind worker (\S+) taking sweep points .*; health (http:\/\/\S+)/.exec(out);
      if (m?.[1] && m[2]) {
        clearTimeout(timer);
        proc.stdout?.off('data', check);
        resolve({ name: m[1], health: m[2] });
      }
    };
    proc.stdout?.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before starting:\n${out}`));
    });
  });
  return {
    ...started,
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
