import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { getJson, repoRoot, tempDir, type ServerHandle } from './server.js';

const bin = join(repoRoot, 'bin', 'tradewind.js');

export type Obj = Record<string, unknown>;

export const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export interface BridgeProc {
  proc: ChildProcess;
  stateDir: string;
  output: () => string;
  /** Order ids this process executed, in order (its EXECUTED lines). */
  executed: () => string[];
  /** SIGTERM: a clean stop (delivers what it can). */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to clean up. */
  kill9(): Promise<void>;
}

/** A real `tradewind bridge` process; `stateDir` defaults to a fresh temp dir (its journal). */
export function startBridge(o: { url: string; secret: string; owner: string; stateDir?: string; args?: string[] }): BridgeProc {
  const stateDir = o.stateDir ?? tempDir(`tw-bridge-${o.owner}-`);
  const proc = spawn(
    process.execPath,
    [bin, 'bridge', '--url', o.url, '--secret', o.secret, '--owner', o.owner, '--state-dir', stateDir, '--poll-ms', '100', '--heartbeat-ms', '300', ...(o.args ?? [])],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  return {
    proc,
    stateDir,
    output: () => out,
    executed: () => [...out.matchAll(/EXECUTED (\S+)/g)].map((m) => m[1] as string),
    async stop() {
      if (alive()) proc.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (alive()) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** What a bridge's journal holds on disk (read while the bridge is dead). */
export function readJournal(stateDir: string): { outbox: { order_id: string; body: string }[]; orders: { id: string; state: string }[] } {
  const db = new Database(join(stateDir, 'bridge-journal.db'), { readonly: true });
  try {
    return {
      outbox: db.prepare(`SELECT order_id, body FROM outbox ORDER BY seq`).all() as { order_id: string; body: string }[],
      orders: db.prepare(`SELECT id, state FROM orders ORDER BY rowid`).all() as { id: string; state: string }[],
    };
  } finally {
    db.close();
  }
}

export async function bridgeStatus(server: ServerHandle, headers: Record<string, string> = {}): Promise<Obj> {
  return (await getJson<Obj>(`${server.url}/api/bridge/status?limit=500`, { headers })).body;
}

export type QueueRow = { id: string; status: string; leaseOwner: string | null; reason: string | null };

export async function queueRow(server: ServerHandle, id: string): Promise<QueueRow | undefined> {
  return ((await bridgeStatus(server)).queue as QueueRow[]).find((q) => q.id === id);
}

/** The operator alerts in GET /api/state's event log (type ALERT), oldest first. */
export async function stateAlerts(server: ServerHandle): Promise<Obj[]> {
  const events = ((await getJson<Obj>(`${server.url}/api/state`)).body.events ?? []) as Obj[];
  return events.filter((e) => e.type === 'ALERT');
}
