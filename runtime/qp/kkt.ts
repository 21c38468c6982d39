// The one KKT layer of runtime/qp: one pattern, one factorization object.
//
// THE LAYOUT. For an n x n upper-triangular P and an m x n A, the (n + m) square KKT matrix
//   K = [[P + s I,  A'],
//        [A,       -E ]]        (upper triangle stored, CSC, column n + i = row i of A)
// holds EVERY row of A and every diagonal entry (even where P has none). `buildKktPattern` builds
// it once per pair of patterns with entry maps (pMap: P entry -> K entry, pDiag, aMap: A entry ->
// K entry, dualDiag), so a change of rho, of P/A values or of the active set only rewrites values.
// `kktPatternFor` caches the pattern and its fill-reducing ordering per pair of index arrays (every
// QP of one compiled template shares them), so the ordering is computed once.
//
// WHO USES IT.
//  - osqp.ts (ADMM): s = sigma, E = diag(1/rho), every row's A values: `fillKktValues`, its own
//    SparseLdl (WebAssembly arena); also P alone (m = 0) for the convexity test.
//  - ActiveKkt below (active-set KKT systems): s = delta, active rows: A_i and E_ii = delta;
//    inactive rows: zero A values and E_ii = 1 (decoupled, so their multiplier is exactly 0).
//    Optionally Ruiz-equilibrated. One object per (solver, pattern):
//      * active_set.ts (`ActiveSetQp`): one per working-set solver, delta 1e-10, unscaled;
//      * polish.ts (`Polisher`): one per ADMM solver on the scaled data, ordering = the ADMM KKT's
//        (same pattern), so polishing does no symbolic analysis per active set;
//      * sensitivity.ts (`QpSensitivity`): its own one (Ruiz-equilibrated, delta 1e-9, retried
//        x100), or ADOPTS a caller's factorization of the same active set (the MPC controller
//        hands over its ActiveSetQp's final factorization): `ActiveKkt.matches` checks the
//        factored values entry by entry, and `version` shows whether it was refactored since.
//      * schur.ts (`SchurKkt`): the working sets of one ActiveSetQp solve as this factorization
//        bordered by the changed rows (Schur complement; `mul` with an explicit working set).
//    Solves are refined against the unregularized matrix (`solveRefined` on the factored values with
//    K's diagonal, or `refine` against P and A from any starting point), and the inertia of the
//    factored matrix is reported (n positive, m negative pivots for a strict local minimizer).

import { amdOrder } from "../linalg/amd.js";
import { SparseLdl } from "../linalg/ldl.js";
import type { CscPattern } from "../sparse/csc.js";
import { cscTranspose } from "../sparse/ops.js";

export interface KktPattern {
  readonly n: number;
  readonly m: number;
  readonly pattern: CscPattern;
  /** P entry p -> K entry */
  readonly pMap: Int32Array;
  /** diagonal entry (j, j) of K for j < n */
  readonly pDiag: Int32Array;
  /** A entry p -> K entry (row j, column n + i) */
  readonly aMap: Int32Array;
  /** diagonal entry (n + i, n + i) of K */
  readonly dualDiag: Int32Array;
  readonly nnz: number;
}

/**
 * Pattern of K for an n x n upper-triangular P and an m x n A. Throws TypeError for a programming
 * error (P not square or not upper triangular, A's column count or a row index out of range);
 * the solvers validate their data before (status `invalid_input`).
 */
