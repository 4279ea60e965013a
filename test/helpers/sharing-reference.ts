/**
 * A slow BigInt reference for Shamir sharing over GF(2^31 - 1), written from the textbook
 * definitions (Horner evaluation, Lagrange interpolation with explicit inverses) and reading
 * the rng stream word by word as the fast path documents, so the fast kernels can be checked
 * bit for bit against it.
 */
import type { Rng } from '../../src/core/index.ts';

export const P = 2147483647n;

export function mod(x: bigint): bigint {
  const r = x % P;
  return r < 0n ? r + P : r;
}

export function inv(x: bigint): bigint {
  // extended Euclid
  let [a, b, u, v] = [mod(x), P, 1n, 0n];
  if (a === 0n) throw new Error('inverse of 0');
  while (a !== 0n) {
    const q = b / a;
    [a, b] = [b - q * a, a];
    [u, v] = [v - q * u, u];
  }
  return mod(v);
}

/** Stream of field elements: 32-bit LE words masked to 31 bits, p itself skipped. */
export function elementStream(rng: Rng): () => bigint {
  return () => {
    for (;;) {
      const b = rng(4);
      const w =
        ((b[0] as number) |
          ((b[1] as number) << 8) |
          ((b[2] as number) << 16) |
          ((b[3] as number) << 24)) &
        0x7fffffff;
      if (BigInt(w) !== P) return BigInt(w);
    }
  };
}

/** Reference vector sharing: coordinate-major coefficients c_1..c_{t-1} per coordinate. */
export function refShare(
  secret: readonly bigint[],
  threshold: number,
  indices: readonly number[],
  rng: Rng,
): bigint[][] {
  const next = elementStream(rng);
  const coeffs = secret.map((s) => [s, ...Array.from({ length: threshold - 1 }, () => next())]);
  return indices.map((x) =>
    coeffs.map((c) => {
      let acc = 0n;
      for (let k = c.length - 1; k >= 0; k--) acc = mod(acc * BigInt(x) + (c[k] as bigint));
      return acc;
    }),
  );
}

/** Reference Lagrange coefficients at `at`. */
export function refLagrange(indices: readonly number[], at = 0): bigint[] {
  return indices.map((xi, i) => {
    let num = 1n;
    let den = 1n;
    indices.forEach((xj, j) => {
      if (j === i) return;
      num = mod(num * (BigInt(at) - BigInt(xj)));
      den = mod(den * (BigInt(xi) - BigInt(xj)));
    });
    return mod(num * inv(den));
  });
}

/** Reference interpolation at 0 of each coordinate. */
export function refReconstruct(
  indices: readonly number[],
  values: readonly (readonly bigint[])[],
): bigint[] {
  const lam = refLagrange(indices);
  const d = values[0]?.length ?? 0;
  return Array.from({ length: d }, (_, j) =>
    mod(values.reduce((acc, v, i) => acc + (lam[i] as bigint) * (v[j] as bigint), 0n)),
  );
}
