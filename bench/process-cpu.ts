// CPU seconds spent by this process's waited-for children, by the local PostgreSQL server and by
// a process tree, read from /proc (Linux only; elsewhere they read 0). A rows-per-CPU-second figure stays
// comparable when the machine is shared, where rows per wall-clock second does not.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** The fields of /proc/<pid>/stat after the command name (f[0] is field 3, the state), or null. */
function statFields(pid: string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** utime, stime, cutime, cstime of /proc/<pid>/stat, in seconds. */
function times(pid: string): [number, number, number, number] | null {
  const f = statFields(pid);
  // utime is field 14, so f[11]; stime f[12]; cutime f[13]; cstime f[14].
  return f ? ([Number(f[11]), Number(f[12]), Number(f[13]), Number(f[14])].map((v) => v / TICKS_PER_SECOND) as [number, number, number, number]) : null;
}

/** The numeric entries of /proc (every process), or none where there is no /proc. */
function pids(): string[] {
  try {
    return readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
}

/** utime + stime of the living processes descending from `root` (a browser a bench launched), in seconds. */
export function descendantsCpuSeconds(root: number): number {
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const pid of pids()) {
    const f = statFields(pid);
    if (!f) continue; // ended meanwhile
    const ppid = Number(f[1]);
    const siblings = children.get(ppid);
    if (siblings) siblings.push(Number(pid));
    else children.set(ppid, [Number(pid)]);
    cpu.set(Number(pid), (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND);
  }
  let total = 0;
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop() as number;
    total += cpu.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
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
  for (const pid of pids()) {
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
