/**
 * FedAvg helpers: flatten a model update given as one typed array, as layers or as TensorFlow.js
 * tensors into one vector, and restore the aggregate to the same shapes. Tensors are detected by
 * their shape (`shape`, `dtype`, `dataSync()`), so privagg has no dependency on TensorFlow.js.
 * @module
 */
import { aFiniteVector, aOptions } from '../core/validate.ts';

/**
 * A model update: one flat vector, one TensorFlow.js tensor, or a list of layers (each a flat
 * typed array, a `{ data, shape }` layer, or a tensor).
 * @since 0.1.0
 * @public
 */
export type ModelUpdate =
  | Float64Array
  | Float32Array
  | TensorLike
  | readonly (Float64Array | Float32Array | UpdateLayer | TensorLike)[];

/**
 * What privagg reads from a TensorFlow.js tensor (`tf.Tensor` from `@tensorflow/tfjs` or
 * `@tensorflow/tfjs-core`): its shape, its dtype (`float32` only) and its values.
 * @since 0.1.0
 * @public
 */
export interface TensorLike {
  /** The tensor's shape. */
  readonly shape: readonly number[];
  /** The element type; only `float32` tensors are accepted. */
  readonly dtype: string;
  /** The values, row-major (synchronous download). */
  dataSync(): ArrayLike<number>;
}

/**
 * The part of a TensorFlow.js module {@link restoreUpdate} uses to make tensors (pass the
 * module itself: `import * as tf from '@tensorflow/tfjs'`).
 * @since 0.1.0
 * @public
 */
export interface TensorFactory<T> {
  /** `tf.tensor(values, shape, dtype)`. */
  tensor(values: Float32Array, shape: number[], dtype: 'float32'): T;
}

/** Structural check for a TensorFlow.js tensor: no import, no dependency. */
function isTensorLike(x: unknown): x is TensorLike {
  return (
    typeof x === 'object' &&
    x !== null &&
    !ArrayBuffer.isView(x) &&
    Array.isArray((x as { shape?: unknown }).shape) &&
    typeof (x as { dataSync?: unknown }).dataSync === 'function'
  );
}

/** Read a tensor's values and shape, checked. */
function readTensor(label: string, t: TensorLike): { data: Float32Array; shape: number[] } {
  if (t.dtype !== 'float32')
    throw new TypeError(`"${label}" expected a float32 tensor, got dtype ${String(t.dtype)}`);
  const shape = t.shape;
  if (!shape.every((x) => Number.isSafeInteger(x) && x >= 0))
    throw new TypeError(`"${label}.shape" expected an array of non-negative integers`);
  const values = t.dataSync();
  if (!(values instanceof Float32Array))
    throw new TypeError(`"${label}.dataSync()" expected a Float32Array`);
  if (shape.reduce((a, b) => a * b, 1) !== values.length)
    throw new RangeError(`"${label}.shape" does not match its ${values.length} values`);
  return { data: values, shape: [...shape] };
}

/**
 * One layer of a model update with its shape.
 * @since 0.1.0
 * @public
 */
export interface UpdateLayer {
  /** The layer's values, row-major. */
  readonly data: Float64Array | Float32Array;
  /** The layer's shape; the product of its entries is `data.length`. */
  readonly shape: readonly number[];
}

/**
 * Layout of one layer of a flattened update.
 * @since 0.1.0
 * @public
 */
export interface LayerLayout {
  /** Number of values. */
  readonly length: number;
  /** Shape of the layer. */
  readonly shape: readonly number[];
  /** Whether the layer was a `Float32Array` (or a float32 tensor). */
  readonly float32: boolean;
  /** Whether the layer was a TensorFlow.js tensor. */
  readonly tensor?: boolean;
}

/**
 * The layout of a flattened update, to restore aggregates with {@link restoreUpdate}.
 * @since 0.1.0
 * @public
 */
export interface UpdateLayout {
  /** Total number of coordinates. */
  readonly dimension: number;
  /** One entry per layer: its length, shape, and element type. */
  readonly layers: readonly LayerLayout[];
  /** Whether the update was a single flat array (restored as one array, not a list). */
  readonly flat: boolean;
}

/**
 * A flattened update.
 * @since 0.1.0
 * @public
 */
export interface FlatUpdate {
  /** All values, layer after layer. */
  readonly vector: Float64Array;
  /** How to restore the layers. */
  readonly layout: UpdateLayout;
}

/**
 * Flatten a model update into one `Float64Array`, checking that every value is finite.
 *
 * @param update - a flat typed array or a list of layers
 * @returns the vector and the layout to restore aggregates with
 * @throws {@link !TypeError} when the update or a layer has the wrong type
 * @throws {@link !RangeError} when a value is not finite or a shape does not match its data
 * @example
 * ```ts
 * import { flattenUpdate, restoreUpdate } from 'privagg';
 * const { vector, layout } = flattenUpdate([new Float32Array([1, 2]), { data: new Float32Array([3, 4, 5, 6]), shape: [2, 2] }]);
 * console.log(vector.length); // 6
 * const layers = restoreUpdate(vector, layout) as { shape: number[] }[];
 * console.log(layers[1]?.shape.join('x')); // 2x2
 * ```
 * @since 0.1.0
 * @public
 */
