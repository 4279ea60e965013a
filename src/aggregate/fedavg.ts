/**
 * FedAvg helpers: flatten a model update given as one typed array or as layers into one
 * vector, and restore the aggregate to the same shapes.
 * @module
 */
import { aFiniteVector } from '../core/validate.ts';

/**
 * A model update: one flat vector, or a list of layers (each a flat typed array, optionally with
 * a shape). TensorFlow.js tensors can be passed after `tensor.dataSync()` with their `shape`.
 * @since 0.1.0
 * @public
 */
export type ModelUpdate =
  | Float64Array
  | Float32Array
  | readonly (Float64Array | Float32Array | UpdateLayer)[];

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
  /** Whether the layer was a `Float32Array`. */
  readonly float32: boolean;
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
  const layers: { length: number; shape: number[]; float32: boolean }[] = [];
  const parts: (Float64Array | Float32Array)[] = [];
  for (const [i, layer] of update.entries()) {
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
 * Restore an aggregate vector to the layout of the updates it came from.
 *
 * @param vector - the aggregate (sum or mean), of the layout's dimension
 * @param layout - from {@link flattenUpdate}
 * @returns a typed array (flat layout) or a list of `{ data, shape }` layers
 * @throws {@link !RangeError} when the vector's length does not match the layout
 * @since 0.1.0
 * @public
 */
export function restoreUpdate(
  vector: Float64Array,
  layout: UpdateLayout,
): Float64Array | Float32Array | UpdateLayer[] {
  if (!(vector instanceof Float64Array)) throw new TypeError('"vector" expected a Float64Array');
  if (vector.length !== layout.dimension)
    throw new RangeError(`"vector" has ${vector.length} values, the layout ${layout.dimension}`);
  const make = (from: number, l: UpdateLayout['layers'][number]): Float64Array | Float32Array =>
    l.float32
      ? Float32Array.from(vector.subarray(from, from + l.length))
      : vector.slice(from, from + l.length);
  const first = layout.layers[0];
  if (layout.flat && first !== undefined) return make(0, first);
  const out: UpdateLayer[] = [];
  let offset = 0;
  for (const l of layout.layers) {
    out.push({ data: make(offset, l), shape: [...l.shape] });
    offset += l.length;
  }
  return out;
}
