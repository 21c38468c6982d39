// Small dense linear algebra on row-major Float64Arrays (n x n), written to reuse caller buffers.

/**
 * In-place lower Cholesky factor of A + tau*I into L (row-major, upper part zeroed).
 * Returns false when a pivot is not positive (or NaN), as LAPACK's potrf does.
 */
export function cholesky(A: Float64Array, n: number, tau: number, L: Float64Array): boolean {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j] + (i === j ? tau : 0);
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(s > 0)) return false;
        L[i * n + i] = Math.sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j];
      }
    }
    for (let j = i + 1; j < n; j++) L[i * n + j] = 0;
  }
  return true;
}

/**
 * Cholesky with an added multiple of the identity (Nocedal & Wright 2006, Algorithm 3.3), with
 * mpcrl's constants: tau starts at 0 when min(diag A) > 0, else at -min(diag A) + beta, and grows
 * by tau <- max(1.05*tau, beta) after each failure. Returns the tau used, or NaN after maxIter.
 */
export function choleskyAddedIdentity(
  A: Float64Array,
  n: number,
  L: Float64Array,
  beta = 1e-3,
  maxIter = 1000,
): number {
  let aMin = Infinity;
  for (let i = 0; i < n; i++) aMin = Math.min(aMin, A[i * n + i]);
  if (Number.isNaN(aMin)) return NaN;
  let tau = aMin > 0 ? 0 : -aMin + beta;
  for (let it = 0; it < maxIter; it++) {
    if (cholesky(A, n, tau, L)) return tau;
    tau = Math.max(1.05 * tau, beta);
  }
  return NaN;
}

/** Solves (L L') x = b given the lower factor L; x may alias b. */
export function cholSolve(L: Float64Array, n: number, b: ArrayLike<number>, x: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * x[k];
    x[i] = s / L[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
  }
  return x;
}

/** out = L L' (the matrix a factor represents). */
export function lltProduct(L: Float64Array, n: number, out: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k <= j; k++) s += L[i * n + k] * L[j * n + k];
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

export function allFinite(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}

/**
 * Solves the dense n x n system A x = b by LU with partial pivoting (A and b are overwritten).
 * Returns false when A is singular to working precision.
 */
export function luSolve(A: Float64Array, b: Float64Array, n: number): boolean {
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(A[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(A[i * n + k]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (!(best > 0)) return false;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = A[k * n + j];
        A[k * n + j] = A[p * n + j];
        A[p * n + j] = t;
      }
      const t = b[k];
      b[k] = b[p];
      b[p] = t;
    }
    const piv = A[k * n + k];
    for (let i = k + 1; i < n; i++) {
      const f = A[i * n + k] / piv;
      if (f === 0) continue;
      A[i * n + k] = 0;
      for (let j = k + 1; j < n; j++) A[i * n + j] -= f * A[k * n + j];
      b[i] -= f * b[k];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < n; j++) s -= A[i * n + j] * b[j];
    b[i] = s / A[i * n + i];
  }
  return true;
}

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