export function flattenUpdate(update: ModelUpdate): FlatUpdate {
  if (isTensorLike(update)) {
    const { data, shape } = readTensor('update', update);
    aFiniteVector('update', data);
    return {
      vector: Float64Array.from(data),
      layout: {
        dimension: data.length,
        layers: [{ length: data.length, shape, float32: true, tensor: true }],
        flat: true,
      },
    };
  }
  if (update instanceof Float64Array || update instanceof Float32Array) {
    aFiniteVector('update', update);
    return {
      vector: Float64Array.from(update),
      layout: {
        dimension: update.length,
        layers: [
          {
            length: update.length,
            shape: [update.length],
            float32: update instanceof Float32Array,
          },
        ],
        flat: true,
      },
    };
  }
  if (!Array.isArray(update))
    throw new TypeError('"update" expected a Float64Array, a Float32Array or an array of layers');
  const layers: LayerLayout[] = [];
  const parts: (Float64Array | Float32Array)[] = [];
  for (const [i, layer] of update.entries()) {
    if (isTensorLike(layer)) {
      const t = readTensor(`update[${i}]`, layer);
      aFiniteVector(`update[${i}]`, t.data);
      layers.push({ length: t.data.length, shape: t.shape, float32: true, tensor: true });
      parts.push(t.data);
      continue;
    }
    const data =
      layer instanceof Float64Array || layer instanceof Float32Array
        ? layer
        : (layer as { data?: unknown }).data;
    if (!(data instanceof Float64Array) && !(data instanceof Float32Array))
      throw new TypeError(`"update[${i}]" expected a typed array or { data, shape }`);
    aFiniteVector(`update[${i}]`, data);
    let shape: number[] = [data.length];
    if (!(layer instanceof Float64Array || layer instanceof Float32Array)) {
      const s = (layer as { shape?: unknown }).shape;
      if (!Array.isArray(s) || !s.every((x) => Number.isSafeInteger(x) && x >= 0))
        throw new TypeError(`"update[${i}].shape" expected an array of non-negative integers`);
      if (s.reduce((a: number, b: number) => a * b, 1) !== data.length)
        throw new RangeError(`"update[${i}].shape" does not match its ${data.length} values`);
      shape = [...s];
    }
    layers.push({ length: data.length, shape, float32: data instanceof Float32Array });
    parts.push(data);
  }
  const dimension = layers.reduce((a, l) => a + l.length, 0);
  const vector = new Float64Array(dimension);
  let offset = 0;
  for (const p of parts) {
    vector.set(p, offset);
    offset += p.length;
  }
  return { vector, layout: { dimension, layers, flat: false } };
}

/**
 * Options of {@link restoreUpdate}.
 * @since 0.1.0
 * @public
 */
export interface RestoreOptions<T> {
  /**
   * A TensorFlow.js module: layers that were tensors come back as tensors made with it.
   * @defaultValue none: they come back as `{ data, shape }` with a `Float32Array`
   */
  readonly tf?: TensorFactory<T>;
}

/**
 * Restore an aggregate vector to the layout of the updates it came from.
 *
 * @param vector - the aggregate (sum or mean), of the layout's dimension
 * @param layout - from {@link flattenUpdate}
 * @param options - `tf`: a TensorFlow.js module to restore tensors with
 * @returns a typed array (flat layout), a `{ data, shape }` layer or tensor (one tensor), or a
 *   list of `{ data, shape }` layers (tensors where the update had tensors and `tf` is given)
 * @throws {@link !TypeError} when the vector is not a `Float64Array` or `tf` has no `tensor`
 * @throws {@link !RangeError} when the vector's length does not match the layout
 * @since 0.1.0
 * @public
 */
export function restoreUpdate<T = never>(
  vector: Float64Array,
  layout: UpdateLayout,
  options: RestoreOptions<T> = {},
): Float64Array | Float32Array | UpdateLayer | T | (UpdateLayer | T)[] {
  if (!(vector instanceof Float64Array)) throw new TypeError('"vector" expected a Float64Array');
  if (vector.length !== layout.dimension)
    throw new RangeError(`"vector" has ${vector.length} values, the layout ${layout.dimension}`);
  aOptions('options', options, ['tf']);
  const tf = options.tf;
  if (tf !== undefined && typeof (tf as { tensor?: unknown }).tensor !== 'function')
    throw new TypeError('"options.tf" expected a TensorFlow.js module (with tensor())');
  const make = (from: number, l: UpdateLayout['layers'][number]): Float64Array | Float32Array =>
    l.float32
      ? Float32Array.from(vector.subarray(from, from + l.length))
      : vector.slice(from, from + l.length);
  const layer = (from: number, l: LayerLayout): UpdateLayer | T => {
    const data = make(from, l);
    if (l.tensor === true && tf !== undefined)
      return tf.tensor(data as Float32Array, [...l.shape], 'float32');
    return { data, shape: [...l.shape] };
  };
  const first = layout.layers[0];
  if (layout.flat && first !== undefined)
    return first.tensor === true ? layer(0, first) : make(0, first);
  const out: (UpdateLayer | T)[] = [];
  let offset = 0;
  for (const l of layout.layers) {
    out.push(layer(offset, l));
    offset += l.length;
  }
  return out;
}
