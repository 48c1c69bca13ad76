import Database from 'better-sqlite3';
import { migrate } from './migrate.js';
import type { Migration } from './migrations.js';

/**
 * One model server's own SQLite file (DATA_DIR/<name>/model-server.db): the feature rows of its
 * recent predictions, the trade outcomes sent to POST /feedback (each joined to the prediction
 * it came from, so it is a training sample), and the models that retraining produced.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'model server',
    sql: `
      CREATE TABLE predictions (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        trade_id TEXT,
        close REAL NOT NULL,
        features TEXT NOT NULL,
        action TEXT NOT NULL,
        probability REAL NOT NULL,
        model_version TEXT NOT NULL
      );
      CREATE INDEX predictions_trade ON predictions(trade_id) WHERE trade_id IS NOT NULL;
      CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        trade_id TEXT NOT NULL,
        entry_price REAL NOT NULL,
        exit_price REAL NOT NULL,
        pnl REAL NOT NULL,
        outcome TEXT NOT NULL,
        duration_seconds REAL,
        prediction_id INTEGER,
        features TEXT
      );
      CREATE TABLE models (
        version TEXT PRIMARY KEY,
        file TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        base_sha TEXT NOT NULL,
        samples INTEGER NOT NULL,
        valid_auc REAL
      );
    `,
  },
];

export interface PredictionRecord {
  ts: number;
  tradeId: string | null;
  close: number;
  features: ArrayLike<number>;
  action: string;
  probability: number;
  modelVersion: string;
}

export interface FeedbackRecord {
  ts: number;
  tradeId: string;
  entryPrice: number;
  exitPrice: number;
  pnl: number;
  outcome: string;
  durationSeconds: number | null;
}

/** A feedback row that was matched to a prediction: its features and the trade's return. */
export interface FeedbackSample {
  features: number[];
  /** exit_price / entry_price - 1. */
  forwardReturn: number;
}

export interface RetrainedModel {
  version: string;
  file: string;
  createdAt: number;
  baseSha: string;
  samples: number;
  validAuc: number | null;
}

const encode = (row: ArrayLike<number>): string => JSON.stringify(Array.from(row, (v) => (Number.isFinite(v) ? v : null)));
const decode = (text: string): number[] => (JSON.parse(text) as (number | null)[]).map((v) => (v === null ? Number.NaN : v));

export class ModelServerStore {
  private readonly db: Database.Database;
  private readonly insertPrediction: Database.Statement;
  private readonly writePending: () => void;
  private pending: PredictionRecord[] = [];
  private flushScheduled: NodeJS.Timeout | null = null;

