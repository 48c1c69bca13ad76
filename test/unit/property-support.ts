// Shared settings of the property-based tests (fast-check). Not a test file itself.
import type { Parameters } from 'fast-check';

/**
 * Fixed seed (TRADEWIND_PROPERTY_SEED explores others) and a bounded number of runs, so each
 * file stays well under 20 s on a busy machine and a failure reproduces: fast-check's report
 * names the seed, the path and the shrunk counterexample, and we print the seed once more.
 */
export const PROPERTY_SEED = Number(process.env.TRADEWIND_PROPERTY_SEED ?? 17_2026);

export function propertyOptions<T>(o: { numRuns: number }): Parameters<T> {
  const scale = Number(process.env.TRADEWIND_PROPERTY_RUNS_SCALE ?? 1);
  return {
    seed: PROPERTY_SEED,
    numRuns: Math.max(1, Math.round(o.numRuns * scale)),
    endOnFailure: false,
    reporter: (details) => {
      if (!details.failed) return;
      process.stdout.write(`# property failed with seed ${details.seed} (TRADEWIND_PROPERTY_SEED=${details.seed}), path ${String(details.counterexamplePath)}\n`);
      throw new Error(fcDefaultReport(details));
    },
  };
}

/** fast-check's own failure text (counterexample, shrunk, and the error). */
function fcDefaultReport(details: { seed: number; counterexample: unknown; counterexamplePath: string | null; errorInstance?: unknown; numShrinks: number }): string {
  const error = details.errorInstance instanceof Error ? `${details.errorInstance.message}\n${details.errorInstance.stack ?? ''}` : String(details.errorInstance);
  return `Property failed (seed ${details.seed}, path ${String(details.counterexamplePath)}, ${details.numShrinks} shrinks)\nCounterexample: ${safeStringify(details.counterexample)}\n${error}`;
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (Buffer.isBuffer(x) ? `Buffer(${x.toString('base64')})` : typeof x === 'bigint' ? x.toString() : x)).slice(0, 4_000);
  } catch {
    return String(v);
  }
}
