/**
 * ONNX models through onnxruntime-node (the CPU build shipped in the npm package). The model
 * takes one float tensor [batch, features]. Its output is read as:
 * - a float tensor [batch, 2] (a classifier's probabilities, e.g. TreeEnsembleClassifier or
 *   skl2onnx/onnxmltools converters with zipmap off): binary; probability = column 1 and the
 *   margin is its logit;
 * - otherwise the first float tensor [batch] or [batch, 1]: the margin; binary (probability =
 *   sigmoid) when `objective: 'binary'` is given, else regression.
 * Non-tensor outputs (ZipMap's sequence of maps) are not fetched.
 */
import type * as Ort from 'onnxruntime-node';
import { logit, ModelFormatError, ModelInputError, sigmoid, type FeatureRow, type Model, type ModelMetadata, type ModelObjective, type Prediction } from '../core/model.js';

export interface OnnxOptions {
  /** Names of the inputs; required when the input's feature dimension is not fixed. */
  featureNames?: readonly string[];
  /** What a single-column output means (default regression). */
  objective?: ModelObjective;
  version?: string;
  trainingSamples?: number;
}

type TensorMeta = { name: string; isTensor: true; type: string; shape: readonly (number | string)[] };

const isTensorMeta = (m: Ort.InferenceSession.ValueMetadata): m is Ort.InferenceSession.ValueMetadata & TensorMeta => m.isTensor;

/** The native runtime is loaded on the first ONNX model only (it is large; most processes never need it). */
const runtime = (): Promise<typeof Ort> => import('onnxruntime-node');

export class OnnxModel implements Model {
  private constructor(
    readonly metadata: ModelMetadata,
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    private readonly input: string,
    private readonly output: string,
    private readonly mode: 'probabilities' | 'margin',
  ) {}

  /** Loads an ONNX model from its bytes. */
  static async load(bytes: Uint8Array, options: OnnxOptions = {}): Promise<OnnxModel> {
    const ort = await runtime();
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    } catch (e) {
      throw new ModelFormatError(`not a loadable ONNX model: ${String((e as Error).message ?? e).split('\n')[0]?.slice(0, 200)}`);
    }
    try {
      return OnnxModel.describe(ort, session, options);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  private static describe(ort: typeof Ort, session: Ort.InferenceSession, options: OnnxOptions): OnnxModel {
    const inputs = session.inputMetadata;
    if (inputs.length !== 1) throw new ModelFormatError(`the ONNX model has ${inputs.length} inputs; one float tensor [batch, features] is supported`);
    const input = inputs[0] as Ort.InferenceSession.ValueMetadata;
    if (!isTensorMeta(input) || input.type !== 'float32') throw new ModelFormatError('the ONNX model input must be a float tensor [batch, features]');
    const width = input.shape.length === 2 && typeof input.shape[1] === 'number' && input.shape[1] > 0 ? input.shape[1] : null;
    let featureNames = options.featureNames ? [...options.featureNames] : null;
    if (featureNames && width !== null && featureNames.length !== width) throw new ModelFormatError(`the ONNX model takes ${width} features but ${featureNames.length} names were given`);
    if (!featureNames) {
      if (width === null) throw new ModelFormatError('the ONNX model does not fix its number of features: give the feature names');
      featureNames = Array.from({ length: width }, (_, i) => `f${i}`);
    }
    const tensors = session.outputMetadata.filter(isTensorMeta).filter((m) => m.type === 'float32');
    const probs = tensors.find((m) => m.shape.length === 2 && m.shape[1] === 2);
    const single = tensors.find((m) => m.shape.length === 1 || (m.shape.length === 2 && m.shape[1] === 1));
    const chosen = probs ?? single;
    if (!chosen) throw new ModelFormatError('the ONNX model has no float output [batch, 2] (probabilities) or [batch, 1] (score)');
    const objective: ModelObjective = probs ? 'binary' : options.objective ?? 'regression';
    const metadata: ModelMetadata = {
      type: 'onnx',
      version: options.version ?? '1.0',
      objective,
      featureNames,
      trainingSamples: options.trainingSamples ?? null,
      trees: null,
    };
    return new OnnxModel(metadata, ort, session, input.name, chosen.name, probs ? 'probabilities' : 'margin');
  }

  async predict(features: FeatureRow): Promise<Prediction> {
    return (await this.predictBatch([features]))[0] as Prediction;
  }

  async predictBatch(rows: readonly FeatureRow[]): Promise<Prediction[]> {
    const d = this.metadata.featureNames.length;
    if (rows.length === 0) return [];
    const data = new Float32Array(rows.length * d);
    rows.forEach((r, i) => {
      if (r.length !== d) throw new ModelInputError(`expected ${d} features (${this.metadata.featureNames.join(', ')}), got ${r.length}`);
      for (let j = 0; j < d; j++) data[i * d + j] = r[j] as number;
    });
    const feeds = { [this.input]: new this.ort.Tensor('float32', data, [rows.length, d]) };
    const result = await this.session.run(feeds, [this.output]);
    const out = (result[this.output] as Ort.Tensor).data as Float32Array;
    const preds: Prediction[] = [];
    for (let i = 0; i < rows.length; i++) {
      if (this.mode === 'probabilities') {
        const p = out[i * 2 + 1] as number;
        preds.push({ margin: logit(Math.min(1 - 1e-7, Math.max(1e-7, p))), probability: p });
      } else {
        const m = out[i] as number;
        preds.push({ margin: m, probability: this.metadata.objective === 'binary' ? sigmoid(m) : null });
      }
    }
    return preds;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
