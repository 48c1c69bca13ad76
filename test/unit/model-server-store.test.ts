// A model server's prediction journal (real SQLite file): predictions are written after the
// answer, in batches, yet feedback that follows at once still finds them, pruning keeps the
// newest, and nothing pending is lost on close.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ModelServerStore, type PredictionRecord } from '../../src/adapters/store-sqlite/model-server-store.js';
import { tempDir } from './support.js';

const prediction = (i: number, tradeId: string | null = null): PredictionRecord => ({ ts: 1_000 + i, tradeId, close: 100 + i, features: [i, Number.NaN, 0.5], action: 'long', probability: 0.6, modelVersion: '1' });
const rows = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM predictions`).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/** Polls a condition (the store's batch timer is its own business). */
async function waitFor(ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

describe('ModelServerStore predictions', () => {
  it('writes predictions after the answer, in batches, and feedback right after a prediction finds it', async () => {
    const dir = tempDir('tw-ms-store-');
    const store = new ModelServerStore(dir.file('ms.db'), 50_000, 20, 3);
    try {
      store.recordPrediction(prediction(1));
      store.recordPrediction(prediction(2, 'T-2'));
      assert.equal(rows(dir.file('ms.db')), 0, 'nothing written inside the answer');
      await waitFor(() => rows(dir.file('ms.db')) === 2);
      store.recordPrediction(prediction(3, 'T-3'));
      // No turn of the event loop in between: the feedback still joins its prediction.
      const fb = store.recordFeedback({ ts: 1_010, tradeId: 'T-3', entryPrice: 103, exitPrice: 104, pnl: 1, outcome: 'win', durationSeconds: 60 }, 60_000, 0.001);
      assert.equal(fb.matched, true);
      const [sample] = store.samples();
      assert.deepEqual(sample?.features.slice(0, 1), [3]);
      assert.ok(Number.isNaN(sample?.features[1] as number), 'a missing feature stays missing');
      assert.equal(store.predictionCount(), 3);
      // A full batch (3 rows) is written on the next turn of the event loop, without waiting for batchMs.
      for (let i = 4; i <= 6; i++) store.recordPrediction(prediction(i));
      assert.equal(rows(dir.file('ms.db')), 3);
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      assert.equal(rows(dir.file('ms.db')), 6);
    } finally {
      store.close();
      dir.cleanup();
    }
  });

  it('keeps the newest predictions when pruning, and close() writes what is pending', () => {
    const dir = tempDir('tw-ms-store-');
    const store = new ModelServerStore(dir.file('ms.db'), 500);
    for (let i = 1; i <= 2_400; i++) store.recordPrediction(prediction(i));
    store.flush();
    // Pruned at ids 1000 and 2000: everything up to 2000 - 500 is gone.
    assert.equal(store.predictionCount(), 2_400 - 1_500);
    store.recordPrediction(prediction(2_401));
    store.close();
    assert.equal(rows(dir.file('ms.db')), 901);
    dir.cleanup();
  });
});
