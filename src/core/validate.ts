/**
 * Argument assertions (noble's `a*` style): labelled `TypeError` for a wrong type and
 * `RangeError` for a wrong value. Messages echo public parameters only.
 * @module
 * @internal
 */

function describe(value: unknown): string {
  if (
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    value === null ||
    value === undefined
  )
    return String(value);
  if (typeof value === 'bigint') return `bigint`;
  if (typeof value === 'string') return 'string';
  if (ArrayBuffer.isView(value)) return `${value.constructor?.name ?? 'typed array'}`;
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** @internal */
export function aBool(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean')
    throw new TypeError(`"${name}" expected boolean, got ${describe(value)}`);
}

/** @internal A finite number. */
export function aFinite(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number')
    throw new TypeError(`"${name}" expected number, got ${describe(value)}`);
  if (!Number.isFinite(value))
    throw new RangeError(`"${name}" expected a finite number, got ${value}`);
}

/** @internal A finite number in [min, max] (inclusive unless `open` says otherwise). */
export function aNumberInRange(
  name: string,
  value: unknown,
  min: number,
  max: number,
  open: { min?: boolean; max?: boolean } = {},
): asserts value is number {
  aFinite(name, value);
  const lowOk = open.min ? value > min : value >= min;
  const highOk = open.max ? value < max : value <= max;
  if (!lowOk || !highOk)
    throw new RangeError(
      `"${name}" expected ${open.min ? '>' : '>='} ${min} and ${open.max ? '<' : '<='} ${max}, got ${value}`,
    );
}

/** @internal A safe integer in [min, max]. */
export function aInteger(
  name: string,
  value: unknown,
  min: number = 0,
  max: number = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== 'number')
    throw new TypeError(`"${name}" expected integer, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new RangeError(`"${name}" expected integer in [${min}, ${max}], got ${value}`);
}

/** @internal A bigint in [min, max). */
export function aBigIntInRange(
  name: string,
  value: unknown,
  min: bigint,
  maxExclusive: bigint,
): asserts value is bigint {
  if (typeof value !== 'bigint')
    throw new TypeError(`"${name}" expected bigint, got ${describe(value)}`);
  if (value < min || value >= maxExclusive)
    throw new RangeError(`"${name}" expected bigint in range [${min}, ${maxExclusive})`);
}

/** @internal Exactly a `Uint8Array` (a real view, not a proxy), of an optional exact length. */
export function aBytes(name: string, value: unknown, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || !ArrayBuffer.isView(value))
    throw new TypeError(`"${name}" expected Uint8Array, got ${describe(value)}`);
  if (length !== undefined && value.length !== length)
    throw new RangeError(`"${name}" expected ${length} bytes, got ${value.length}`);
}

/** @internal A `Uint32Array`. */
export function aU32Array(
  name: string,
  value: unknown,
  length?: number,
): asserts value is Uint32Array {
  if (!(value instanceof Uint32Array) || !ArrayBuffer.isView(value))
    throw new TypeError(`"${name}" expected Uint32Array, got ${describe(value)}`);
  if (length !== undefined && value.length !== length)
    throw new RangeError(`"${name}" expected length ${length}, got ${value.length}`);
}

/** @internal A `Float64Array` or `Float32Array` or plain array of finite numbers. */
export function aFiniteVector(name: string, value: unknown): asserts value is ArrayLike<number> {
  if (!(value instanceof Float64Array) && !(value instanceof Float32Array) && !Array.isArray(value))
    throw new TypeError(
      `"${name}" expected Float64Array, Float32Array or number[], got ${describe(value)}`,
    );
  const v = value as ArrayLike<unknown>;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new RangeError(
        `"${name}" expected finite numbers, found a non-finite entry at index ${i}`,
      );
  }
}

/** @internal A plain options object with own properties only; unknown keys rejected. */
export function aOptions(
  name: string,
  value: unknown,
  allowed: readonly string[],
): asserts value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`"${name}" expected an options object, got ${describe(value)}`);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null)
    throw new TypeError(`"${name}" expected a plain object`);
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key !== 'string' || !allowed.includes(key))
      throw new TypeError(
        `"${name}" has unknown option ${typeof key === 'string' ? `"${key}"` : 'symbol'}; allowed: ${allowed.join(', ')}`,
      );
  }
}

/** @internal A function. */
export function aFunction(
  name: string,
  value: unknown,
): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function')
    throw new TypeError(`"${name}" expected function, got ${describe(value)}`);
}
