// The one home of mpcrl's small dense linear algebra, shared by the checker (language/check: PSD
// test of constant weights, `dlqr` folding, Cholesky of a `psd` initial value), the compiler
// (compiler/lower: discretization, `dlqr`, `psd` factors) and the runtime (runtime/learn: Newton
// steps, least squares, Gaussian processes, box QPs). Riccati equations are in dare.ts, the matrix
// exponential in expm.ts; both build on this file. Pure math: no imports, no I/O, browser-safe.
//
// Conventions
// - A matrix is row-major: entry (i, j) of an r x c matrix is data[i * c + j]. Inputs are
//   `DenseLike` (data may be a Float64Array or a number[]); results are `Dense` (Float64Array).
// - The allocating functions (matmul, solve, cholesky, ...) are for compile time, checks and tests.
//   The flat-buffer functions (choleskyShifted, choleskyAddedIdentity, cholSolve, luSolve) take n and caller-owned Float64Arrays and allocate nothing: they are the ones for
//   hot paths (a training step).
// - Totality: numerical trouble is a return value (undefined, false, NaN), never an exception, so
//   the checker (which must never throw) can call everything here. Only misuse throws: a shape
//   mismatch in matmul/add/solve is a RangeError, which callers rule out by checking shapes first.
//
// Algorithms
// - solve/luSolve: Gaussian elimination with partial pivoting (Golub & Van Loan, Matrix
//   Computations, 4th ed., Algorithm 3.4.1), one implementation (`luCore`).
// - cholesky/choleskyShifted: the Cholesky factorization A = L L' (Golub & Van Loan, Algorithm
//   4.2.1, the gaxpy form), one implementation; a non-positive or non-finite pivot means "not
//   positive definite". choleskyAddedIdentity: Nocedal & Wright, Numerical Optimization (2006),
//   Algorithm 3.3. psdFactor: the same recurrence with a zero column where the pivot vanishes.
// - symEigenvalues: the cyclic Jacobi method (Golub & Van Loan, 4th ed. section 8.5, Algorithm
//   8.5.1 sym.schur2 for each rotation and 8.5.3 for the sweeps; 3rd ed. Algorithms 8.4.1, 8.4.3)
//   on the symmetric part, scaled to unit magnitude so that no rotation overflows.
// - isSchurStable: spectral radius < 1, decided by repeated squaring (rho(A) < 1 iff A^(2^k) -> 0).

/** A dense matrix, row-major: entry (i, j) is data[i * cols + j]. */
export interface Dense {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** What the functions read: a row-major matrix whose entries may be a Float64Array or a number[]. */
export interface DenseLike {
  readonly rows: number;
  readonly cols: number;
  readonly data: ArrayLike<number>;
}

export function dense(rows: number, cols: number, data?: ArrayLike<number>): Dense {
  const d = new Float64Array(rows * cols);
  if (data !== undefined) d.set(data);
  return { rows, cols, data: d };
}

export function fromRows(rows: readonly (readonly number[])[]): Dense {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0].length;
  const m = dense(r, c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) m.data[i * c + j] = rows[i][j];
  return m;
}

export function toRows(a: DenseLike): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.rows; i++) {
    const row: number[] = [];
    for (let j = 0; j < a.cols; j++) row.push(a.data[i * a.cols + j]);
    out.push(row);
  }
  return out;
}

export function identity(n: number): Dense {
  const m = dense(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

export function get(a: DenseLike, i: number, j: number): number {
  return a.data[i * a.cols + j];
}

/** a * b; RangeError when a.cols !== b.rows. */
export function matmul(a: DenseLike, b: DenseLike): Dense {
  if (a.cols !== b.rows) throw new RangeError(`matmul: ${a.rows}x${a.cols} times ${b.rows}x${b.cols}`);
  const c = dense(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k];
      if (aik === 0) continue;
      for (let j = 0; j < b.cols; j++) c.data[i * b.cols + j] += aik * b.data[k * b.cols + j];
    }
  }
  return c;
}

export function transpose(a: DenseLike): Dense {
  const t = dense(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j];
  return t;
}

/** a + beta * b; RangeError on a shape mismatch. */
export function add(a: DenseLike, b: DenseLike, beta = 1): Dense {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new RangeError(`add: ${a.rows}x${a.cols} plus ${b.rows}x${b.cols}`);
  const c = dense(a.rows, a.cols);
  for (let i = 0; i < c.data.length; i++) c.data[i] = a.data[i] + beta * b.data[i];
  return c;
}