  constructor(
    file: string,
    /** Predictions kept for matching feedback (the oldest are dropped). */
    private readonly keepPredictions = 50_000,
    private readonly batchMs = 100,
    private readonly batchRows = 256,
  ) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    migrate(this.db, MIGRATIONS);
    this.insertPrediction = this.db.prepare(`INSERT INTO predictions (ts, trade_id, close, features, action, probability, model_version) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    const prune = this.db.prepare(`DELETE FROM predictions WHERE id <= ?`);
    this.writePending = this.db.transaction(() => {
      const rows = this.pending;
      this.pending = [];
      for (const p of rows) {
        const id = Number(this.insertPrediction.run(p.ts, p.tradeId, p.close, encode(p.features), p.action, p.probability, p.modelVersion).lastInsertRowid);
        if (id % 1000 === 0) prune.run(id - this.keepPredictions);
      }
    });
  }

  /**
   * Keeps a prediction's features for matching later feedback. The write is deferred and
   * batched: one transaction for what came in during `batchMs` (or `batchRows` rows), so no
   * SQLite commit (nor a WAL checkpoint now and then) is inside a prediction's answer time and a
   * steady stream of predictions costs one commit per batch, not one each. Every read below
   * writes what is pending first, and close() does too; a crash loses at most one batch.
   */
  recordPrediction(p: PredictionRecord): void {
    this.pending.push(p);
    if (this.pending.length === this.batchRows) {
      // A full batch goes out at the next turn (not now: the caller is still building its answer).
      if (this.flushScheduled) clearTimeout(this.flushScheduled);
      this.flushScheduled = setTimeout(() => this.flush(), 0);
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = setTimeout(() => this.flush(), this.batchMs);
      // A pending batch never keeps the process alive; close() writes it.
      this.flushScheduled.unref();
    }
  }

  /** Writes the pending predictions now. */
  flush(): void {
    if (this.flushScheduled) clearTimeout(this.flushScheduled);
    this.flushScheduled = null;
    if (this.pending.length > 0) this.writePending();
  }

  /**
   * Stores a trade outcome, joined to the prediction it came from: the one sent with the same
   * `meta.trade_id`, else the latest one within `windowMs` whose close is within `priceTolerance`
   * (relative) of the entry price. Returns whether it was matched (only matched rows train).
   */
  recordFeedback(f: FeedbackRecord, windowMs: number, priceTolerance: number): { id: number; matched: boolean } {
    this.flush();
    return this.db.transaction(() => {
      type Row = { id: number; features: string };
      const byTrade = this.db.prepare(`SELECT id, features FROM predictions WHERE trade_id = ? ORDER BY id DESC LIMIT 1`).get(f.tradeId) as Row | undefined;
      const byPrice =
        byTrade ??
        (this.db
          .prepare(`SELECT id, features FROM predictions WHERE ts >= ? AND ts <= ? AND abs(close - ?) <= ? ORDER BY id DESC LIMIT 1`)
          .get(f.ts - windowMs, f.ts, f.entryPrice, Math.abs(f.entryPrice) * priceTolerance) as Row | undefined);
      const id = Number(
        this.db
          .prepare(`INSERT INTO feedback (ts, trade_id, entry_price, exit_price, pnl, outcome, duration_seconds, prediction_id, features) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(f.ts, f.tradeId, f.entryPrice, f.exitPrice, f.pnl, f.outcome, f.durationSeconds, byPrice?.id ?? null, byPrice?.features ?? null).lastInsertRowid,
      );
      return { id, matched: byPrice !== undefined };
    })();
  }

  /** Matched feedback rows, oldest first. */
  samples(): FeedbackSample[] {
    const rows = this.db.prepare(`SELECT features, entry_price, exit_price FROM feedback WHERE features IS NOT NULL ORDER BY id`).all() as { features: string; entry_price: number; exit_price: number }[];
    return rows.map((r) => ({ features: decode(r.features), forwardReturn: r.exit_price / r.entry_price - 1 }));
  }

  sampleCount(): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM feedback WHERE features IS NOT NULL`).get() as { n: number }).n;
  }

  feedbackCount(): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM feedback`).get() as { n: number }).n;
  }

  recordModel(m: RetrainedModel): void {
    this.db.prepare(`INSERT OR REPLACE INTO models (version, file, created_at, base_sha, samples, valid_auc) VALUES (?, ?, ?, ?, ?, ?)`).run(m.version, m.file, m.createdAt, m.baseSha, m.samples, m.validAuc);
  }

  /** The newest retrained model of this base model file, if any. */
  latestModel(baseSha: string): RetrainedModel | null {
    const r = this.db.prepare(`SELECT version, file, created_at, base_sha, samples, valid_auc FROM models WHERE base_sha = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`).get(baseSha) as
      | { version: string; file: string; created_at: number; base_sha: string; samples: number; valid_auc: number | null }
      | undefined;
    return r ? { version: r.version, file: r.file, createdAt: r.created_at, baseSha: r.base_sha, samples: r.samples, validAuc: r.valid_auc } : null;
  }

  /** Predictions stored so far (pending ones included). */
  predictionCount(): number {
    this.flush();
    return (this.db.prepare(`SELECT count(*) AS n FROM predictions`).get() as { n: number }).n;
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
