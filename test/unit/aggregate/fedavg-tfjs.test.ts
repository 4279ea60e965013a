/**
 * FedAvg helpers with real TensorFlow.js tensors (@tensorflow/tfjs-core with the pure-JS cpu
 * backend, dev dependencies only): detected by shape, flattened, aggregated, restored.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deterministicRngForTesting,
  type FlatUpdate,
  flattenUpdate,
  planAggregation,
  restoreUpdate,
  type UpdateLayer,
} from '../../../src/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('flattenUpdate / restoreUpdate with TensorFlow.js tensors', () => {
  it('flattens layers of tensors with their shapes and restores them as tensors or plain layers', () => {
    const kernel = tf.tensor2d([
      [0.5, -0.25, 0],
      [0.125, 1, -1],
    ]);
    const bias = tf.tensor1d([0.75, -0.5]);
    const { vector, layout } = flattenUpdate([kernel, bias]);
    expect([...vector]).toEqual([0.5, -0.25, 0, 0.125, 1, -1, 0.75, -0.5]);
    expect(layout.layers.map((l) => l.shape)).toEqual([[2, 3], [2]]);
    // without a tf module: plain Float32Arrays with shapes
    const plain = restoreUpdate(vector, layout) as UpdateLayer[];
    expect(plain[0]?.shape).toEqual([2, 3]);
    expect(plain[0]?.data).toBeInstanceOf(Float32Array);
    // with the module: tensors of the same shapes and values
    const tensors = restoreUpdate(vector, layout, { tf }) as tf.Tensor[];
    expect(tensors[0]).toBeInstanceOf(tf.Tensor);
    expect(tensors[0]?.shape).toEqual([2, 3]);
    expect(Array.from(tensors[1]?.dataSync() ?? [])).toEqual([0.75, -0.5]);
    // a single tensor round-trips as one tensor
    const one = flattenUpdate(kernel);
    const back = restoreUpdate(one.vector, one.layout, { tf }) as tf.Tensor;
    expect(back.shape).toEqual([2, 3]);
    expect(Array.from(back.dataSync())).toEqual(Array.from(kernel.dataSync()));
  });
  it('refuses non-float32 and non-finite tensors, and a tf module without tensor()', () => {
    expect(() => flattenUpdate(tf.tensor1d([1, 2], 'int32'))).toThrow(/float32/);
    expect(() => flattenUpdate([tf.tensor1d([1, Number.NaN])])).toThrow(RangeError);
    const { vector, layout } = flattenUpdate([tf.tensor1d([1])]);
    expect(() => restoreUpdate(vector, layout, { tf: {} as never })).toThrow(TypeError);
  });
  it('a weighted FedAvg round over tensors: the mean restored as tensors', async () => {
    const rng = deterministicRngForTesting(new Uint8Array(32).fill(4));
    const updates = [0, 1, 2, 3].map((i) => [
      tf.tensor2d([
        [i / 8, -i / 16],
        [0, 1 / 4],
      ]),
      tf.tensor1d([i / 32]),
    ]);
    const flat = updates.map((u) => flattenUpdate(u));
    const plan = planAggregation({
      dimension: 5,
      clients: { expected: 4, minimum: 4 },
      clip: { linf: 1 },
      protection: { kind: 'shamir', servers: 2 },
      privacy: { kind: 'none' },
      weights: { max: 4 },
    });
    const res = await plan.simulate(
      flat.map((f) => f.vector),
      { rng, weights: [1, 1, 1, 1] },
    );
    const mean = restoreUpdate(res.mean, (flat[0] as FlatUpdate).layout, { tf }) as tf.Tensor[];
    expect(mean[0]?.shape).toEqual([2, 2]);
    expect(Array.from(mean[0]?.dataSync() ?? [])).toEqual([0.1875, -0.09375, 0, 0.25]);
    expect(Array.from(mean[1]?.dataSync() ?? [])).toEqual([0.046875]);
  });
});
