/**
 * Loads a model file of any supported format behind the Model port: XGBoost JSON, LightGBM
 * text (also what `tradewind model train` writes) and ONNX. The format is recognised from the
 * content, not the file name.
 */
import { readFile } from 'node:fs/promises';
import { ModelFormatError, type Model, type ModelType } from '../core/model.js';
import { parseLightgbmText } from './lightgbm-text.js';
import { OnnxModel, type OnnxOptions } from './onnx-model.js';
import { parseXgboostJson } from './xgboost-json.js';

export interface LoadOptions {
  /** Skip detection. */
  format?: ModelType;
  /** For ONNX models (feature names, objective of a single-score output). */
  onnx?: OnnxOptions;
}

/** Largest model file accepted (a 200-tree depth-8 model is a few MB). */
export const MAX_MODEL_BYTES = 512 * 1024 * 1024;

export function detectFormat(bytes: Uint8Array): ModelType {
  let i = 0;
  while (i < bytes.length && i < 4096 && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09 || bytes[i] === 0xef || bytes[i] === 0xbb || bytes[i] === 0xbf)) i++;
  if (bytes[i] === 0x7b) return 'xgboost'; // '{'
  const head = Buffer.from(bytes.subarray(i, Math.min(bytes.length, i + 4096))).toString('latin1');
  if (/^tree\r?\n/.test(head) || /(^|\n)(version=v\d|num_class=|max_feature_idx=|Tree=0)/.test(head)) return 'lightgbm';
  return 'onnx';
}

export async function loadModelBytes(bytes: Uint8Array, options: LoadOptions = {}): Promise<Model> {
  if (bytes.length === 0) throw new ModelFormatError('the model file is empty');
  if (bytes.length > MAX_MODEL_BYTES) throw new ModelFormatError('the model file is too large');
  const format = options.format ?? detectFormat(bytes);
  switch (format) {
    case 'xgboost':
      return parseXgboostJson(Buffer.from(bytes).toString('utf8'));
    case 'lightgbm':
      return parseLightgbmText(Buffer.from(bytes).toString('utf8'));
    case 'onnx':
      return OnnxModel.load(bytes, options.onnx);
  }
}

export async function loadModelFile(path: string, options: LoadOptions = {}): Promise<Model> {
  return loadModelBytes(await readFile(path), options);
}
