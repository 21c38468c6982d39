// Sparse kernels the solver needs beyond runtime/sparse/ops.ts (which has the plain products):
// a fused A x / A'y pass and trimming (hot path: no allocation).

import type { Csc } from "../sparse/csc.js";

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

/** A copy whose arrays hold exactly colPtr[cols] entries. */
export function trimCsc(M: Csc): Csc {
  const nz = M.colPtr[M.cols];
  return { rows: M.rows, cols: M.cols, colPtr: M.colPtr.slice(), rowIdx: M.rowIdx.slice(0, nz), values: Float64Array.from(M.values.subarray(0, nz)) };
}
