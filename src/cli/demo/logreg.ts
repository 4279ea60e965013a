/**
 * The demo's model: binary logistic regression on sparse features, trained locally by SGD.
 * @module
 * @internal
 */
import type { Example } from './spam-data.ts';

/** @internal Weights (length d) followed by the bias (length d + 1). */
export type Model = Float64Array;

function logit(model: Model, e: Example): number {
  const d = model.length - 1;
  let z = model[d] as number;
  for (let j = 0; j < e.indices.length; j++)
    z += (model[e.indices[j] as number] as number) * (e.values[j] as number);
  return z;
}

/** @internal P(spam). */
export function predict(model: Model, e: Example): number {
  return 1 / (1 + Math.exp(-logit(model, e)));
}

/** @internal Fraction of examples classified correctly at threshold 0.5. */
export function accuracy(model: Model, data: readonly Example[]): number {
  let correct = 0;
  for (const e of data) correct += (logit(model, e) >= 0 ? 1 : 0) === e.label ? 1 : 0;
  return data.length === 0 ? 0 : correct / data.length;
}

/**
 * @internal Local training: `epochs` passes of plain SGD (fixed order) from `start`; returns the
 * model delta (local - start), which is what the client contributes to FedAvg.
 */
export function localUpdate(
  start: Model,
  data: readonly Example[],
  epochs: number,
  learningRate: number,
): Float64Array {
  const w = start.slice();
  const d = w.length - 1;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const e of data) {
      const g = predict(w, e) - e.label;
      for (let j = 0; j < e.indices.length; j++) {
        const idx = e.indices[j] as number;
        w[idx] = (w[idx] as number) - learningRate * g * (e.values[j] as number);
      }
      w[d] = (w[d] as number) - learningRate * g;
    }
  }
  for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) - (start[i] as number);
  return w;
}
