/**
 * The model port: anything that turns one feature vector into a score. Gradient-boosted trees
 * (XGBoost JSON, LightGBM text, our own trainer) and ONNX graphs implement it (src/ml/); model
 * servers, the ensemble coordinator and backtests use only this interface.
 */

/** What the model's raw output means. */
export type ModelObjective =
  /** Binary classification: the margin is log-odds, `probability` is P(label = 1). */
  | 'binary'
  /** Regression: the margin is the predicted value itself, `probability` is null. */
  | 'regression';

export type ModelType = 'xgboost' | 'lightgbm' | 'onnx';

export interface ModelMetadata {
  /** The format the model was loaded from ('lightgbm' also for our own trainer's output). */
  type: ModelType;
  /** Free-form version of the model (file version, trainer version or a counter). */
  version: string;
  objective: ModelObjective;
  /** Names of the inputs, in order; a prediction takes exactly this many values. */
  featureNames: readonly string[];
  /** Rows the model was trained on when the file says so, else null. */
  trainingSamples: number | null;
  /** Number of trees for tree ensembles, null for other models. */
  trees: number | null;
}

export interface Prediction {
  /**
   * The raw score before the link function: log-odds for binary models (XGBoost's
   * output_margin, LightGBM's raw_score), the predicted value for regression.
   */
  margin: number;
  /** P(label = 1) for binary models; null for regression. */
  probability: number | null;
}

/** One feature vector; NaN marks a missing value (trees send it the way they learned). */
export type FeatureRow = Float64Array | Float32Array | readonly number[];

export interface Model {
  readonly metadata: ModelMetadata;
  /** Scores one row; rejects when the row does not have `featureNames.length` values. */
  predict(features: FeatureRow): Promise<Prediction>;
  /** Scores many rows at once (one ONNX run, one pass over the trees per row). */
  predictBatch(rows: readonly FeatureRow[]): Promise<Prediction[]>;
  /** Releases native resources (ONNX sessions); a no-op for trees. */
  close(): Promise<void>;
}

/** A model that can answer synchronously (in-process tree inference). */
export interface SyncModel extends Model {
  predictSync(features: FeatureRow): Prediction;
}

/** Loads a model file (src/ml/load-model.ts implements it); injected where models are served. */
export type ModelLoader = (path: string) => Promise<Model>;

/** The model file is not something we can load; the message says why (never a server path). */
export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

/** A row given to a model does not fit it. */
export class ModelInputError extends Error {
  override name = 'ModelInputError';
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const logit = (p: number): number => Math.log(p / (1 - p));
