/**
 * A shared table of hostile values (after noble's TYPE_TEST): every public function is called
 * with these in place of each argument and must throw a documented error class.
 */
const spoofedBytes = new Proxy(new Uint8Array(32), {});

export const HOSTILE_VALUES: readonly { name: string; value: unknown }[] = [
  { name: 'undefined', value: undefined },
  { name: 'null', value: null },
  { name: 'NaN', value: Number.NaN },
  { name: '1e9999', value: Number.POSITIVE_INFINITY },
  { name: '-Infinity', value: Number.NEGATIVE_INFINITY },
  { name: '-1', value: -1 },
  { name: '0.5', value: 0.5 },
  { name: '2^53', value: 2 ** 53 },
  { name: 'bigint', value: 1n },
  { name: 'string', value: '32' },
  { name: 'object', value: {} },
  { name: 'array', value: [1, 2, 3] },
  { name: 'proxied Uint8Array', value: spoofedBytes },
  { name: 'Uint16Array', value: new Uint16Array(16) },
  { name: 'symbol', value: Symbol('x') },
  { name: 'function', value: () => 1 },
];

/** Hex helpers for vectors. */
export function hex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}
