// Small sparse kernels of the solver, monomorphic on Csc + Float64Array (hot path: no allocation).

import type { Csc } from "../sparse/csc.js";

/** y = A x */
export function mulA(A: Csc, x: Float64Array, y: Float64Array): void {
  y.fill(0);
  const { colPtr, rowIdx, values } = A;
  for (let j = 0; j < A.cols; j++) {
    const xj = x[j];
    if (xj === 0) continue;
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) y[rowIdx[p]] += values[p] * xj;
  }
}

/** y = A' x */
export function mulAt(A: Csc, x: Float64Array, y: Float64Array): void {
  const { colPtr, rowIdx, values } = A;
  for (let j = 0; j < A.cols; j++) {
    let s = 0;
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) s += values[p] * x[rowIdx[p]];
    y[j] = s;
  }
}

/** ax = A x and aty = A' y in one pass over A (the same sums, in the same order, as mulA and mulAt) */
export function mulAAndAt(A: Csc, x: Float64Array, ax: Float64Array, y: Float64Array, aty: Float64Array): void {
  ax.fill(0);
  const { colPtr, rowIdx, values } = A;
  for (let j = 0; j < A.cols; j++) {
    const xj = x[j];
    const p0 = colPtr[j], p1 = colPtr[j + 1];
    let s = 0;
    if (xj === 0) {
      for (let p = p0; p < p1; p++) s += values[p] * y[rowIdx[p]];
    } else {
      for (let p = p0; p < p1; p++) {
        const i = rowIdx[p], v = values[p];
        ax[i] += v * xj;
        s += v * y[i];
      }
    }
    aty[j] = s;
  }
}

/** y = P x, P symmetric stored as its upper triangle */
export function mulSym(P: Csc, x: Float64Array, y: Float64Array): void {
  y.fill(0);
  const { colPtr, rowIdx, values } = P;
  for (let j = 0; j < P.cols; j++) {
    const xj = x[j];
    let s = 0;
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) {
      const i = rowIdx[p];
      const v = values[p];
      if (i === j) s += v * xj;
      else {
        y[i] += v * xj;
        s += v * x[i];
      }
    }
    y[j] += s;
  }
}

export function quadForm(P: Csc, x: Float64Array): number {
  let s = 0;
  const { colPtr, rowIdx, values } = P;
  for (let j = 0; j < P.cols; j++) {
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) {
      const i = rowIdx[p];
      s += (i === j ? 1 : 2) * values[p] * x[i] * x[j];
    }
  }
  return s;
}

/** A copy whose arrays hold exactly colPtr[cols] entries. */
export function trimCsc(M: Csc): Csc {
  const nz = M.colPtr[M.cols];
  return { rows: M.rows, cols: M.cols, colPtr: M.colPtr.slice(), rowIdx: M.rowIdx.slice(0, nz), values: Float64Array.from(M.values.subarray(0, nz)) };
}
