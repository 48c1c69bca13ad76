/**
 * Process and system figures for GET /api/metrics/performance and
 * GET /api/engine/resource-health (seed 001), from Node built-ins only.
 *
 * - cpu_percent: CPU time (user + system) this process used since the previous sample,
 *   divided by the wall time between them, x100. NOT normalised by core count, as `top` and
 *   psutil's Process.cpu_percent: 100 = one core fully busy; it can exceed 100 when worker
 *   threads run in parallel. The first sample covers the time since the SystemMetrics was
 *   created. Samples closer together than `minCpuIntervalMs` (default 200 ms) return the
 *   previous figure, so two requests in a row do not produce a noisy reading.
 * - memory_percent: system memory in use, (total - available) / total, from os.totalmem and
 *   os.freemem (libuv reads MemAvailable on Linux). Host figures, not a cgroup limit.
 * - memory_used_mb: this process's resident set size, in MiB.
 * - disk_usage_percent: of the file system holding the data dir, as `df` computes it:
 *   used / (used + available to unprivileged users) x100. null if the dir cannot be statted.
 * - active_threads: OS threads of this process (entries of /proc/self/task: the main thread,
 *   V8's platform workers, libuv's thread pool once used, worker_threads). null off Linux.
 * - open_files: entries of /proc/self/fd (every open descriptor: files, sockets, pipes; the
 *   listing's own descriptor included). null off Linux.
 * - network_connections: this process's TCP and UDP sockets (listening ones included): socket
 *   descriptors whose inode appears in /proc/self/net/{tcp,tcp6,udp,udp6}. If those tables
 *   cannot be read, all socket descriptors (Unix sockets included). null off Linux.
 * - timestamp: seconds since the epoch, float (the seed's example).
 */
