/** Evaluation metrics for binary scores and regression. */

/**
 * Area under the ROC curve from scores and 0/1 labels (Mann-Whitney U with average ranks for
 * ties); NaN when a class is absent.
 */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if ((labels[order[k] as number] as number) > 0.5) {
        pos++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function logloss(prob: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < prob.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, prob[i] as number));
    s -= (labels[i] as number) > 0.5 ? Math.log(p) : Math.log(1 - p);
  }
  return s / prob.length;
}

export function rmse(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += ((pred[i] as number) - (target[i] as number)) ** 2;
  return Math.sqrt(s / pred.length);
}

export interface Classification {
  rows: number;
  /** Share of rows with label 1. */
  positiveRate: number;
  auc: number;
  /** Share of rows where (score > center) equals the label. */
  accuracy: number;
  /** Rows called long (score > center + edge) and the share of them whose label is 1. */
  longSignals: number;
  precisionLong: number;
  /** Rows called short (score < center - edge) and the share of them whose label is 0. */
  shortSignals: number;
  precisionShort: number;
  logloss: number;
}

export interface ClassificationOptions {
  /** Score at which long and short meet: 0.5 for probabilities (default), 0 for predicted returns. */
  center?: number;
  /** Half-width of the hold zone around the center (default 0). */
  edge?: number;
}

/**
 * Classification report of scores against 0/1 labels: probabilities (long above 0.5) or, with
 * `center: 0`, predicted returns (long above 0; logloss is then NaN).
 */
export function classification(prob: ArrayLike<number>, labels: ArrayLike<number>, options: ClassificationOptions = {}): Classification {
  const center = options.center ?? 0.5;
  const edge = options.edge ?? 0;
  const n = prob.length;
  let correct = 0, pos = 0, longs = 0, longHits = 0, shorts = 0, shortHits = 0;
  for (let i = 0; i < n; i++) {
    const p = prob[i] as number;
    const y = (labels[i] as number) > 0.5;
    if (y) pos++;
    if (p > center === y) correct++;
    if (p > center + edge) {
      longs++;
      if (y) longHits++;
    } else if (p < center - edge) {
      shorts++;
      if (!y) shortHits++;
    }
  }
  return {
    rows: n,
    positiveRate: n ? pos / n : Number.NaN,
    auc: auc(prob, labels),
    accuracy: n ? correct / n : Number.NaN,
    longSignals: longs,
    precisionLong: longs ? longHits / longs : Number.NaN,
    shortSignals: shorts,
    precisionShort: shorts ? shortHits / shorts : Number.NaN,
    logloss: center === 0.5 ? logloss(prob, labels) : Number.NaN,
  };
}
