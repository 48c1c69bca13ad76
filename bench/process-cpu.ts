// CPU seconds spent by this process's waited-for children and by the local PostgreSQL server,
// read from /proc (Linux only; elsewhere both read 0). A rows-per-CPU-second figure stays
// comparable when the machine is shared, where rows per wall-clock second does not.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime, stime, cutime, cstime of /proc/<pid>/stat, in seconds (fields after the command name). */
function times(pid: string): [number, number, number, number] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state): utime is field 14, so f[11]; stime f[12]; cutime f[13]; cstime f[14].
    return [Number(f[11]), Number(f[12]), Number(f[13]), Number(f[14])].map((v) => v / TICKS_PER_SECOND) as [number, number, number, number];
  } catch {
    return null;
  }
}

/** CPU seconds of the children this process has waited for (spawnSync'd CLI runs). */
export function childrenCpuSeconds(): number {
  const t = times('self');
  return t ? t[2] + t[3] : 0;
}

/**
 * CPU seconds of every process whose command line starts with `postgres` (the postmaster, its
 * background processes, live backends) plus what the postmaster has reaped (backends that ended,
 * such as an import's connection). Includes other clients of the same server.
 */
export function postgresCpuSeconds(): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.startsWith('postgres') && !cmd.includes('/bin/postgres')) continue;
    const t = times(pid);
    if (t) total += t[0] + t[1] + t[2] + t[3];
  }
  return total;
}

/** utime + stime of one process, in seconds; null once it has exited. */
export function processCpuSeconds(pid: number): number | null {
  const t = times(String(pid));
  return t ? t[0] + t[1] : null;
}
