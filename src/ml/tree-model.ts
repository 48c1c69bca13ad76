import { ModelInputError, type FeatureRow, type ModelMetadata, type Prediction, type SyncModel } from '../core/model.js';
import type { TreeEnsemble } from './tree-ensemble.js';

/** How the margin becomes a probability. */
export type OutputTransform =
  /** P = 1 / (1 + exp(-scale * margin)); XGBoost's binary:logistic (scale 1, in float32) and LightGBM's `binary sigmoid:S`. */
  | { kind: 'sigmoid'; scale: number; float32: boolean }
  | { kind: 'identity' };

/** A tree ensemble behind the Model port. */
export class TreeModel implements SyncModel {
  constructor(
    readonly metadata: ModelMetadata,
    readonly ensemble: TreeEnsemble,
    readonly transform: OutputTransform,
  ) {
    if (ensemble.numFeatures !== metadata.featureNames.length) {
      throw new Error(`the model has ${ensemble.numFeatures} features but ${metadata.featureNames.length} feature names`);
    }
  }

  predictSync(features: FeatureRow): Prediction {
    if (features.length !== this.ensemble.numFeatures) {
      throw new ModelInputError(`expected ${this.ensemble.numFeatures} features (${this.metadata.featureNames.join(', ')}), got ${features.length}`);
    }
    const margin = this.ensemble.margin(features);
    const t = this.transform;
    if (t.kind === 'identity') return { margin, probability: null };
    const p = 1 / (1 + Math.exp(-t.scale * margin));
    return { margin, probability: t.float32 ? Math.fround(p) : p };
  }

  async predict(features: FeatureRow): Promise<Prediction> {
    return this.predictSync(features);
  }

  async predictBatch(rows: readonly FeatureRow[]): Promise<Prediction[]> {
    return rows.map((r) => this.predictSync(r));
  }

  async close(): Promise<void> {}
}