export function scale(a: DenseLike, s: number): Dense {
  const c = dense(a.rows, a.cols);
  for (let i = 0; i < c.data.length; i++) c.data[i] = s * a.data[i];
  return c;
}

/** The symmetric part (a + a') / 2 of a square matrix. */
export function symmetrize(a: DenseLike): Dense {
  const n = a.rows;
  const s = dense(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s.data[i * n + j] = 0.5 * (a.data[i * n + j] + a.data[j * n + i]);
  return s;
}

/** Maximum absolute column sum. */
export function norm1(a: DenseLike): number {
  let best = 0;
  for (let j = 0; j < a.cols; j++) {
    let s = 0;
    for (let i = 0; i < a.rows; i++) s += Math.abs(a.data[i * a.cols + j]);
    if (s > best) best = s;
  }
  return best;
}

/** Maximum absolute row sum. */
export function normInf(a: DenseLike): number {
  let best = 0;
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    for (let j = 0; j < a.cols; j++) s += Math.abs(a.data[i * a.cols + j]);
    best = Math.max(best, s);
  }
  return best;
}

/** Largest |entry| (NaN if an entry is NaN). */
export function maxAbs(a: DenseLike): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]));
  return m;
}

export function allFinite(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}

// ---- linear systems: Gaussian elimination with partial pivoting ----

/**
 * Solves the n x n system A X = B in place (A: n x n, overwritten by U and zeros below; B: n x m,
 * overwritten by X). A pivot with |pivot| <= pivotTol (or NaN) means singular: returns false.
 */
function luCore(A: Float64Array, n: number, B: Float64Array, m: number, pivotTol: number): boolean {
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
    if (!(best > pivotTol)) return false;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = A[k * n + j];
        A[k * n + j] = A[p * n + j];
        A[p * n + j] = t;
      }
      for (let j = 0; j < m; j++) {
        const t = B[k * m + j];
        B[k * m + j] = B[p * m + j];
        B[p * m + j] = t;
      }
    }
    const piv = A[k * n + k];
    for (let i = k + 1; i < n; i++) {
      const f = A[i * n + k] / piv;
      if (f === 0) continue;
      A[i * n + k] = 0;
      for (let j = k + 1; j < n; j++) A[i * n + j] -= f * A[k * n + j];
      for (let j = 0; j < m; j++) B[i * m + j] -= f * B[k * m + j];
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    const piv = A[k * n + k];
    for (let j = 0; j < m; j++) {
      let s = B[k * m + j];
      for (let i = k + 1; i < n; i++) s -= A[k * n + i] * B[i * m + j];
      B[k * m + j] = s / piv;
    }
  }
  return true;
}

/**
 * Solves a X = b (b may have several columns); undefined when a is singular to working precision
 * (a pivot at most 1e-14 * max|a_ij|) or has NaN entries. RangeError on a shape mismatch.
 */
export function solve(a: DenseLike, b: DenseLike): Dense | undefined {
  const n = a.rows;
  if (a.cols !== n || b.rows !== n) throw new RangeError("solve: shape mismatch");
  const lu = Float64Array.from(a.data);
  const x = Float64Array.from(b.data);
  const tol = 1e-14 * Math.max(maxAbs(a), 1e-300);
  return luCore(lu, n, x, b.cols, tol) ? { rows: n, cols: b.cols, data: x } : undefined;
}

export function inverse(a: DenseLike): Dense | undefined {
  return solve(a, identity(a.rows));
}

/**
 * Solves the n x n system A x = b in place (A and b are overwritten; x is left in b). Returns false
 * when a pivot is exactly zero or NaN. Allocates nothing.
 */
export function luSolve(A: Float64Array, b: Float64Array, n: number): boolean {
  return luCore(A, n, b, 1, 0);
}

/** Solves A X = B for the m columns of B (n x m row-major) in place, like luSolve. Allocates nothing. */
export function luSolveMany(A: Float64Array, B: Float64Array, n: number, m: number): boolean {
  return luCore(A, n, B, m, 0);
}

// ---- Cholesky ----