import { readdirSync, readFileSync, readlinkSync, statfsSync } from 'node:fs';
import { availableParallelism, freemem, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';

export interface PerformanceMetrics {
  cpu_percent: number;
  memory_percent: number;
  memory_used_mb: number;
  disk_usage_percent: number | null;
  active_threads: number | null;
  open_files: number | null;
  network_connections: number | null;
  timestamp: number;
}

export type HealthStatus = 'healthy' | 'warning' | 'error';

export interface ResourceHealth {
  status: HealthStatus;
  issues: string[];
  cpu_percent: number;
  memory_percent: number;
  memory_used_mb: number;
  disk_usage_percent: number | null;
  active_threads: number | null;
  optimization_count: number;
}

/** A level is reached when the value is >= it; null disables that level. */
export interface Threshold {
  warning: number | null;
  error: number | null;
}

export interface ResourceThresholds {
  /** Process CPU, top-style (100 = one core). */
  cpu_percent: Threshold;
  /** System memory in use. */
  memory_percent: Threshold;
  /** Process RSS in MiB; off by default. */
  memory_used_mb: Threshold;
  disk_usage_percent: Threshold;
  /** OS threads of the process; off by default. */
  active_threads: Threshold;
}

export const DEFAULT_RESOURCE_THRESHOLDS: ResourceThresholds = {
  cpu_percent: { warning: 80, error: 95 },
  memory_percent: { warning: 85, error: 95 },
  memory_used_mb: { warning: null, error: null },
  disk_usage_percent: { warning: 85, error: 95 },
  active_threads: { warning: null, error: null },
};

export interface SystemMetricsOptions {
  /** The directory whose file system disk_usage_percent reports. */
  dataDir: string;
  /** Milliseconds since the epoch, for `timestamp`. */
  now?: () => number;
  minCpuIntervalMs?: number;
}

const MIB = 1024 * 1024;
const round = (v: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

export class SystemMetrics {
  private readonly dataDir: string;
  private readonly now: () => number;
  private readonly minCpuIntervalNs: bigint;
  private lastCpu = process.cpuUsage();
  private lastWall = process.hrtime.bigint();
  private lastCpuPercent: number | null = null;

  constructor(options: SystemMetricsOptions) {
    this.dataDir = resolve(options.dataDir);
    this.now = options.now ?? Date.now;
    this.minCpuIntervalNs = BigInt(Math.max(0, Math.round((options.minCpuIntervalMs ?? 200) * 1e6)));
  }

  /** Logical cores available to the process (for readers who want a 0..100 per-machine figure). */
  static cores(): number {
    return availableParallelism();
  }

  /** Process CPU % since the previous sample (see the module comment). */
  cpuPercent(): number {
    const wall = process.hrtime.bigint();
    const elapsedNs = wall - this.lastWall;
    if (this.lastCpuPercent !== null && elapsedNs < this.minCpuIntervalNs) return this.lastCpuPercent;
    if (elapsedNs <= 0n) return this.lastCpuPercent ?? 0;
    const cpu = process.cpuUsage();
    const usedUs = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    const percent = round((usedUs * 1000 * 100) / Number(elapsedNs));
    this.lastCpu = cpu;
    this.lastWall = wall;
    this.lastCpuPercent = percent;
    return percent;
  }

  memoryPercent(): number {
    const total = totalmem();
    return total > 0 ? round(((total - freemem()) / total) * 100) : 0;
  }

  memoryUsedMb(): number {
    return round(process.memoryUsage.rss() / MIB);
  }

  diskUsagePercent(): number | null {
    let dir = this.dataDir;
    // The data dir may not exist yet: report the file system it will be created on.
    for (;;) {
      try {
        const s = statfsSync(dir);
        const used = (s.blocks - s.bfree) * s.bsize;
        const denominator = used + s.bavail * s.bsize;
        return denominator > 0 ? round((used / denominator) * 100) : 0;
      } catch {
        const parent = dirname(dir);
        if (parent === dir) return null;
        dir = parent;
      }
    }
  }

  activeThreads(): number | null {
    return countDir('/proc/self/task');
  }

  openFiles(): number | null {
    return countDir('/proc/self/fd');
  }

  networkConnections(): number | null {
    let fds: string[];
    try {
      fds = readdirSync('/proc/self/fd');
    } catch {
      return null;
    }
    const inodes = new Set<string>();
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        continue; // closed between the listing and the readlink
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m) inodes.add(m[1] as string);
    }
    if (inodes.size === 0) return 0;
    let matched = 0;
    let readAny = false;
    for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
      let text: string;
      try {
        text = readFileSync(`/proc/self/net/${table}`, 'utf8');
      } catch {
        continue;
      }
      readAny = true;
      const lines = text.split('\n');
      for (let i = 1; i < lines.length; i++) {
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
        const inode = lines[i]?.trim().split(/\s+/)[9];
        if (inode !== undefined && inodes.has(inode)) matched++;
      }
    }
    return readAny ? matched : inodes.size;
  }

  performance(): PerformanceMetrics {
    return {
      cpu_percent: this.cpuPercent(),
      memory_percent: this.memoryPercent(),
      memory_used_mb: this.memoryUsedMb(),
      disk_usage_percent: this.diskUsagePercent(),
      active_threads: this.activeThreads(),
      open_files: this.openFiles(),
      network_connections: this.networkConnections(),
      timestamp: this.now() / 1000,
    };
  }

  /**
   * healthy / warning / error with one issue line per threshold reached. `thresholds` are
   * merged per metric over DEFAULT_RESOURCE_THRESHOLDS. optimization_count is passed through
   * (the caller counts whatever resource optimisations it performs; Tradewind performs none
   * on its own, so it is 0 unless wired).
   */
  resourceHealth(thresholds: Partial<ResourceThresholds> = {}, optimizationCount = 0): ResourceHealth {
    const t: ResourceThresholds = { ...DEFAULT_RESOURCE_THRESHOLDS, ...thresholds };
    const figures = {
      cpu_percent: this.cpuPercent(),
      memory_percent: this.memoryPercent(),
      memory_used_mb: this.memoryUsedMb(),
      disk_usage_percent: this.diskUsagePercent(),
      active_threads: this.activeThreads(),
    };
    return { ...evaluateHealth(figures, t), ...figures, optimization_count: optimizationCount };
  }
}

const LABELS: Record<keyof ResourceThresholds, [string, string]> = {
  cpu_percent: ['CPU usage', '%'],
  memory_percent: ['Memory usage', '%'],
  memory_used_mb: ['Process memory', ' MB'],
  disk_usage_percent: ['Disk usage', '%'],
  active_threads: ['Thread count', ''],
};

/** Pure threshold check, exported for tests and for callers with their own figures. */
export function evaluateHealth(
  figures: Record<keyof ResourceThresholds, number | null>,
  thresholds: ResourceThresholds,
): { status: HealthStatus; issues: string[] } {
  let status: HealthStatus = 'healthy';
  const issues: string[] = [];
  for (const key of Object.keys(LABELS) as (keyof ResourceThresholds)[]) {
    const value = figures[key];
    const limit = thresholds[key];
    if (value === null || !limit) continue;
    const [label, unit] = LABELS[key];
    if (limit.error !== null && value >= limit.error) {
      status = 'error';
      issues.push(`${label} ${value}${unit} is at or above the error threshold ${limit.error}${unit}`);
    } else if (limit.warning !== null && value >= limit.warning) {
      if (status === 'healthy') status = 'warning';
      issues.push(`${label} ${value}${unit} is at or above the warning threshold ${limit.warning}${unit}`);
    }
  }
  return { status, issues };
}

function countDir(path: string): number | null {
  try {
    return readdirSync(path).length;
  } catch {
    return null;
  }
}
