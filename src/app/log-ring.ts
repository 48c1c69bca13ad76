/**
 * The last N structured log entries of each component, kept in memory for GET /api/logs (seed 001).
 *
 * A LogRing is a pino destination: pino (or pino.multistream) calls `write(line)` with one
 * already-serialised, already-redacted JSON line. Writing is O(1) and does not parse: the raw
 * line is stored and parsed the first time a query reaches it, so logging on hot paths costs a
 * string reference (and an indexOf for its component), not a JSON.parse.
 *
 * Each component keeps its own last `capacity` lines, so a chatty one (the request/response
 * lines of `api`, several a second while dashboards poll) never pushes the engine's or the
 * orders' lines out of GET /api/logs. At most MAX_COMPONENTS partitions; later components share
 * the default one.
 *
 * Query semantics (what GET /api/logs answers):
 * - `level` is a minimum severity: level=WARNING returns WARNING, ERROR and CRITICAL. Names are
 *   case-insensitive; WARN, FATAL (= CRITICAL), TRACE (= DEBUG) and pino's own names are
 *   accepted. An unknown level throws a RangeError (answer 400).
 * - `component` is an exact, case-insensitive match on the entry's component.
 * - `limit` (default 100, capped at 1000) keeps the newest matching entries; 0 returns [].
 * - Results are in chronological order, oldest first and newest last (as `tail -n`).
 */

export type LogLevelName = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

export interface LogEntry {
  /** `<component>.log_<sequence>`; the sequence is unique and increasing per ring. */
  id: string;
  /** ISO 8601, UTC. */
  timestamp: string;
  level: LogLevelName;
  component: string;
  message: string;
  /** The line's remaining fields, or null when there are none. */
  data: Record<string, unknown> | null;
}

export interface LogQuery {
  level?: string;
  component?: string;
  limit?: number;
}

export const DEFAULT_LOG_CAPACITY = 2000;
export const DEFAULT_LOG_LIMIT = 100;
export const MAX_LOG_LIMIT = 1000;
export const DEFAULT_COMPONENT = 'app';
export const MAX_COMPONENTS = 64;

const SEVERITY: Record<LogLevelName, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };

const LEVEL_ALIASES: Record<string, LogLevelName> = {
  TRACE: 'DEBUG',
  DEBUG: 'DEBUG',
  INFO: 'INFO',
  WARN: 'WARNING',
  WARNING: 'WARNING',
  ERROR: 'ERROR',
  FATAL: 'CRITICAL',
  CRITICAL: 'CRITICAL',
};

/** Fields pino adds to every line, or that the entry carries elsewhere; never in `data`. */
const RESERVED = new Set(['level', 'time', 'msg', 'component', 'pid', 'hostname', 'service', 'v']);

/** 'warn', 'Warning', 'ERROR' ... to the seed's names; null when unknown. */
export function parseLogLevel(name: string): LogLevelName | null {
  return LEVEL_ALIASES[name.trim().toUpperCase()] ?? null;
}

/** pino's numeric levels (trace 10 ... fatal 60; custom levels by range) to the seed's names. */
export function levelFromPino(level: unknown): LogLevelName {
  if (typeof level === 'string') return parseLogLevel(level) ?? 'INFO';
  if (typeof level !== 'number' || !Number.isFinite(level)) return 'INFO';
  if (level >= 60) return 'CRITICAL';
  if (level >= 50) return 'ERROR';
  if (level >= 40) return 'WARNING';
  if (level >= 30) return 'INFO';
  return 'DEBUG';
}

interface Slot {
  seq: number;
  /** Wall time at write, used when the line carries no `time`. */
  writtenAt: number;
  raw: string;
  entry: LogEntry | null;
}

/** One component's circular buffer. */
class Partition {
  readonly slots: (Slot | undefined)[];
  /** Index the next write goes to. */
  head = 0;
  count = 0;

  constructor(readonly capacity: number) {
    this.slots = new Array<Slot | undefined>(capacity);
  }