export function buildKktPattern(P: CscPattern, A: CscPattern): KktPattern {
  const n = P.cols;
  const m = A.rows;
  if (P.rows !== n) throw new TypeError(`P must be square, got ${P.rows} x ${P.cols}`);
  if (A.cols !== n) throw new TypeError(`A has ${A.cols} columns but P is ${n} x ${n}`);
  if (P.colPtr.length !== n + 1 || A.colPtr.length !== n + 1) throw new TypeError("colPtr of P and A must have length n + 1");
  const N = n + m;
  const nnzP = P.colPtr[n];
  const nnzA = A.colPtr[n];
  // count per column: P column j (+ diagonal if missing); column n + i: row i of A + diagonal
  const colPtr = new Int32Array(N + 1);
  const hasDiag = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    for (let p = P.colPtr[j]; p < P.colPtr[j + 1]; p++) {
      const i = P.rowIdx[p];
      if (i > j) throw new TypeError(`P must be stored as its upper triangle; entry (${i}, ${j}) is below the diagonal`);
      if (i === j) hasDiag[j] = 1;
    }
    colPtr[j + 1] = P.colPtr[j + 1] - P.colPtr[j] + (hasDiag[j] ? 0 : 1);
  }
  for (let p = 0; p < nnzA; p++) {
    const i = A.rowIdx[p];
    if (!(i >= 0 && i < m)) throw new TypeError(`A has a row index ${i} outside 0..${m - 1}`);
    colPtr[n + i + 1]++;
  }
  for (let i = 0; i < m; i++) colPtr[n + i + 1]++;
  for (let k = 0; k < N; k++) colPtr[k + 1] += colPtr[k];
  const total = colPtr[N];
  const rowIdx = new Int32Array(total);
  const pMap = new Int32Array(nnzP);
  const pDiag = new Int32Array(n);
  const aMap = new Int32Array(nnzA);
  const dualDiag = new Int32Array(m);
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
    dualDiag[i] = next[i];
  }
  return { n, m, pattern: { rows: N, cols: N, colPtr, rowIdx }, pMap, pDiag, aMap, dualDiag, nnz: total };
}