/**
 * Lower Cholesky factor of A + tau*I into L (both n x n row-major; only the lower triangle of A is
 * read; L's upper part is zeroed). Returns false when a pivot is not positive or not finite (as
 * LAPACK's potrf reports a matrix that is not positive definite). Allocates nothing.
 */
export function choleskyShifted(A: ArrayLike<number>, n: number, tau: number, L: Float64Array): boolean {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      if (i === j) s += tau;
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(s > 0 && s < Infinity)) return false;
        L[i * n + i] = Math.sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j];
      }
    }
    for (let j = i + 1; j < n; j++) L[i * n + j] = 0;
  }
  return true;
}

/** Lower-triangular Cholesky factor L (a = L L'), or undefined if a is not square positive definite. */
export function cholesky(a: DenseLike): Dense | undefined {
  const n = a.rows;
  if (a.cols !== n) return undefined;
  const L = dense(n, n);
  return choleskyShifted(a.data, n, 0, L.data) ? L : undefined;
}

/**
 * Cholesky with an added multiple of the identity (Nocedal & Wright 2006, Algorithm 3.3), with
 * mpcrl's constants: tau starts at 0 when min(diag A) > 0, else at -min(diag A) + beta, and grows
 * by tau <- max(1.05*tau, beta) after each failure. Returns the tau used, or NaN after maxIter.
 */
export function choleskyAddedIdentity(A: Float64Array, n: number, L: Float64Array, beta = 1e-3, maxIter = 1000): number {
  let aMin = Infinity;
  for (let i = 0; i < n; i++) aMin = Math.min(aMin, A[i * n + i]);
  if (Number.isNaN(aMin)) return NaN;
  let tau = aMin > 0 ? 0 : -aMin + beta;
  for (let it = 0; it < maxIter; it++) {
    if (choleskyShifted(A, n, tau, L)) return tau;
    tau = Math.max(1.05 * tau, beta);
  }
  return NaN;
}

/** Solves (L L') x = b given the lower factor L; x may alias b. Allocates nothing. */
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

// ---- symmetric eigenvalues ----

/**
 * Symmetric eigendecomposition in place by cyclic Jacobi rotations (Golub & Van Loan, "Matrix
 * Computations", 4th ed., Algorithm 8.5.3, its sym.schur2 rotation): `a` (n x n, row-major,
 * symmetric) ends diagonal with the eigenvalues (unsorted); when `V` is given (n x n) it ends
 * holding the eigenvectors as columns, so that the input equals V diag(a) V'. Allocates nothing.
 */
export function symEigenInPlace(a: Float64Array, n: number, V: Float64Array | null): void {
  if (V !== null) {
    V.fill(0, 0, n * n);
    for (let i = 0; i < n; i++) V[i * n + i] = 1;
  }
  let diagonal = true;
  for (let i = 0; i < n && diagonal; i++) for (let j = 0; j < n; j++) if (i !== j && a[i * n + j] !== 0) diagonal = false;
  if (diagonal) return;
  // scaled to unit magnitude so that the rotations cannot overflow; scaled back at the end
  let s0 = 0;
  for (let i = 0; i < n * n; i++) s0 = Math.max(s0, Math.abs(a[i]));
  if (!(s0 > 0) || !Number.isFinite(s0)) return;
  for (let i = 0; i < n * n; i++) a[i] /= s0;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        // the rotation that zeroes a[p][q] (sym.schur2)
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        if (V !== null) {
          for (let k = 0; k < n; k++) {
            const vkp = V[k * n + p];
            const vkq = V[k * n + q];
            V[k * n + p] = c * vkp - s * vkq;
            V[k * n + q] = s * vkp + c * vkq;
          }
        }
      }
  }
  for (let i = 0; i < n * n; i++) a[i] *= s0;
}

/**
 * Makes the symmetric matrix A (n x n, row-major) positive definite by changing only its
 * eigenvalues below eps = relEps * max(1, max |lambda|): "mirror" replaces lambda by max(|lambda|,
 * eps), "project" by eps (acados' MIRROR / PROJECT regularizations; Verschueren et al. 2022,
 * "acados", Math. Prog. Comp. 14, section 5.1). Directions of positive curvature keep their
 * curvature, unlike an added multiple of the identity. A is rewritten as V diag(lambda') V' only
 * when an eigenvalue changed (else left bit-identical); W, V (n x n) and ev (n) are scratch.
 * Returns the number of eigenvalues changed. Allocates nothing.
 */