  push(slot: Slot): void {
    this.slots[this.head] = slot;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The i-th newest slot (0 = newest). */
  newest(i: number): Slot | undefined {
    return this.slots[(this.head - 1 - i + this.capacity) % this.capacity];
  }
}

const COMPONENT_KEY = '"component":"';

/**
 * The component a serialised line names first (the logger's binding comes before the line's own
 * fields), without parsing it; null when it names none. The entry reports the same one.
 */
function componentOf(raw: string): string | null {
  const at = raw.indexOf(COMPONENT_KEY);
  if (at < 0) return null;
  const start = at + COMPONENT_KEY.length;
  const end = raw.indexOf('"', start);
  return end > start ? raw.slice(start, end) : null;
}

export class LogRing {
  /** Entries kept per component. */
  readonly capacity: number;
  private readonly parts = new Map<string, Partition>();
  private seq = 0;

  constructor(capacity = DEFAULT_LOG_CAPACITY, private readonly now: () => number = Date.now) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`log ring capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Entries currently held (at most `capacity` per component). */
  get size(): number {
    let n = 0;
    for (const p of this.parts.values()) n += p.count;
    return n;
  }

  /** The pino destination interface: one or more newline-terminated JSON lines. */
  write(chunk: string | Uint8Array): boolean {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      if (end > start) this.push(text.slice(start, end));
      start = end + 1;
    }
    return true;
  }

  clear(): void {
    this.parts.clear();
  }

  /** See the module comment for the semantics. Throws RangeError on a bad level or limit. */
  query(q: LogQuery = {}): LogEntry[] {
    let minSeverity = 0;
    if (q.level !== undefined && q.level !== '') {
      const level = parseLogLevel(q.level);
      if (!level) throw new RangeError(`unknown log level '${q.level}' (use DEBUG, INFO, WARNING, ERROR or CRITICAL)`);
      minSeverity = SEVERITY[level];
    }
    const limit = q.limit ?? DEFAULT_LOG_LIMIT;
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    const wanted = Math.min(limit, MAX_LOG_LIMIT);
    const component = q.component ? q.component.toLowerCase() : null;

    // Each partition's newest matching entries (at most `wanted`), then the newest of them all.
    const found: { seq: number; entry: LogEntry }[] = [];
    for (const [key, part] of this.parts) {
      if (component !== null && key !== component && key !== DEFAULT_COMPONENT) continue;
      let taken = 0;
      for (let i = 0; i < part.count && taken < wanted; i++) {
        const slot = part.newest(i);
        if (!slot) continue;
        const entry = (slot.entry ??= parseLine(slot));
        if (SEVERITY[entry.level] < minSeverity) continue;
        if (component !== null && entry.component.toLowerCase() !== component) continue;
        found.push({ seq: slot.seq, entry });
        taken++;
      }
    }
    found.sort((a, b) => b.seq - a.seq);
    return found.slice(0, wanted).reverse().map((f) => f.entry);
  }

  private push(raw: string): void {
    let key = (componentOf(raw) ?? DEFAULT_COMPONENT).toLowerCase();
    let part = this.parts.get(key);
    if (!part) {
      if (this.parts.size >= MAX_COMPONENTS) key = DEFAULT_COMPONENT;
      part = this.parts.get(key) ?? new Partition(this.capacity);
      this.parts.set(key, part);
    }
    part.push({ seq: ++this.seq, writtenAt: this.now(), raw, entry: null });
  }
}

function parseLine(slot: Slot): LogEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(slot.raw);
  } catch {
    parsed = null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return {
      id: `${DEFAULT_COMPONENT}.log_${slot.seq}`,
      timestamp: new Date(slot.writtenAt).toISOString(),
      level: 'INFO',
      component: DEFAULT_COMPONENT,
      message: slot.raw,
      data: null,
    };
  }
  const line = parsed as Record<string, unknown>;
  const component = componentOf(slot.raw) ?? (typeof line.component === 'string' && line.component !== '' ? line.component : DEFAULT_COMPONENT);
  const data: Record<string, unknown> = {};
  let hasData = false;
  for (const [key, value] of Object.entries(line)) {
    if (RESERVED.has(key)) continue;
    data[key] = value;
    hasData = true;
  }
  return {
    id: `${component}.log_${slot.seq}`,
    timestamp: toIso(line.time, slot.writtenAt),
    level: levelFromPino(line.level),
    component,
    message: typeof line.msg === 'string' ? line.msg : line.msg === undefined ? '' : String(line.msg),
    data: hasData ? data : null,
  };
}

function toIso(time: unknown, fallback: number): string {
  if (typeof time === 'number' && Number.isFinite(time)) return new Date(time).toISOString();
  if (typeof time === 'string') {
    const ms = Date.parse(time);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  return new Date(fallback).toISOString();
}
