// The audit after every restart: what a trader must be able to rely on after a crash.
//  - the journal file is sound and every order the server acknowledged is in it;
//  - no fill doubled: each order's fills add up to its filled quantity, never past its quantity;
//  - positions equal the sum of the fills, per account and instrument;
//  - the venue and the journal agree once reconciled: the same position, each client order id
//    once at the venue, every venue order known to the journal, one journal fill per venue trade;
//  - the bridge executed each order at most once;
//  - bots restored: the registry's running bots answer `running`; server-managed stops kept.
import type { Acknowledged } from './flows.js';
import { netQuantities, readJournal, type JournalSnapshot } from './journal.js';
import { VENUE_KEY, type ChaosWorld } from './world.js';

interface VenueState { positions: { symbol: string; amt: number }[]; orders: { clientOrderId: string; status: string }[]; trades: number }

const EPS = 1e-9;
const IN_FLIGHT = new Set(['pending_submit', 'cancel_pending']);

export function auditJournal(j: JournalSnapshot, acknowledged: readonly Acknowledged[]): string[] {
  const problems: string[] = [];
  if (j.integrity !== 'ok') problems.push(`quick_check: ${j.integrity}`);
  for (const a of acknowledged) {
    const o = j.orders.get(a.id);
    if (!o) problems.push(`acknowledged ${a.source} order ${a.id} is missing from the journal`);
    else if (o.accountId !== a.account) problems.push(`order ${a.id} is on account ${o.accountId}, acknowledged on ${a.account}`);
  }
  const filled = new Map<string, number>();
  for (const f of j.fills) {
    filled.set(f.orderId, (filled.get(f.orderId) ?? 0) + f.qty);
    if (!j.orders.has(f.orderId)) problems.push(`fill ${f.id} of unknown order ${f.orderId}`);
  }
  for (const [id, qty] of filled) {
    const o = j.orders.get(id);
    if (!o) continue;
    if (qty > o.qty + EPS) problems.push(`order ${id} (${o.accountId}) has fills for ${qty}, more than its quantity ${o.qty}: a doubled fill`);
    if (Math.abs(qty - o.filledQty) > EPS) problems.push(`order ${id} (${o.accountId}) says filled ${o.filledQty}, its fills add up to ${qty}`);
  }
  const { fromFills, fromPositions } = netQuantities(j);
  for (const k of new Set([...fromFills.keys(), ...fromPositions.keys()])) {
    const a = fromFills.get(k) ?? 0;
    const b = fromPositions.get(k) ?? 0;
    if (Math.abs(a - b) > 1e-6) problems.push(`${k}: the fills net ${a}, the open positions ${b}`);
  }
  return problems;
}

/** Waits (bounded) until the venue's books and the journal's `binance` account agree, then lists what still differs. */
export async function auditVenue(world: ChaosWorld, timeoutMs: number): Promise<{ problems: string[]; waitedMs: number }> {
  const t0 = Date.now();
  for (;;) {
    const problems: string[] = [];
    const venue = (await world.venueControl(`state?apiKey=${VENUE_KEY}`)) as VenueState;
    const j = readJournal(world.dataDir);
    const ours = [...j.orders.values()].filter((o) => o.accountId === 'binance');
    const inFlight = ours.filter((o) => IN_FLIGHT.has(o.status));
    if (inFlight.length > 0) problems.push(`${inFlight.length} binance order(s) still in flight: ${inFlight.map((o) => `${o.id}:${o.status}`).join(', ')}`);
    const venueAmt = venue.positions.find((p) => p.symbol === 'BTCUSDT')?.amt ?? 0;
    const journalAmt = netQuantities(j).fromPositions.get('binance BTC/USDT') ?? 0;
    if (Math.abs(venueAmt - journalAmt) > 1e-6) problems.push(`venue position ${venueAmt}, journal ${journalAmt}`);
    const seen = new Map<string, number>();
    for (const o of venue.orders) seen.set(o.clientOrderId, (seen.get(o.clientOrderId) ?? 0) + 1);
    for (const [cid, n] of seen) if (n > 1) problems.push(`client order id ${cid} sent ${n} times to the venue`);
    for (const cid of seen.keys()) if (!ours.some((o) => cid.endsWith(o.id))) problems.push(`venue order ${cid} unknown to the journal`);
    const fills = j.fills.filter((f) => f.accountId === 'binance').length;
    if (fills !== venue.trades) problems.push(`${fills} journal fills for ${venue.trades} venue trades`);
    if (problems.length === 0 || Date.now() - t0 > timeoutMs) return { problems, waitedMs: Date.now() - t0 };
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function auditBridge(world: ChaosWorld): string[] {
  const executed = world.bridges.flatMap((b) => b.executed());
  const counts = new Map<string, number>();
  for (const id of executed) counts.set(id, (counts.get(id) ?? 0) + 1);
  return [...counts].filter(([, n]) => n > 1).map(([id, n]) => `bridge order ${id} executed ${n} times`);
}

/** Bots the registry had running at the crash must run again; positions keep their stops. */
export async function auditRestored(world: ChaosWorld, atCrash: JournalSnapshot): Promise<string[]> {
  const problems: string[] = [];
  for (const bot of atCrash.bots.filter((b) => b.status === 'running' && b.kind === 'max')) {
    const r = await fetch(`${world.server.url}/api/v1/run-bot/max/${bot.id}`);
    const status = r.ok ? ((await r.json()) as { status: string }).status : `HTTP ${r.status}`;
    if (status !== 'running') problems.push(`Max bot ${bot.id} is ${status} after the restart`);
  }
  const now = readJournal(world.dataDir);
  for (const p of atCrash.openPositions) {
    const still = now.openPositions.find((q) => q.id === p.id);
    if (still && p.stopPrice !== null && still.stopPrice === null) problems.push(`position ${p.id} (${p.accountId} ${p.symbol}) lost its stop ${p.stopPrice}`);
  }
  return problems;
}
