// The quasi-definite KKT matrix of OSQP's linear system (Stellato et al. 2020, eq. 24):
//   K = [[P + sigma I, A'], [A, -diag(1/rho)]]   (upper triangle stored, size n + m)
// The pattern is built once with maps from the entries of P and A to entries of K, so numeric
// updates (new rho, new P/A values) only rewrite values.

import type { Csc, CscPattern } from "../sparse/csc.js";

export interface KktPattern {
  readonly pattern: CscPattern;
  /** P entry p -> K entry */
  readonly pMap: Int32Array;
  /** diagonal entry (j, j) of K for j < n */
  readonly pDiag: Int32Array;
  /** A entry p -> K entry */
  readonly aMap: Int32Array;
  /** diagonal entry (n + i, n + i) of K */
  readonly rhoDiag: Int32Array;
  readonly nnz: number;
}

/** Pattern of K for an n x n upper-triangular P and an m x n A. */
export function buildKktPattern(P: CscPattern, A: CscPattern): KktPattern {
  const n = P.cols;
  const m = A.rows;
  const N = n + m;
  const nnzP = P.colPtr[n];
  const nnzA = A.colPtr[n];
  // count per column: P column j (+ diagonal if missing); column n + i: row i of A + diagonal
  const colPtr = new Int32Array(N + 1);
  const hasDiag = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    let c = P.colPtr[j + 1] - P.colPtr[j];
    for (let p = P.colPtr[j]; p < P.colPtr[j + 1]; p++) if (P.rowIdx[p] === j) hasDiag[j] = 1;
    if (!hasDiag[j]) c++;
    colPtr[j + 1] = c;
  }
  for (let p = 0; p < nnzA; p++) colPtr[n + A.rowIdx[p] + 1]++;
  for (let i = 0; i < m; i++) colPtr[n + i + 1]++;
  for (let k = 0; k < N; k++) colPtr[k + 1] += colPtr[k];
  const total = colPtr[N];
  const rowIdx = new Int32Array(total);
  const pMap = new Int32Array(nnzP);
  const pDiag = new Int32Array(n);
  const aMap = new Int32Array(nnzA);
  const rhoDiag = new Int32Array(m);
  for (let j = 0; j < n; j++) {
    let q = colPtr[j];
    for (let p = P.colPtr[j]; p < P.colPtr[j + 1]; p++) {
      rowIdx[q] = P.rowIdx[p];
      pMap[p] = q;
      if (P.rowIdx[p] === j) pDiag[j] = q;
      q++;
    }
    if (!hasDiag[j]) {
      rowIdx[q] = j;
      pDiag[j] = q;
    }
  }
  // A columns in increasing j give increasing row order inside each K column n + i
  const next = new Int32Array(m);
  for (let i = 0; i < m; i++) next[i] = colPtr[n + i];
  for (let j = 0; j < n; j++) {
    for (let p = A.colPtr[j]; p < A.colPtr[j + 1]; p++) {
      const i = A.rowIdx[p];
      const q = next[i]++;
      rowIdx[q] = j;
      aMap[p] = q;
    }
  }
  for (let i = 0; i < m; i++) {
    rowIdx[next[i]] = n + i;
    rhoDiag[i] = next[i];
  }
  return { pattern: { rows: N, cols: N, colPtr, rowIdx }, pMap, pDiag, aMap, rhoDiag, nnz: total };
}

/** Fills K's values: P + sigma I, A, and -1/rho_i (rhoInv given). Entries of a missing P diagonal are sigma. */
export function fillKktValues(
  kkt: KktPattern,
  pValues: Float64Array,
  aValues: Float64Array,
  sigma: number,
  rhoInv: Float64Array,
  out: Float64Array,
): void {
  out.fill(0);
  const { pMap, pDiag, aMap, rhoDiag } = kkt;
  for (let p = 0; p < pMap.length; p++) out[pMap[p]] = pValues[p];
  for (let j = 0; j < pDiag.length; j++) out[pDiag[j]] += sigma;
  for (let p = 0; p < aMap.length; p++) out[aMap[p]] = aValues[p];
  for (let i = 0; i < rhoDiag.length; i++) out[rhoDiag[i]] = -rhoInv[i];
}

/** Rows `rows` of A as a new CSC matrix (used by polishing). */
export function selectRows(A: Csc, rows: Int32Array, count: number): Csc {
  const newRow = new Int32Array(A.rows).fill(-1);
  for (let k = 0; k < count; k++) newRow[rows[k]] = k;
  const colPtr = new Int32Array(A.cols + 1);
  let nz = 0;
  for (let j = 0; j < A.cols; j++) {
    for (let p = A.colPtr[j]; p < A.colPtr[j + 1]; p++) if (newRow[A.rowIdx[p]] >= 0) nz++;
    colPtr[j + 1] = nz;
  }
  const rowIdx = new Int32Array(nz);
  const values = new Float64Array(nz);
  // rows are selected in increasing original order, so new indices stay increasing
  let q = 0;
  for (let j = 0; j < A.cols; j++) {
    for (let p = A.colPtr[j]; p < A.colPtr[j + 1]; p++) {
      const r = newRow[A.rowIdx[p]];
      if (r >= 0) {
        rowIdx[q] = r;
        values[q++] = A.values[p];
      }
    }
  }
  return { rows: count, cols: A.cols, colPtr, rowIdx, values };
}