export function convexifyEigen(A: Float64Array, n: number, W: Float64Array, V: Float64Array, ev: Float64Array, mode: "mirror" | "project", relEps = 1e-8): number {
  for (let i = 0; i < n * n; i++) W[i] = A[i];
  symEigenInPlace(W, n, V);
  let lmax = 0;
  for (let i = 0; i < n; i++) {
    ev[i] = W[i * n + i];
    lmax = Math.max(lmax, Math.abs(ev[i]));
  }
  const eps = relEps * Math.max(1, lmax);
  let changed = 0;
  for (let i = 0; i < n; i++) {
    if (ev[i] >= eps) continue;
    ev[i] = mode === "mirror" ? Math.max(-ev[i], eps) : eps;
    changed++;
  }
  if (changed === 0) return 0;
  // A = V diag(ev) V'
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += V[i * n + k] * ev[k] * V[j * n + k];
      A[i * n + j] = acc;
      A[j * n + i] = acc;
    }
  return changed;
}

/** Eigenvalues of the symmetric part of a square matrix, ascending (cyclic Jacobi). */
export function symEigenvalues(m: DenseLike): Float64Array {
  const n = m.rows;
  const ev = new Float64Array(n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = 0.5 * (m.data[i * n + j] + m.data[j * n + i]);
  symEigenInPlace(a, n, null);
  for (let i = 0; i < n; i++) ev[i] = a[i * n + i];
  return ev.sort((x, y) => x - y);
}

/** Smallest eigenvalue of the symmetric part (0 for an empty matrix). */
export function minEigenvalue(a: DenseLike): number {
  return a.rows === 0 ? 0 : symEigenvalues(a)[0];
}

/** Positive semidefinite up to round-off: smallest eigenvalue of the symmetric part >= -tol * max(1, max|a_ij|). */
export function isPsd(a: DenseLike, tol = 1e-9): boolean {
  if (a.rows === 0) return true;
  return minEigenvalue(a) >= -tol * Math.max(1, maxAbs(a));
}

/**
 * Lower-triangular L with L L' = P for a symmetric positive semidefinite P (n x n row-major): the
 * Cholesky recurrence with a zero column where the pivot vanishes (then the rest of the column must
 * vanish too). Undefined when P is not symmetric PSD (relative tolerance 1e-10).
 */
export function psdFactor(P: ArrayLike<number>, n: number): number[] | undefined {
  let sc = 0;
  for (let i = 0; i < n * n; i++) sc = Math.max(sc, Math.abs(P[i]));
  const tol = 1e-10 * Math.max(sc, Number.MIN_VALUE);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (Math.abs(P[i * n + j] - P[j * n + i]) > tol) return undefined;
  const L = new Array<number>(n * n).fill(0);
  for (let j = 0; j < n; j++) {
    let d = P[j * n + j];
    for (let k = 0; k < j; k++) d -= L[j * n + k] * L[j * n + k];
    if (d < -tol) return undefined;
    const pivot = d > tol ? Math.sqrt(d) : 0;
    L[j * n + j] = pivot;
    for (let i = j + 1; i < n; i++) {
      let v = P[i * n + j];
      for (let k = 0; k < j; k++) v -= L[i * n + k] * L[j * n + k];
      if (pivot === 0) {
        if (Math.abs(v) > Math.sqrt(tol * Math.max(sc, Number.MIN_VALUE))) return undefined;
      } else L[i * n + j] = v / pivot;
    }
  }
  return L;
}

// ---- stability ----

/**
 * True when every eigenvalue of a square matrix lies strictly inside the unit circle (spectral
 * radius < 1), decided by repeated squaring: rho(A) < 1 iff the powers A^(2^k) go to zero. A
 * non-finite entry, or powers that do not fall below 1e-12 within 60 squarings, give false.
 */
export function isSchurStable(a: DenseLike): boolean {
  if (a.rows !== a.cols) return false;
  let p: DenseLike = a;
  for (let k = 0; k < 60; k++) {
    const nrm = maxAbs(p);
    if (!Number.isFinite(nrm) || nrm > 1e100) return false;
    if (nrm < 1e-12) return true;
    p = matmul(p, p);
  }
  return false;
}

/** Whether two vectors have the same length and the same entries by Object.is (so -0 differs
 *  from +0: a model may branch on a zero's sign, e.g. atan2). */
export function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
