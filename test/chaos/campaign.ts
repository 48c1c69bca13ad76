// A crash campaign: trials of "orders flow from every source at once, SIGKILL at a random
// moment, restart, full audit" against one data directory, the fake venue and the bridge
// executor outliving every crash. Seeded: the same seed gives the same kill moments and flows
// (the machine's timing still varies what is in flight at the kill).
import { auditBridge, auditJournal, auditRestored, auditVenue } from './audit.js';
import { Flows, type Source } from './flows.js';
import { readJournal } from './journal.js';
import { seededRandom } from '../../src/core/seeded-random.js';
import { ChaosWorld } from './world.js';

export interface ChaosOptions {
  trials: number;
  seed: number;
  /** Stop starting new trials after this long (the campaign stays bounded in time). */
  budgetMs: number;
  /** Shortest and longest flow before the kill. */
  minFlowMs?: number;
  maxFlowMs?: number;
  /** One trial in this many also SIGKILLs the bridge executor. */
  bridgeCrashEvery?: number;
  /** > 0: the bridge executor long-polls with this wait_ms (0: plain polls). */
  bridgeWaitMs?: number;
  log?: (line: string) => void;
}

export interface TrialResult {
  trial: number;
  flowMs: number;
  restartMs: number;
  reconcileMs: number;
  problems: string[];
}

export interface ChaosReport {
  seed: number;
  trials: TrialResult[];
  acknowledged: Record<Source, number>;
  /** Orders and fills in the journal at the end, per account. */
  orders: Record<string, number>;
  /** Orders per bot (demo-sma, max-NNN, ensemble, desk, bridge, ...). */
  ordersByBot: Record<string, number>;
  fills: Record<string, number>;
  bridgeExecuted: number;
  problems: string[];
  wallMs: number;
}


const countBy = (items: Iterable<{ accountId: string }>) => {
  const out: Record<string, number> = {};
  for (const i of items) out[i.accountId] = (out[i.accountId] ?? 0) + 1;
  return out;
};

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => {});
  const random = seededRandom(o.seed);
  const world = new ChaosWorld(o.bridgeWaitMs ?? 0);
  const t0 = Date.now();
  const trials: TrialResult[] = [];
  const flows = new Flows(world, random);
  try {
    await world.start();
    await flows.startMaxBot();
    for (let trial = 1; trial <= o.trials && Date.now() - t0 < o.budgetMs; trial++) {
      const flowMs = Math.round((o.minFlowMs ?? 300) + random() * ((o.maxFlowMs ?? 3000) - (o.minFlowMs ?? 300)));
      flows.start();
      await new Promise((r) => setTimeout(r, flowMs));
      await world.kill9();
      await flows.stop();
      if (o.bridgeCrashEvery && trial % o.bridgeCrashEvery === 0) await world.crashBridge();
      const atCrash = readJournal(world.dataDir);
      const problems = auditJournal(atCrash, []);
      const restartMs = await world.startServer();
      const venue = await auditVenue(world, 30_000);
      problems.push(...venue.problems);
      problems.push(...auditJournal(readJournal(world.dataDir), flows.acknowledged));
      problems.push(...auditBridge(world));
      problems.push(...(await auditRestored(world, atCrash)));
      trials.push({ trial, flowMs, restartMs, reconcileMs: venue.waitedMs, problems });
      log(`trial ${trial}: flow ${flowMs} ms, restart ${restartMs} ms, venue agreed after ${venue.waitedMs} ms, ${flows.acknowledged.length} orders acknowledged so far${problems.length ? `\n  PROBLEMS:\n  ${problems.join('\n  ')}` : ''}`);
    }
    const end = readJournal(world.dataDir);
    const acknowledged: Record<Source, number> = { desk: 0, bridge: 0, venue: 0 };
    for (const a of flows.acknowledged) acknowledged[a.source]++;
    return {
      seed: o.seed,
      trials,
      acknowledged,
      orders: countBy(end.orders.values()),
      ordersByBot: countBy([...end.orders.values()].map((x) => ({ accountId: x.botId || '(none)' }))),
      fills: countBy(end.fills),
      bridgeExecuted: world.bridges.flatMap((b) => b.executed()).length,
      problems: trials.flatMap((t) => t.problems.map((p) => `trial ${t.trial}: ${p}`)),
      wallMs: Date.now() - t0,
    };
  } catch (err) {
    log(`campaign stopped: ${String(err)}\n--- server output ---\n${world.server?.output().slice(-4000) ?? ''}`);
    throw err;
  } finally {
    await world.stop();
  }
}
