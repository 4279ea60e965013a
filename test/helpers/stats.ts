/** Small statistics helpers for the hypothesis tests in test/stat (two-sided alpha about 1e-6). */

/** z for a two-sided test at alpha = 1e-6. */
export const Z_1E6 = 4.892;

/** Upper critical value of chi-square with `df` degrees of freedom at one-sided alpha = 1e-6 (Wilson-Hilferty). */
export function chiSquareCritical1e6(df: number): number {
  const z = 4.753;
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** Chi-square statistic of observed counts against equal expected counts. */
export function chiSquareUniform(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] as number;
  const expected = total / counts.length;
  let chi = 0;
  for (let i = 0; i < counts.length; i++) chi += ((counts[i] as number) - expected) ** 2 / expected;
  return chi;
}
