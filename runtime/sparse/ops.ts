// Helpers on CSC matrices: validation, construction from triplets, transpose, products.

import type { Csc, CscPattern } from "./csc.js";

/** Returns null when `mat` is a well-formed rows x cols CSC matrix, else a message naming the problem. */
export function checkCsc(mat: CscPattern, rows: number, cols: number, name: string): string | null {
  if (mat === null || typeof mat !== "object") return `${name} is missing`;
  if (!(mat.colPtr instanceof Int32Array) || !(mat.rowIdx instanceof Int32Array)) {
    return `${name}: colPtr and rowIdx must be Int32Arrays`;
  }
  if (mat.rows !== rows || mat.cols !== cols) {
    return `${name} has shape ${mat.rows}x${mat.cols}, expected ${rows}x${cols}`;
  }
  if (mat.colPtr.length !== cols + 1) return `${name}: colPtr has length ${mat.colPtr.length}, expected ${cols + 1}`;
  if (mat.colPtr[0] !== 0) return `${name}: colPtr[0] must be 0`;
  const nnz = mat.colPtr[cols];
  if (nnz > mat.rowIdx.length) return `${name}: colPtr[${cols}] = ${nnz} exceeds rowIdx length ${mat.rowIdx.length}`;
  for (let j = 0; j < cols; j++) {
    const a = mat.colPtr[j], b = mat.colPtr[j + 1];
    if (b < a) return `${name}: colPtr decreases at column ${j}`;
    for (let p = a; p < b; p++) {
      const i = mat.rowIdx[p];
      if (i < 0 || i >= rows) return `${name}: row index ${i} out of range in column ${j}`;
      if (p > a && i <= mat.rowIdx[p - 1]) return `${name}: row indices not strictly increasing in column ${j}`;
    }
  }
  return null;
}

export function cscNnz(mat: CscPattern): number {
  return mat.colPtr[mat.cols];
}

/** Builds a CSC matrix from (row, col, value) triplets; duplicates are summed. */
export function cscFromTriplets(
  rows: number,
  cols: number,
  ti: ArrayLike<number>,
  tj: ArrayLike<number>,
  tv: ArrayLike<number>,
): Csc {
  const count = new Int32Array(cols + 1);
  for (let k = 0; k < ti.length; k++) count[tj[k] + 1]++;
  for (let j = 0; j < cols; j++) count[j + 1] += count[j];
  const next = count.slice(0, cols);
  const ri = new Int32Array(ti.length);
  const rv = new Float64Array(ti.length);
  for (let k = 0; k < ti.length; k++) {
    const p = next[tj[k]]++;
    ri[p] = ti[k];
    rv[p] = tv[k];
  }
  // sort each column by row and merge duplicates
  const colPtr = new Int32Array(cols + 1);
  const outI: number[] = [];
  const outV: number[] = [];
  const order: number[] = [];
  for (let j = 0; j < cols; j++) {
    order.length = 0;
    for (let p = count[j]; p < count[j + 1]; p++) order.push(p);
    order.sort((a, b) => ri[a] - ri[b]);
    for (let k = 0; k < order.length; k++) {
      const p = order[k];
      if (outI.length > colPtr[j] && outI[outI.length - 1] === ri[p]) outV[outV.length - 1] += rv[p];
      else {
        outI.push(ri[p]);
        outV.push(rv[p]);
      }
    }
    colPtr[j + 1] = outI.length;
  }
  return { rows, cols, colPtr, rowIdx: Int32Array.from(outI), values: Float64Array.from(outV) };
}

/** Dense row-major array of a CSC matrix (tests and small problems). */
export function cscToDense(mat: Csc): Float64Array {
  const d = new Float64Array(mat.rows * mat.cols);
  for (let j = 0; j < mat.cols; j++) {
    for (let p = mat.colPtr[j]; p < mat.colPtr[j + 1]; p++) d[mat.rowIdx[p] * mat.cols + j] += mat.values[p];
  }
  return d;
}

/** Transpose; `map[p]` (optional output) receives the position in the result of entry p. */
export function cscTranspose(mat: Csc, map?: Int32Array): Csc {
  const { rows, cols } = mat;
  const nz = mat.colPtr[cols];
  const colPtr = new Int32Array(rows + 1);
  for (let p = 0; p < nz; p++) colPtr[mat.rowIdx[p] + 1]++;
  for (let i = 0; i < rows; i++) colPtr[i + 1] += colPtr[i];
  const next = colPtr.slice(0, rows);
  const rowIdx = new Int32Array(nz);
  const values = new Float64Array(nz);
  for (let j = 0; j < cols; j++) {
    for (let p = mat.colPtr[j]; p < mat.colPtr[j + 1]; p++) {
      const q = next[mat.rowIdx[p]]++;
      rowIdx[q] = j;
      values[q] = mat.values[p];
      if (map) map[p] = q;
    }
  }
  return { rows: cols, cols: rows, colPtr, rowIdx, values };
}

/** y = M x (overwrite) for a general CSC matrix. */
export function cscMatVec(mat: Csc, x: ArrayLike<number>, y: Float64Array): void {
  y.fill(0);
  const { colPtr, rowIdx, values } = mat;
  for (let j = 0; j < mat.cols; j++) {
    const xj = x[j];
    if (xj === 0) continue;
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) y[rowIdx[p]] += values[p] * xj;
  }
}

/** y = M' x (overwrite) for a general CSC matrix. */
export function cscMatTVec(mat: Csc, x: ArrayLike<number>, y: Float64Array): void {
  const { colPtr, rowIdx, values } = mat;
  for (let j = 0; j < mat.cols; j++) {
    let s = 0;
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) s += values[p] * x[rowIdx[p]];
    y[j] = s;
  }
}

/** y = S x (overwrite) where S is symmetric and `upper` stores its upper triangle. */
export function cscSymUpperMatVec(upper: Csc, x: ArrayLike<number>, y: Float64Array): void {
  y.fill(0);
  const { colPtr, rowIdx, values } = upper;
  for (let j = 0; j < upper.cols; j++) {
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

/** x' S x for symmetric S given by its upper triangle. */
export function cscSymUpperQuadForm(upper: Csc, x: ArrayLike<number>): number {
  let s = 0;
  const { colPtr, rowIdx, values } = upper;
  for (let j = 0; j < upper.cols; j++) {
    for (let p = colPtr[j]; p < colPtr[j + 1]; p++) {
      const i = rowIdx[p];
      s += (i === j ? 1 : 2) * values[p] * x[i] * x[j];
    }
  }
  return s;
}

/** Upper triangle of a full symmetric (or any square) CSC matrix: keeps entries with row <= col. */
export function cscUpperTriangle(mat: Csc): Csc {
  const colPtr = new Int32Array(mat.cols + 1);
  const ri: number[] = [];
  const rv: number[] = [];
  for (let j = 0; j < mat.cols; j++) {
    for (let p = mat.colPtr[j]; p < mat.colPtr[j + 1]; p++) {
      if (mat.rowIdx[p] <= j) {
        ri.push(mat.rowIdx[p]);
        rv.push(mat.values[p]);
      }
    }
    colPtr[j + 1] = ri.length;
  }
  return { rows: mat.rows, cols: mat.cols, colPtr, rowIdx: Int32Array.from(ri), values: Float64Array.from(rv) };
}

/** A copy with its own arrays. */
export function cloneCsc(mat: Csc): Csc {
  return {
    rows: mat.rows,
    cols: mat.cols,
    colPtr: mat.colPtr.slice(),
    rowIdx: mat.rowIdx.slice(),
    values: mat.values.slice(),
  };
}
