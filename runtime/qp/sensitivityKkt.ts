// The pattern of the full KKT matrix used to differentiate a QP solution:
//
//   K = [[P + delta I,  At' ],
//        [At,          -E   ]]        (n + m square, upper triangle stored, CSC)
//
// where At is A with the rows of inactive constraints zeroed and E is diagonal (delta on active
// rows, 1 on inactive rows). Keeping every row of A in the pattern (values zero when inactive)
// makes the pattern independent of the active set, so the fill-reducing ordering and the symbolic
// analysis are computed once per QP pattern and reused at every solution.

import type { CscPattern } from "../sparse/csc.js";

export interface KktLayout {
  readonly n: number;
  readonly m: number;
  /** Upper triangle of the (n + m) x (n + m) KKT matrix. */
  readonly pattern: CscPattern;
  /** Position in `pattern` of each stored entry of P. */
  readonly pToKkt: Int32Array;
  /** Position in `pattern` of the diagonal entry (j, j), j < n (present even where P has none). */
  readonly primalDiag: Int32Array;
  /** Position in `pattern` of each stored entry of A (it sits at row j, column n + i). */
  readonly aToKkt: Int32Array;
  /** Position in `pattern` of the diagonal entry (n + i, n + i). */
  readonly dualDiag: Int32Array;
}

/** Throws TypeError when P is not square upper triangular or A's column count differs from n. */
export function buildKktLayout(P: CscPattern, A: CscPattern): KktLayout {
  const n = P.cols;
  const m = A.rows;
  if (P.rows !== n) throw new TypeError(`P must be square, got ${P.rows} x ${P.cols}`);
  if (A.cols !== n) throw new TypeError(`A has ${A.cols} columns but P is ${n} x ${n}`);
  if (P.colPtr.length !== n + 1 || A.colPtr.length !== n + 1) {
    throw new TypeError("colPtr of P and A must have length n + 1");
  }
  const N = n + m;
  const colCount = new Int32Array(N);
  const hasDiag = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    for (let k = P.colPtr[j]; k < P.colPtr[j + 1]; k++) {
      const i = P.rowIdx[k];
      if (i > j) throw new TypeError(`P must be stored as its upper triangle; entry (${i}, ${j}) is below the diagonal`);
      if (i === j) hasDiag[j] = 1;
    }
    colCount[j] = P.colPtr[j + 1] - P.colPtr[j] + (hasDiag[j] ? 0 : 1);
  }
  for (let j = 0; j < n; j++) {
    for (let k = A.colPtr[j]; k < A.colPtr[j + 1]; k++) {
      const i = A.rowIdx[k];
      if (i < 0 || i >= m) throw new TypeError(`A has a row index ${i} outside 0..${m - 1}`);
      colCount[n + i]++;
    }
  }
  for (let i = 0; i < m; i++) colCount[n + i]++; // dual diagonal
  const colPtr = new Int32Array(N + 1);
  for (let j = 0; j < N; j++) colPtr[j + 1] = colPtr[j] + colCount[j];
  const rowIdx = new Int32Array(colPtr[N]);
  const pToKkt = new Int32Array(P.colPtr[n]);
  const primalDiag = new Int32Array(n);
  const aToKkt = new Int32Array(A.colPtr[n]);
  const dualDiag = new Int32Array(m);
  for (let j = 0; j < n; j++) {
    let pos = colPtr[j];
    for (let k = P.colPtr[j]; k < P.colPtr[j + 1]; k++) {
      rowIdx[pos] = P.rowIdx[k];
      pToKkt[k] = pos;
      if (P.rowIdx[k] === j) primalDiag[j] = pos;
      pos++;
    }
    if (!hasDiag[j]) {
      rowIdx[pos] = j;
      primalDiag[j] = pos;
    }
  }
  // Column n + i holds row i of A (as rows j = its column indices, ascending) then the diagonal.
  const next = new Int32Array(m);
  for (let i = 0; i < m; i++) next[i] = colPtr[n + i];
  for (let j = 0; j < n; j++) {
    for (let k = A.colPtr[j]; k < A.colPtr[j + 1]; k++) {
      const i = A.rowIdx[k];
      const pos = next[i]++;
      rowIdx[pos] = j;
      aToKkt[k] = pos;
    }
  }
  for (let i = 0; i < m; i++) {
    const pos = next[i];
    rowIdx[pos] = n + i;
    dualDiag[i] = pos;
  }
  return { n, m, pattern: { rows: N, cols: N, colPtr, rowIdx }, pToKkt, primalDiag, aToKkt, dualDiag };
}

/** True when two patterns hold the same structure (same object or same contents). */
export function samePattern(a: CscPattern, b: CscPattern): boolean {
  if (a === b) return true;
  if (a.rows !== b.rows || a.cols !== b.cols) return false;
  if (a.colPtr !== b.colPtr) {
    if (a.colPtr.length !== b.colPtr.length) return false;
    for (let j = 0; j < a.colPtr.length; j++) if (a.colPtr[j] !== b.colPtr[j]) return false;
  }
  if (a.rowIdx !== b.rowIdx) {
    const nnz = a.colPtr[a.cols];
    if (b.colPtr[b.cols] !== nnz) return false;
    for (let k = 0; k < nnz; k++) if (a.rowIdx[k] !== b.rowIdx[k]) return false;
  }
  return true;
}

interface CachedLayout {
  readonly pColPtr: Int32Array;
  readonly pRowIdx: Int32Array;
  readonly aColPtr: Int32Array;
  readonly aRows: number;
  readonly layout: KktLayout;
  readonly perm: Int32Array;
}

// Keyed by A.rowIdx; entries match when P's and A's index arrays are the same objects, as they are
// for every QP built from one compiled template (the values change, the pattern arrays do not).
const layoutCache = new WeakMap<Int32Array, CachedLayout[]>();
const MAX_PER_KEY = 4;

/**
 * The KKT layout and its fill-reducing ordering for the patterns of P and A, computed once per
 * pattern (identified by its index arrays) and shared by every QpSensitivity built on it.
 */
export function kktLayoutFor(
  P: CscPattern,
  A: CscPattern,
  order: (pattern: CscPattern) => Int32Array,
): { layout: KktLayout; perm: Int32Array } {
  const list = layoutCache.get(A.rowIdx);
  if (list !== undefined) {
    for (const c of list) {
      if (c.pColPtr === P.colPtr && c.pRowIdx === P.rowIdx && c.aColPtr === A.colPtr && c.aRows === A.rows) {
        return c;
      }
    }
  }
  const layout = buildKktLayout(P, A);
  const perm = order(layout.pattern);
  const entry: CachedLayout = { pColPtr: P.colPtr, pRowIdx: P.rowIdx, aColPtr: A.colPtr, aRows: A.rows, layout, perm };
  const next = list === undefined ? [] : list.slice(-(MAX_PER_KEY - 1));
  next.push(entry);
  layoutCache.set(A.rowIdx, next);
  return entry;
}
