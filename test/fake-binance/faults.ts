// Fault injection for the REST side: rules matched on method, path and API key, each applied a
// number of times. A rule acts before the request is processed (the venue never sees it) or
// after (the venue processed it: the order is booked, then the answer is delayed, replaced or
// lost), which is what makes "did my order go through?" testable.

export type FaultPhase = 'before' | 'after';

export interface FaultMatch {
  method?: string;
  /** Exact path, or a prefix when it ends with `*`, or a regular expression. */
  path?: string | RegExp;
  apiKey?: string;
}

export type FaultAction =
  /** Wait before processing (`before`) or before answering (`after`). */
  | { kind: 'latency'; ms: number; phase?: FaultPhase }
  /** Destroy the connection without an answer. */
  | { kind: 'drop'; phase?: FaultPhase }
  /** Answer with this HTTP status (and Binance body); `retryAfter` sets Retry-After in seconds. */
  | { kind: 'status'; status: number; code?: number; msg?: string; rawBody?: string; retryAfter?: number; phase?: FaultPhase };

export type FaultRule = FaultAction & {
  match?: FaultMatch;
  /** How many matching requests the rule applies to (default 1; Infinity = until removed). */
  times?: number;
};

interface ActiveRule {
  id: number;
  rule: FaultRule;
  left: number;
}

export interface RequestInfo {
  method: string;
  path: string;
  apiKey: string | undefined;
}

function matches(m: FaultMatch | undefined, r: RequestInfo): boolean {
  if (!m) return true;
  if (m.method && m.method.toUpperCase() !== r.method) return false;
  if (m.apiKey && m.apiKey !== r.apiKey) return false;
  if (m.path !== undefined) {
    if (m.path instanceof RegExp) return m.path.test(r.path);
    if (m.path.endsWith('*')) return r.path.startsWith(m.path.slice(0, -1));
    return m.path === r.path;
  }
  return true;
}

export class Faults {
  private rules: ActiveRule[] = [];
  private nextId = 1;

  add(rule: FaultRule): number {
    const id = this.nextId++;
    this.rules.push({ id, rule, left: rule.times ?? 1 });
    return id;
  }

  remove(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  get size(): number {
    return this.rules.length;
  }

  /** The latency to add and the terminal action (drop or status) for this request and phase. */
  take(r: RequestInfo, phase: FaultPhase): { latencyMs: number; terminal?: FaultAction } {
    let latencyMs = 0;
    let terminal: FaultAction | undefined;
    for (const a of this.rules) {
      if (a.left <= 0 || (a.rule.phase ?? 'before') !== phase || !matches(a.rule.match, r)) continue;
      if (a.rule.kind === 'latency') {
        latencyMs += a.rule.ms;
        a.left--;
      } else if (!terminal) {
        terminal = a.rule;
        a.left--;
      }
    }
    this.rules = this.rules.filter((a) => a.left > 0);
    return { latencyMs, terminal };
  }
}
