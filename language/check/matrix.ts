// Small dense matrix helpers for constant folding (row-major `Mat`): products, the symmetric
// eigenvalues (cyclic Jacobi) used for the PSD test of constant weights, and the DARE of `dlqr`.

import type { Mat } from "./context.js";

export const mat = (rows: number, cols: number, data: readonly number[]): Mat => ({ rows, cols, data });
export const scalarMat = (v: number): Mat => mat(1, 1, [v]);

export function fill(rows: number, cols: number, v: number): Mat {
  return mat(rows, cols, new Array<number>(rows * cols).fill(v));
}

export function eye(n: number): Mat {
  const d = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) d[i * n + i] = 1;
  return mat(n, n, d);
}

export function transpose(a: Mat): Mat {
  const d = new Array<number>(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) d[j * a.rows + i] = a.data[i * a.cols + j];
  return mat(a.cols, a.rows, d);
}

export function matmul(a: Mat, b: Mat): Mat {
  const d = new Array<number>(a.rows * b.cols).fill(0);
  for (let i = 0; i < a.rows; i++)
    for (let p = 0; p < a.cols; p++) {
      const v = a.data[i * a.cols + p];
      if (v === 0) continue;
      for (let j = 0; j < b.cols; j++) d[i * b.cols + j] += v * b.data[p * b.cols + j];
    }
  return mat(a.rows, b.cols, d);
}

/** Element-wise combination with scalar broadcast; undefined on a shape mismatch. */
export function zipWith(a: Mat, b: Mat, f: (x: number, y: number) => number): Mat | undefined {
  if (a.rows === 1 && a.cols === 1) return mat(b.rows, b.cols, b.data.map((y) => f(a.data[0], y)));
  if (b.rows === 1 && b.cols === 1) return mat(a.rows, a.cols, a.data.map((x) => f(x, b.data[0])));
  if (a.rows !== b.rows || a.cols !== b.cols) return undefined;
  return mat(a.rows, a.cols, a.data.map((x, i) => f(x, b.data[i])));
}

export const map = (a: Mat, f: (x: number) => number): Mat => mat(a.rows, a.cols, a.data.map(f));

/** Eigenvalues of the symmetric part of a square matrix (cyclic Jacobi rotations). */
export function symEigenvalues(m: Mat): number[] {
  const n = m.rows;
  let diagonal = true;
  for (let i = 0; i < n && diagonal; i++) for (let j = 0; j < n; j++) if (i !== j && m.data[i * n + j] !== 0) diagonal = false;
  if (diagonal) return Array.from({ length: n }, (_, i) => m.data[i * n + i]).sort((x, y) => x - y);
  // Scale to unit magnitude so that the rotations cannot overflow; scale back at the end.
  let scale = 0;
  for (const x of m.data) scale = Math.max(scale, Math.abs(x));
  if (!(scale > 0) || !Number.isFinite(scale)) scale = 1;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = 0.5 * (m.data[i * n + j] / scale + m.data[j * n + i] / scale);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        // Rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.2).
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
      }
  }
  const ev: number[] = [];
  for (let i = 0; i < n; i++) ev.push(a[i * n + i] * scale);
  return ev.sort((x, y) => x - y);
}

export function isSymmetric(m: Mat, tol = 1e-9): boolean {
  if (m.rows !== m.cols) return false;
  const n = m.rows;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const x = m.data[i * n + j];
      const y = m.data[j * n + i];
      if (Math.abs(x - y) > tol * Math.max(1, Math.abs(x), Math.abs(y))) return false;
    }
  return true;
}

/** Smallest eigenvalue of the symmetric part. */
export const minEigenvalue = (m: Mat): number => (m.rows === 0 ? 0 : symEigenvalues(m)[0]);

/** Solves a small dense linear system (Gaussian elimination, partial pivoting); undefined if singular. */
function solve(a: Mat, b: Mat): Mat | undefined {
  const n = a.rows;
  const m = b.cols;
  const A = [...a.data];
  const B = [...b.data];
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[piv * n + c])) piv = r;
    if (Math.abs(A[piv * n + c]) < 1e-14) return undefined;
    if (piv !== c) {
      for (let j = 0; j < n; j++) [A[c * n + j], A[piv * n + j]] = [A[piv * n + j], A[c * n + j]];
      for (let j = 0; j < m; j++) [B[c * m + j], B[piv * m + j]] = [B[piv * m + j], B[c * m + j]];
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r * n + c] / A[c * n + c];
      if (f === 0) continue;
      for (let j = c; j < n; j++) A[r * n + j] -= f * A[c * n + j];
      for (let j = 0; j < m; j++) B[r * m + j] -= f * B[c * m + j];
    }
  }
  const X = new Array<number>(n * m);
  for (let r = 0; r < n; r++) for (let j = 0; j < m; j++) X[r * m + j] = B[r * m + j] / A[r * n + r];
  return mat(n, m, X);
}

/**
 * Solution of the discrete algebraic Riccati equation
 *   S = A'SA - A'SB (R + B'SB)^{-1} B'SA + Q
 * by Riccati value iteration from S = Q; undefined when it does not converge (not stabilizable).
 */
export function dare(A: Mat, B: Mat, Q: Mat, R: Mat): Mat | undefined {
  const At = transpose(A);
  const Bt = transpose(B);
  let S = Q;
  for (let it = 0; it < 10000; it++) {
    const SA = matmul(S, A);
    const SB = matmul(S, B);
    const G = zipWith(R, matmul(Bt, SB), (x, y) => x + y)!;
    const K = solve(G, matmul(Bt, SA));
    if (!K) return undefined;
    const next = zipWith(zipWith(matmul(At, SA), matmul(matmul(At, SB), K), (x, y) => x - y)!, Q, (x, y) => x + y)!;
    // Symmetrize against round-off.
    const Sn = zipWith(next, transpose(next), (x, y) => 0.5 * (x + y))!;
    let diff = 0;
    let scale = 1;
    for (let i = 0; i < Sn.data.length; i++) {
      diff = Math.max(diff, Math.abs(Sn.data[i] - S.data[i]));
      scale = Math.max(scale, Math.abs(Sn.data[i]));
    }
    if (!Sn.data.every(Number.isFinite)) return undefined;
    S = Sn;
    if (diff <= 1e-13 * scale) return S;
  }
  return undefined;
}

/** Lower-triangular Cholesky factor L (A = L*L') of a symmetric positive definite matrix; undefined otherwise. */
export function cholesky(a: Mat): Mat | undefined {
  const n = a.rows;
  if (a.cols !== n) return undefined;
  const L = new Array<number>(n * n).fill(0);
  for (let j = 0; j < n; j++) {
    let d = a.data[j * n + j];
    for (let k = 0; k < j; k++) d -= L[j * n + k] ** 2;
    if (!(d > 0) || !Number.isFinite(d)) return undefined;
    const ljj = Math.sqrt(d);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a.data[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = s / ljj;
    }
  }
  return mat(n, n, L);
}
