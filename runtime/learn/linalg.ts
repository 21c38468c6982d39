// Feature maps of the learners. The dense linear algebra they use (Cholesky, LU and triangular
// solves on caller-owned buffers) lives in the one dense module, runtime/linalg/dense.ts.

/** All monomials of degree 0..2 of s (1, s_i, s_i s_j for i <= j): mpcrl's default DPG state features. */
export function quadraticFeatures(s: ArrayLike<number>, out: Float64Array): Float64Array {
  const n = s.length;
  let k = 0;
  out[k++] = 1;
  for (let i = 0; i < n; i++) out[k++] = s[i];
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) out[k++] = s[i] * s[j];
  return out;
}

export function quadraticFeatureCount(n: number): number {
  return 1 + n + (n * (n + 1)) / 2;
}