/** Fills K's values for ADMM: P + sigma I, A, and -1/rho_i (rhoInv given). Entries of a missing P diagonal are sigma. */
export function fillKktValues(
  kkt: KktPattern,
  pValues: Float64Array,
  aValues: Float64Array,
  sigma: number,
  rhoInv: Float64Array,
  out: Float64Array,
): void {
  out.fill(0);
  const { pMap, pDiag, aMap, dualDiag } = kkt;
  for (let p = 0; p < pMap.length; p++) out[pMap[p]] = pValues[p];
  for (let j = 0; j < pDiag.length; j++) out[pDiag[j]] += sigma;
  for (let p = 0; p < aMap.length; p++) out[aMap[p]] = aValues[p];
  for (let i = 0; i < dualDiag.length; i++) out[dualDiag[i]] = -rhoInv[i];
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

interface CachedPattern {
  readonly pColPtr: Int32Array;
  readonly pRowIdx: Int32Array;
  readonly aColPtr: Int32Array;
  readonly aRows: number;
  readonly kkt: KktPattern;
  readonly perm: Int32Array;
}

// Keyed by A.rowIdx; entries match when P's and A's index arrays are the same objects, as they are
// for every QP built from one compiled template (the values change, the pattern arrays do not).
const patternCache = new WeakMap<Int32Array, CachedPattern[]>();
const MAX_PER_KEY = 4;

/**
 * The KKT pattern and its fill-reducing ordering for the patterns of P and A, computed once per
 * pattern (identified by its index arrays) and shared by every solver built on it.
 */
export function kktPatternFor(
  P: CscPattern,
  A: CscPattern,
  order: (pattern: CscPattern) => Int32Array = amdOrder,
): { kkt: KktPattern; perm: Int32Array } {
  const list = patternCache.get(A.rowIdx);
  if (list !== undefined) {
    for (const c of list) {
      if (c.pColPtr === P.colPtr && c.pRowIdx === P.rowIdx && c.aColPtr === A.colPtr && c.aRows === A.rows) return c;
    }
  }
  const kkt = buildKktPattern(P, A);
  const perm = order(kkt.pattern);
  const entry: CachedPattern = { pColPtr: P.colPtr, pRowIdx: P.rowIdx, aColPtr: A.colPtr, aRows: A.rows, kkt, perm };
  const next = list === undefined ? [] : list.slice(-(MAX_PER_KEY - 1));
  next.push(entry);
  patternCache.set(A.rowIdx, next);
  return entry;
}

/** Ruiz equilibration passes over the active KKT matrix, and the range of the scaling factors. */
const RUIZ_ITER = 4;
const MIN_SCALING = 1e-4;
const MAX_SCALING = 1e4;

/**
 * The factorization of an active-set KKT matrix on the all-rows pattern:
 *   K_delta = D [[P, A_S'], [A_S, 0]] D + delta diag(I, -I_S)   (+ a decoupled -1 per inactive row)
 * with D = I, or a symmetric Ruiz equilibration of the active matrix when `equilibrate`. `solve`
 * applies K_delta^{-1} in the original coordinates; `solveRefined` and `refine` correct a solution
 * against the UNREGULARIZED matrix K = [[P, A_S'], [A_S, 0]] (inactive rows: -I). Allocates
 * nothing after the constructor. `version` increases at every factorization: a holder of a factorization it did not
 * make checks it (and `matches`) before relying on it.
 */
export class ActiveKkt {
  readonly n: number;
  readonly m: number;
  readonly P: CscPattern;
  readonly A: CscPattern;
  readonly kkt: KktPattern;
  /** Per row: 1 when active in the last factored matrix, else 0 (a view; do not modify). */
  readonly rowActive: Int8Array;
  /** D of the last factorization (ones when not equilibrated). */
  readonly scaling: Float64Array;
  /** Regularization of the last factorization. */
  delta = NaN;
  /** Whether the last factorization was equilibrated. */
  equilibrated = false;
  /** Whether the last factorization succeeded (no zero pivot). */
  factored = false;
  /** Factorizations by this object (increases at every `factor`). */
  version = 0;
  /** Largest |correction| of the last `refine` or `solveRefined` (0 when it made none). */
  lastCorrection = 0;
  /** Factorizations by all ActiveKkt objects since the process started (for tests and benches). */
  static factorizations = 0;
  private readonly ldl: SparseLdl;
  private readonly values: Float64Array;
  /** The diagonal of the last factored matrix without its regularization (scaled): P's, 0 on the
   *  active rows, -1 on the inactive ones (`solveRefined`). */
  private readonly diagK: Float64Array;
  /** Whether the factor still lacks `diagK` and the scaling of the last factorization. */
  private refineStale = true;
  /** The P and A values of the last assembly when it was unequilibrated (`assembledValues`): a
   *  factorization with the same values and delta rewrites only the rows whose activity changed. */
  private readonly pLast: Float64Array;
  private readonly aLast: Float64Array;
  private assembledValues = false;
  /** A's entries by row: rowEntry[rowPtr[i] .. rowPtr[i + 1]) are the entries (in A's CSC order) of row i. */
  private readonly rowPtr: Int32Array;
  private readonly rowEntry: Int32Array;
  /** The residual tolerance of the last `solveRefined`. */
  lastTolerance = NaN;
  private readonly colMax: Float64Array;

  /**
   * The pattern and ordering come from `kktPatternFor` (cached per pattern) unless given: `perm`
   * (an ordering of this same pattern, e.g. the ADMM solver's) and `kkt` (this pattern, prebuilt).
   * `wasm`: triangular solves in WebAssembly (ldl.ts; bitwise the same results, faster), for a
   * user with many solves per factorization (ActiveSetQp's Schur-complement updates).
   */
  constructor(P: CscPattern, A: CscPattern, options: { readonly perm?: Int32Array; readonly kkt?: KktPattern; readonly wasm?: boolean; readonly refine?: boolean } = {}) {
    this.n = P.cols;
    this.m = A.rows;
    this.P = P;
    this.A = A;
    let kkt = options.kkt;
    let perm = options.perm;
    if (perm === undefined) {
      const cached = kktPatternFor(P, A);
      kkt ??= cached.kkt;
      perm = cached.perm;
    }
    kkt ??= buildKktPattern(P, A);
    this.kkt = kkt;
    this.ldl = new SparseLdl(kkt.pattern, perm, { wasm: options.wasm === true, refine: options.refine === true });
    this.diagK = new Float64Array(this.n + this.m);
    this.pLast = new Float64Array(P.colPtr[P.cols]);
    this.aLast = new Float64Array(A.colPtr[A.cols]);
    // A's rows: the transpose's columns, and where each entry of A went (inverted into rowEntry)
    const toRow = new Int32Array(A.colPtr[A.cols]);
    this.rowPtr = cscTranspose({ ...A, values: new Float64Array(toRow.length) }, toRow).colPtr;
    this.rowEntry = new Int32Array(toRow.length);
    for (let k = 0; k < toRow.length; k++) this.rowEntry[toRow[k]] = k;
    this.values = new Float64Array(kkt.nnz);
    this.rowActive = new Int8Array(this.m);
    this.scaling = new Float64Array(this.n + this.m).fill(1);
    this.colMax = new Float64Array(this.n + this.m);
  }

  /** Entries of the factor L (the cost of a solve is about 4 nnz(L) + 3 (n + m) flops). */
  get factorNnz(): number {
    return this.ldl.nnzL;
  }
  get positivePivots(): number {
    return this.ldl.positivePivots;
  }
  get negativePivots(): number {
    return this.ldl.negativePivots;
  }
  /** n positive and m negative pivots: the inertia of a strict local minimizer's KKT matrix. */
  get inertiaOk(): boolean {
    return this.factored && this.ldl.positivePivots === this.n && this.ldl.negativePivots === this.m;
  }

  /**
   * Factors K_delta for the rows with active[i] !== 0. Returns false on a zero pivot (or a
   * non-finite value). P/A values follow the patterns given to the constructor.
   */
  factor(pValues: ArrayLike<number>, aValues: ArrayLike<number>, active: ArrayLike<number>, delta: number, equilibrate = false): boolean {
    const { m, rowActive } = this;
    this.version++;
    ActiveKkt.factorizations++;
    this.refineStale = true;
    if (!equilibrate && this.rowsOnly(pValues, aValues, delta)) {
      // the same P, A and delta as the last (unequilibrated) assembly: only the rows whose activity
      // changed are rewritten, in the values and in the factor's input (the same matrix, bitwise)
      this.updateRows(aValues, active);
      this.factored = this.ldl.refactor();
      return this.factored;
    }
    for (let i = 0; i < m; i++) rowActive[i] = active[i] !== 0 ? 1 : 0;
    this.delta = delta;
    this.equilibrated = equilibrate;
    if (equilibrate) this.equilibrate(pValues, aValues);
    else this.scaling.fill(1);
    this.assemble(pValues, aValues, this.values);
    this.assembledValues = !equilibrate;
    if (this.assembledValues) {
      this.pLast.set(pValues);
      this.aLast.set(aValues);
    }
    this.factored = this.ldl.factor(this.values);
    return this.factored;
  }

  /** Whether the last assembly was unequilibrated, with this delta and these P and A values. */
  private rowsOnly(pValues: ArrayLike<number>, aValues: ArrayLike<number>, delta: number): boolean {
    if (!this.assembledValues || delta !== this.delta) return false;
    const { pLast, aLast } = this;
    for (let k = 0; k < pLast.length; k++) if (pLast[k] !== pValues[k]) return false;
    for (let k = 0; k < aLast.length; k++) if (aLast[k] !== aValues[k]) return false;
    return true;
  }

  /** Rewrites the rows whose activity differs from the last factorization's (their A entries, the
   *  dual diagonal and K's diagonal there), as `assemble` writes them unequilibrated. */
  private updateRows(aValues: ArrayLike<number>, active: ArrayLike<number>): void {
    const { n, m, rowActive, values, kkt, diagK, ldl, delta, rowPtr, rowEntry } = this;
    for (let i = 0; i < m; i++) {
      const now = active[i] !== 0 ? 1 : 0;
      if (now === rowActive[i]) continue;
      rowActive[i] = now;
      for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) {
        const k = rowEntry[q];
        const v = now !== 0 ? aValues[k] : 0;
        values[kkt.aMap[k]] = v;
        ldl.setValue(kkt.aMap[k], v);
      }
      const d = now !== 0 ? -delta : -1;
      values[kkt.dualDiag[i]] = d;
      ldl.setValue(kkt.dualDiag[i], d);
      diagK[n + i] = now !== 0 ? 0 : -1;
    }
  }

  /** Whether `solveRefined` is available (the `refine` option). */
  get canRefine(): boolean {
    return this.ldl.canRefine;
  }

  /**
   * sol = K^{-1} rhs in the original coordinates: the solve with the factored C = D K D + delta
   * diag(I, -I_S, 0), then iterative refinement against the unregularized K as `refine` does (the
   * same stopping rules with minSteps and stall; tolerance max(tolAbs, tolRel max|sol|) over the
   * unrefined sol, kept in `lastTolerance`), every step on C's own values with K's diagonal, in
   * WebAssembly where available (SparseLdl.solveRefined; the factored coordinates are D^{-1} x).
   * Needs the `refine` option and a successful factorization. Returns the last residual's size;
   * sets `lastCorrection`.
   */
  solveRefined(rhs: Float64Array, sol: Float64Array, maxSteps: number, minSteps: number, tolAbs: number, tolRel: number, stall: number): number {
    if (!this.ldl.canRefine) throw new Error("ActiveKkt: solveRefined needs the refine option");
    if (this.refineStale) {
      this.ldl.setRefinement(this.diagK, this.equilibrated ? this.scaling : null);
      this.refineStale = false;
    }
    const norm = this.ldl.solveRefined(rhs, sol, maxSteps, minSteps, tolAbs, tolRel, stall, false);
    this.lastCorrection = this.ldl.lastCorrection;
    this.lastTolerance = this.ldl.lastTolerance;
    return norm;
  }

  /**
   * Whether the last factorization is of exactly this matrix: same P and A values, the same
   * active rows (active[i] !== 0), and it succeeded. O(nnz), allocates nothing.
   */
  matches(pValues: ArrayLike<number>, aValues: ArrayLike<number>, active: ArrayLike<number>): boolean {
    if (!this.factored) return false;
    const { m, rowActive, kkt, values, scaling: d, delta } = this;
    for (let i = 0; i < m; i++) if ((active[i] !== 0 ? 1 : 0) !== rowActive[i]) return false;
    const { P, A } = this;
    for (let j = 0; j < this.n; j++) {
      for (let k = P.colPtr[j]; k < P.colPtr[j + 1]; k++) {
        const i = P.rowIdx[k];
        let v = this.equilibrated ? d[i] * pValues[k] * d[j] : pValues[k];
        if (i === j) v += delta;
        if (values[kkt.pMap[k]] !== v) return false;
      }
      for (let k = A.colPtr[j]; k < A.colPtr[j + 1]; k++) {
        const r = A.rowIdx[k];
        if (rowActive[r] === 0) continue;
        const v = this.equilibrated ? d[this.n + r] * aValues[k] * d[j] : aValues[k];
        if (values[kkt.aMap[k]] !== v) return false;
      }
    }
    return true;
  }

  /** x = K_delta^{-1} x in the original coordinates (D (D K D + reg)^{-1} D x), in place. */
  solve(x: Float64Array): void {
    if (!this.equilibrated) {
      this.ldl.solve(x);
      return;
    }
    const d = this.scaling;
    for (let k = 0; k < x.length; k++) x[k] *= d[k];
    this.ldl.solve(x);
    for (let k = 0; k < x.length; k++) x[k] *= d[k];
  }

  /** x = (the factored, scaled matrix)^{-1} x, in place (for estimates on the scaled matrix). */
  solveFactored(x: Float64Array): void {
    this.ldl.solve(x);
  }

  /** out = K v with the unregularized matrix of the last factorization (inactive rows: -v_y), or of
   *  the working set `active` (row i active when active[i] !== 0) when given (schur.ts). */
  mul(pValues: ArrayLike<number>, aValues: ArrayLike<number>, v: Float64Array, out: Float64Array, active: ArrayLike<number> = this.rowActive): void {
    const { n, m } = this;
    // the index arrays as locals, each column's bounds read once (the same operations in the same order)
    const pc = this.P.colPtr, pr = this.P.rowIdx, ac = this.A.colPtr, ar = this.A.rowIdx;
    out.fill(0);
    for (let j = 0; j < n; j++) {
      const vj = v[j];
      let acc = 0;
      for (let p = pc[j], end = pc[j + 1]; p < end; p++) {
        const i = pr[p];
        const pv = pValues[p];
        out[i] += pv * vj;
        if (i !== j) acc += pv * v[i];
      }
      for (let p = ac[j], end = ac[j + 1]; p < end; p++) {
        const r = ar[p];
        if (active[r] === 0) continue;
        const av = aValues[p];
        out[n + r] += av * vj;
        acc += av * v[n + r];
      }
      out[j] += acc;
    }
    for (let i = 0; i < m; i++) if (active[i] === 0) out[n + i] = -v[n + i];
  }

  /**
   * Iterative refinement of sol (already K_delta^{-1} rhs, or any start) against the unregularized
   * K: res = rhs - K sol; stop when |res|_inf <= tol, when it did not shrink below `stall` times
   * the previous one (after `minSteps` corrections), or after `maxSteps` corrections; else
   * sol += K_delta^{-1} res. Returns the last |res|_inf; `lastCorrection` is the last |correction|.
   * `res` is scratch (length n + m).
   */
  refine(pValues: ArrayLike<number>, aValues: ArrayLike<number>, rhs: Float64Array, sol: Float64Array, res: Float64Array, maxSteps: number, minSteps: number, tol: number, stall: number): number {
    return refineAgainst(this, this, this.rowActive, pValues, aValues, rhs, sol, res, maxSteps, minSteps, tol, stall);
  }

  /** Symmetric Ruiz scaling of the active matrix: every row of D K D has its largest entry near 1. */
  private equilibrate(pValues: ArrayLike<number>, aValues: ArrayLike<number>): void {
    const { n, m, P, A, rowActive, scaling: d, colMax } = this;
    d.fill(1);
    for (let it = 0; it < RUIZ_ITER; it++) {
      colMax.fill(0);
      for (let j = 0; j < n; j++) {
        for (let k = P.colPtr[j]; k < P.colPtr[j + 1]; k++) {
          const i = P.rowIdx[k];
          const v = Math.abs(d[i] * pValues[k] * d[j]);
          if (v > colMax[i]) colMax[i] = v;
          if (v > colMax[j]) colMax[j] = v;
        }
        for (let k = A.colPtr[j]; k < A.colPtr[j + 1]; k++) {
          const r = n + A.rowIdx[k];
          if (rowActive[r - n] === 0) continue;
          const v = Math.abs(d[r] * aValues[k] * d[j]);
          if (v > colMax[r]) colMax[r] = v;
          if (v > colMax[j]) colMax[j] = v;
        }
      }
      for (let k = 0; k < n + m; k++) {
        if (colMax[k] > 0) d[k] = Math.min(MAX_SCALING, Math.max(MIN_SCALING, d[k] / Math.sqrt(colMax[k])));
      }
    }
    for (let i = 0; i < m; i++) if (rowActive[i] === 0) d[n + i] = 1;
  }

  private assemble(pValues: ArrayLike<number>, aValues: ArrayLike<number>, vals: Float64Array): void {
    const { n, m, P, A, kkt, rowActive, delta } = this;
    vals.fill(0);
    if (this.equilibrated) {
      const d = this.scaling;
      for (let j = 0; j < n; j++) {
        for (let k = P.colPtr[j]; k < P.colPtr[j + 1]; k++) vals[kkt.pMap[k]] = d[P.rowIdx[k]] * pValues[k] * d[j];
        for (let k = A.colPtr[j]; k < A.colPtr[j + 1]; k++) {
          const i = A.rowIdx[k];
          if (rowActive[i] !== 0) vals[kkt.aMap[k]] = d[n + i] * aValues[k] * d[j];
        }
      }
    } else {
      for (let k = 0; k < kkt.pMap.length; k++) vals[kkt.pMap[k]] = pValues[k];
      for (let j = 0; j < n; j++) {
        for (let k = A.colPtr[j]; k < A.colPtr[j + 1]; k++) if (rowActive[A.rowIdx[k]] !== 0) vals[kkt.aMap[k]] = aValues[k];
      }
    }
    const diagK = this.diagK;
    for (let j = 0; j < n; j++) {
      diagK[j] = vals[kkt.pDiag[j]];
      vals[kkt.pDiag[j]] += delta;
    }
    for (let i = 0; i < m; i++) {
      vals[kkt.dualDiag[i]] = rowActive[i] === 0 ? -1 : -delta;
      diagK[n + i] = rowActive[i] === 0 ? -1 : 0;
    }
  }
}

