// Constant-folding matrices of the checker (`Mat`: row-major, entries in a number[]): constructors
// and element-wise maps here; the linear algebra (products, symmetric eigenvalues for the PSD test
// of constant weights, Cholesky of a `psd` initial value, the DARE of `dlqr`) is the one dense
// module runtime/linalg/{dense,dare}.ts, the same code the compiler and the runtime use. Those
// routines report failure by a value (undefined), never by an exception, so the checker stays total.

import { cholesky as denseCholesky, matmul as denseMatmul, minEigenvalue as denseMinEigenvalue, symEigenvalues as denseSymEigenvalues, transpose as denseTranspose, type Dense } from "../../runtime/linalg/dense.js";
import { dare as denseDare } from "../../runtime/linalg/dare.js";
import type { Mat } from "./context.js";

export const mat = (rows: number, cols: number, data: readonly number[]): Mat => ({ rows, cols, data });
export const scalarMat = (v: number): Mat => mat(1, 1, [v]);

const fromDense = (d: Dense): Mat => mat(d.rows, d.cols, Array.from(d.data));

export function fill(rows: number, cols: number, v: number): Mat {
  return mat(rows, cols, new Array<number>(rows * cols).fill(v));
}

export function eye(n: number): Mat {
  const d = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) d[i * n + i] = 1;
  return mat(n, n, d);
}

export const transpose = (a: Mat): Mat => fromDense(denseTranspose(a));

/** a * b; callers check a.cols === b.rows first (a mismatch is a RangeError). */
export const matmul = (a: Mat, b: Mat): Mat => fromDense(denseMatmul(a, b));

/** Element-wise combination with scalar broadcast; undefined on a shape mismatch. */
export function zipWith(a: Mat, b: Mat, f: (x: number, y: number) => number): Mat | undefined {
  if (a.rows === 1 && a.cols === 1) return mat(b.rows, b.cols, b.data.map((y) => f(a.data[0], y)));
  if (b.rows === 1 && b.cols === 1) return mat(a.rows, a.cols, a.data.map((x) => f(x, b.data[0])));
  if (a.rows !== b.rows || a.cols !== b.cols) return undefined;
  return mat(a.rows, a.cols, a.data.map((x, i) => f(x, b.data[i])));
}

export const map = (a: Mat, f: (x: number) => number): Mat => mat(a.rows, a.cols, a.data.map(f));

/** Eigenvalues of the symmetric part of a square matrix, ascending. */
export const symEigenvalues = (m: Mat): number[] => Array.from(denseSymEigenvalues(m));

/** Smallest eigenvalue of the symmetric part. */
export const minEigenvalue = (m: Mat): number => denseMinEigenvalue(m);

/** Lower-triangular Cholesky factor L (A = L*L') of a symmetric positive definite matrix; undefined otherwise. */
export function cholesky(a: Mat): Mat | undefined {
  const L = denseCholesky(a);
  return L && fromDense(L);
}

/**
 * The stabilizing solution S of the discrete algebraic Riccati equation
 *   S = A'SA - A'SB (R + B'SB)^{-1} B'SA + Q
 * (closed loop A - BK with spectral radius < 1); undefined when there is none, as in the compiler.
 */
export function dare(A: Mat, B: Mat, Q: Mat, R: Mat): Mat | undefined {
  const r = denseDare(A, B, Q, R);
  return r.ok ? fromDense(r.X) : undefined;
}