/**
 * The iterative refinement loop of ActiveKkt.refine and SchurKkt.refine (one copy): res = rhs - K
 * sol with K the unregularized matrix of `kkt`'s pattern for the working set `active`; stop when
 * |res|_inf <= tol, when it did not shrink below `stall` times the previous one (after `minSteps`
 * corrections), or after `maxSteps` corrections; else sol += (solver's factored matrix)^{-1} res.
 * Sets solver.lastCorrection to the last |correction| (0 when none); returns the last |res|_inf.
 * Allocates nothing.
 */
export function refineAgainst(
  kkt: ActiveKkt,
  solver: { solve(x: Float64Array): void; lastCorrection: number },
  active: ArrayLike<number>,
  pValues: ArrayLike<number>,
  aValues: ArrayLike<number>,
  rhs: Float64Array,
  sol: Float64Array,
  res: Float64Array,
  maxSteps: number,
  minSteps: number,
  tol: number,
  stall: number,
): number {
  const N = kkt.n + kkt.m;
  let prev = Infinity;
  let norm = Infinity;
  solver.lastCorrection = 0;
  for (let it = 0; ; it++) {
    kkt.mul(pValues, aValues, sol, res, active);
    norm = 0;
    for (let k = 0; k < N; k++) {
      const r = rhs[k] - res[k];
      res[k] = r;
      const a = Math.abs(r);
      if (a > norm) norm = a;
    }
    if (norm <= tol || it >= maxSteps || (it >= minSteps && it > 0 && !(norm < stall * prev))) break;
    prev = norm;
    solver.solve(res);
    let corr = 0;
    for (let k = 0; k < N; k++) {
      sol[k] += res[k];
      const a = Math.abs(res[k]);
      if (a > corr) corr = a;
    }
    solver.lastCorrection = corr;
  }
  return norm;
}
