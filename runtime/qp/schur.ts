// Working-set KKT solves by Schur-complement updates of one factorization (issue 14).
//
// Gill, Murray, Saunders & Wright, "A Schur-complement method for sparse quadratic programming"
// (in Reliable Numerical Computation, Oxford 1990; GMSW below), and Bartlett & Biegler, "QPSchur:
// a dual, active-set, Schur-complement method for large-scale and structured convex quadratic
// programming" (Optim. Eng. 7, 2006): the KKT matrix K0 of a first working set S0 is factored
// once; the KKT system of a later working set S is the BORDERED system (GMSW's augmented system;
// equation numbers are not quoted here, the equations are written out instead)
//
//   [[K0, V], [V', D]] [x; w] = [b0; c]                                             (1)
//
// solved with K0's factors and the dense Schur complement of K0 in (1):
//   C = D - V' K0^{-1} V,                                                           (2)
//   t = K0^{-1} b0,   C w = c - V' t,   x = t - W w   with W = K0^{-1} V.           (3)
// One border per row whose activity differs between S0 and S (so |V| = |S0 xor S|):
//  - ADD (row i inactive in S0, active in S): v = [A_i'; 0], d = -delta, c = b_i. The new unknown
//    w is the multiplier y_i of S; K0's own equation of row i (decoupled: -y_i = 0) stays and
//    gives 0, overwritten by w.
//  - PIN (row j active in S0, inactive in S): v = e_{n+j}, d = 0, c = 0 (GMSW's "unit column" for a
//    deleted constraint): it pins K0's y_j to 0 (so A_j' y_j leaves stationarity) and its free
//    multiplier w absorbs row j's equation; the multiplier of the inactive row in S is -b_j (its
//    decoupled equation -y_j = b_j, as kkt.ts lays out inactive rows).
// The last step of (3) uses W = K0^{-1} V (kept for the first `wMax` borders: an axpy of length n + m per
// border) while that is cheaper than a second solve with K0's factors; with more borders it is
// x = K0^{-1} (b0 - V w) (two solves, V sparse), so the cost of a solve stays at most about twice
// K0's whatever the number of borders.
// In exact arithmetic x is then K_delta(S)^{-1} b for the REGULARIZED matrix ActiveKkt would factor
// for S (P + delta I, -delta on active rows, -1 on inactive ones), so ActiveSetQp's refinement
// against the unregularized K(S) and its tests on the regularized point (singular sets) behave as
// with a refactorization. C is kept explicitly (symmetric, at most `cap` borders: its buffers and
// W's wMax columns are allocated once, at the cap) with a dense LU factorization with partial
// pivoting, P C = L U, extended by one row and column per added border (C grows by one bordering
// per working-set change, as in GMSW) and refactored from C when the extension's multipliers grow
// (|l| > 16) or a border is deleted (a row returns to its status in S0). `update` returns false when the cap is
// reached or C is singular to working precision: the caller refactors K for S from scratch (and
// also when the refined residual of the bordered solve is not at round-off). Allocation-free after
// the constructor.

import { refineAgainst, type ActiveKkt } from "./kkt.js";

/** Largest automatic number of borders (rows changed since the factorization). */
export const SCHUR_CAP = 64;
/** Smallest automatic number of borders. */
const SCHUR_MIN_CAP = 4;
/** W holds wMax * (n + m) doubles; wMax is lowered to stay within this many. */
const SCHUR_MEMORY = 4_000_000;
/** Largest multiplier accepted when extending the LU factorization by one row (else refactor C). */
const LU_GROWTH = 16;

const ADD = 1;
const PIN = -1;

export class SchurKkt {
  readonly n: number;
  readonly m: number;
  /** The factorization of the first working set (K0); unequilibrated. */
  readonly base: ActiveKkt;
  /** Maximum number of borders. */
  readonly cap: number;
  /** Current number of borders. */
  size = 0;
  /** Borders whose W column is kept (the solve uses W while size <= wMax, else two solves). */
  readonly wMax: number;
  /** Largest |correction| of the last `refine`. */
  lastCorrection = 0;
  /** Extensions of C's LU factorization by one border, and refactorizations of C (for tests). */
  appends = 0;
  denseRefactors = 0;
  private readonly rowOf: Int32Array;
  private readonly kind: Int8Array;
  /** row -> border index, or -1 */
  private readonly slot: Int32Array;
  private readonly C: Float64Array;
  private readonly LU: Float64Array;
  private readonly piv: Int32Array;
  private readonly W: Float64Array;
  /** W's columns as views (made once: no allocation per update) */
  private readonly wCol: Float64Array[];
  private readonly col: Float64Array;
  private readonly t: Float64Array;
  private readonly r: Float64Array;
  private readonly bAt: Float64Array;
  private readonly z: Float64Array;
  private readonly y: Float64Array;
  /** K entry -> A entry (for the rows of A read off K's columns n + i), -1 elsewhere */
  private readonly kToA: Int32Array;
  private aValues: ArrayLike<number> = new Float64Array(0);
  private baseVersion = -1;

  /**
   * `cap`: the maximum number of borders, or "auto": the borders W is kept for (wMax, at least 4, at
   * most SCHUR_CAP). The factorization costs about as many solves as the factor's mean column
   * count, which wMax also follows, so the cap grows with the cost it saves (GZ at N = 80..320:
   * wMax = 6; a larger cap makes every set after the sixth pay a second solve per Schur solve,
   * measured slower than refactoring every 4-8 sets).
   */
  constructor(base: ActiveKkt, cap: number | "auto" = "auto") {
    const n = base.n;
    const m = base.m;
    const N = n + m;
    this.n = n;
    this.m = m;
    this.base = base;
    // an axpy of length N per border costs about what 2 nnz(L) / N of them do in a solve
    const wCols = Math.floor((2 * base.factorNnz) / Math.max(1, N)) + 3;
    const memory = Math.floor(SCHUR_MEMORY / Math.max(1, N));
    this.cap = cap === "auto" ? Math.min(SCHUR_CAP, Math.max(SCHUR_MIN_CAP, Math.min(wCols, memory))) : Math.max(0, Math.floor(cap));
    const k = this.cap;
    this.wMax = Math.max(0, Math.min(k, wCols, memory));
    this.rowOf = new Int32Array(k);
    this.kind = new Int8Array(k);
    this.slot = new Int32Array(m).fill(-1);
    this.C = new Float64Array(k * k);
    this.LU = new Float64Array(k * k);
    this.piv = new Int32Array(k);
    this.W = new Float64Array(this.wMax * N);
    this.wCol = [];
    for (let c = 0; c < this.wMax; c++) this.wCol.push(this.W.subarray(c * N, c * N + N));
    this.col = new Float64Array(N);
    this.t = new Float64Array(N);
    this.r = new Float64Array(k);
    this.bAt = new Float64Array(k);
    this.z = new Float64Array(k);
    this.y = new Float64Array(k);
    const { aMap, nnz } = base.kkt;
    this.kToA = new Int32Array(nnz).fill(-1);
    for (let p = 0; p < aMap.length; p++) this.kToA[aMap[p]] = p;
  }

  /** Starts from the base's current factorization (call right after `base.factor` succeeded, with
   *  the A values it factored): no borders. */
  rebase(aValues: ArrayLike<number>): void {
    for (let k = 0; k < this.size; k++) this.slot[this.rowOf[k]] = -1;
    this.size = 0;
    this.aValues = aValues;
    this.baseVersion = this.base.version;
  }

  /** Whether the base factorization is still the one `rebase` saw (and succeeded). */
  get ready(): boolean {
    return this.base.factored && !this.base.equilibrated && this.base.version === this.baseVersion;
  }

  /**
   * Borders for the working set `active` (row i active when active[i] !== 0): deletes the borders
   * of rows back at their status in S0, appends one per newly changed row. False (the caller then
   * refactors) when the base is not ready, the cap would be exceeded or C is singular.
   */
  update(active: ArrayLike<number>): boolean {
    if (!this.ready || this.cap === 0) return false;
    const { m, slot, rowOf } = this;
    const baseActive = this.base.rowActive;
    // borders no longer needed
    let deleted = false;
    for (let k = 0; k < this.size; k++) {
      const i = rowOf[k];
      if ((active[i] !== 0 ? 1 : 0) === baseActive[i]) {
        deleted = true;
        break;
      }
    }
    if (deleted) {
      this.compact(active);
      if (!this.refactorDense()) return this.fail();
    }
    let needed = this.size;
    for (let i = 0; i < m; i++) if ((active[i] !== 0 ? 1 : 0) !== baseActive[i] && slot[i] < 0) needed++;
    if (needed > this.cap) return this.fail();
    for (let i = 0; i < m; i++) {
      if ((active[i] !== 0 ? 1 : 0) === baseActive[i] || slot[i] >= 0) continue;
      if (!this.append(i, baseActive[i] === 0 ? ADD : PIN)) return this.fail();
    }
    return true;
  }

  /** x = K_delta(S)^{-1} x for the working set of the last successful `update`, in place. */
  solve(x: Float64Array): void {
    const { n, size, base } = this;
    if (size === 0) {
      base.solve(x);
      return;
    }
    const { t, r, z, bAt, rowOf, kind, W } = this;
    const N = n + this.m;
    // b0: b with the bordered rows' entries set to 0 (their equations are the borders')
    for (let k = 0; k < size; k++) {
      const at = n + rowOf[k];
      bAt[k] = x[at];
      x[at] = 0;
    }
    t.set(x);
    base.solve(t);
    // r = c - V' t, then C w = r (w in z)
    for (let k = 0; k < size; k++) r[k] = (kind[k] === ADD ? bAt[k] : 0) - this.vDot(k, t);
    this.luSolve(r, z);
    if (size <= this.wMax) {
      // x = t - W w
      x.set(t);
      for (let k = 0; k < size; k++) {
        const wk = z[k];
        if (wk === 0) continue;
        const off = k * N;
        for (let e = 0; e < N; e++) x[e] -= W[off + e] * wk;
      }
    } else {
      // x = K0^{-1} (b0 - V w): x still holds b0
      const { colPtr, rowIdx } = base.kkt.pattern;
      const { kToA, aValues } = this;
      for (let k = 0; k < size; k++) {
        const wk = z[k];
        const i = rowOf[k];
        if (kind[k] === PIN) {
          x[n + i] -= wk;
          continue;
        }
        for (let q = colPtr[n + i]; q < colPtr[n + i + 1]; q++) {
          const p = kToA[q];
          if (p >= 0) x[rowIdx[q]] -= aValues[p] * wk;
        }
      }
      base.solve(x);
    }
    // the bordered rows: y_i = w (ADD), y_j = -b_j (PIN)
    for (let k = 0; k < size; k++) x[n + rowOf[k]] = kind[k] === ADD ? z[k] : -bAt[k];
  }

  /**
   * Iterative refinement against the UNREGULARIZED K(S) of the working set `active` (that of the
   * last `update`), as ActiveKkt.refine: res = rhs - K sol; stop when |res|_inf <= tol, when it did
   * not shrink below `stall` times the previous one (after `minSteps`), or after `maxSteps`
   * corrections; else sol += K_delta(S)^{-1} res. Returns the last |res|_inf.
   */
  refine(pValues: ArrayLike<number>, aValues: ArrayLike<number>, active: ArrayLike<number>, rhs: Float64Array, sol: Float64Array, res: Float64Array, maxSteps: number, minSteps: number, tol: number, stall: number): number {
    return refineAgainst(this.base, this, active, pValues, aValues, rhs, sol, res, maxSteps, minSteps, tol, stall);
  }

  private fail(): boolean {
    // a partial update leaves no usable border set: the caller refactors and rebases
    this.baseVersion = -1;
    return false;
  }

  /** v_k' x for border k: A_i x_z (ADD) or x_{n+j} (PIN). */
  private vDot(k: number, x: Float64Array): number {
    const i = this.rowOf[k];
    if (this.kind[k] === PIN) return x[this.n + i];
    const { kkt } = this.base;
    const { colPtr, rowIdx } = kkt.pattern;
    const { kToA, aValues } = this;
    let s = 0;
    const col = this.n + i;
    for (let q = colPtr[col]; q < colPtr[col + 1]; q++) {
      const p = kToA[q];
      if (p >= 0) s += aValues[p] * x[rowIdx[q]];
    }
    return s;
  }

  /** out = K0^{-1} v_k. */
  private fillW(k: number, out: Float64Array): void {
    const { n } = this;
    const i = this.rowOf[k];
    out.fill(0);
    if (this.kind[k] === PIN) out[n + i] = 1;
    else {
      const { colPtr, rowIdx } = this.base.kkt.pattern;
      for (let q = colPtr[n + i]; q < colPtr[n + i + 1]; q++) {
        const p = this.kToA[q];
        if (p >= 0) out[rowIdx[q]] = this.aValues[p];
      }
    }
    this.base.solve(out);
  }

  /** Appends the border of row i: W column, C's row and column, and the LU extension. */
  private append(i: number, kind: number): boolean {
    const { cap, C, W, rowOf } = this;
    const N = this.n + this.m;
    const k = this.size;
    rowOf[k] = i;
    this.kind[k] = kind;
    this.slot[i] = k;
    this.size = k + 1;
    // W_k = K0^{-1} v_k (kept when k < wMax)
    const wk = k < this.wMax ? this.wCol[k] : this.col;
    this.fillW(k, wk);
    // C_lk = D_lk - v_l' W_k (D diagonal: -delta for ADD, 0 for PIN)
    for (let l = 0; l <= k; l++) {
      let v = -this.vDot(l, wk);
      if (l === k && kind === ADD) v -= this.base.delta;
      C[l * cap + k] = v;
      C[k * cap + l] = v;
    }
    if (!(Number.isFinite(C[k * cap + k]))) return false;
    return this.extendLu();
  }

  /**
   * Extends P C = L U by C's last row and column (index k = size - 1) without moving the earlier
   * pivots: L u = P c, U' l = c, mu = gamma - l'u. Refactors C with partial pivoting when a
   * multiplier |l_s| exceeds LU_GROWTH or mu is not a usable pivot.
   */
  private extendLu(): boolean {
    const { cap, C, LU, piv } = this;
    const k = this.size - 1;
    piv[k] = k;
    // u = L^{-1} P c in column k of U
    for (let a = 0; a < k; a++) {
      let s = C[piv[a] * cap + k];
      for (let b = 0; b < a; b++) s -= LU[a * cap + b] * LU[b * cap + k];
      LU[a * cap + k] = s;
    }
    // l: U' l = c (row k of L)
    let ok = true;
    for (let s = 0; s < k; s++) {
      let v = C[k * cap + s];
      for (let a = 0; a < s; a++) v -= LU[a * cap + s] * LU[k * cap + a];
      v /= LU[s * cap + s];
      LU[k * cap + s] = v;
      if (!(Math.abs(v) <= LU_GROWTH)) ok = false;
    }
    let mu = C[k * cap + k];
    for (let a = 0; a < k; a++) mu -= LU[k * cap + a] * LU[a * cap + k];
    LU[k * cap + k] = mu;
    this.appends++;
    if (ok && mu !== 0 && Number.isFinite(mu) && Math.abs(mu) > 1e-14 * this.rowMax(k)) return true;
    return this.refactorDense();
  }

  private rowMax(k: number): number {
    let mx = 0;
    for (let s = 0; s <= k; s++) mx = Math.max(mx, Math.abs(this.C[k * this.cap + s]));
    return mx;
  }

  /** P C = L U of the current C by Gaussian elimination with partial pivoting. False if singular. */
  private refactorDense(): boolean {
    const { cap, C, LU, piv, size } = this;
    this.denseRefactors++;
    for (let a = 0; a < size; a++) {
      piv[a] = a;
      for (let b = 0; b < size; b++) LU[a * cap + b] = C[a * cap + b];
    }
    for (let c = 0; c < size; c++) {
      let best = c;
      let bestAbs = Math.abs(LU[c * cap + c]);
      for (let a = c + 1; a < size; a++) {
        const v = Math.abs(LU[a * cap + c]);
        if (v > bestAbs) {
          bestAbs = v;
          best = a;
        }
      }
      if (!(bestAbs > 0 && bestAbs < Infinity)) return false;
      if (best !== c) {
        for (let b = 0; b < size; b++) {
          const tmp = LU[c * cap + b];
          LU[c * cap + b] = LU[best * cap + b];
          LU[best * cap + b] = tmp;
        }
        const tp = piv[c];
        piv[c] = piv[best];
        piv[best] = tp;
      }
      const inv = 1 / LU[c * cap + c];
      for (let a = c + 1; a < size; a++) {
        const f = LU[a * cap + c] * inv;
        LU[a * cap + c] = f;
        if (f === 0) continue;
        for (let b = c + 1; b < size; b++) LU[a * cap + b] -= f * LU[c * cap + b];
      }
    }
    return true;
  }

  /** out = C^{-1} r with P C = L U (r is overwritten). */
  private luSolve(r: Float64Array, out: Float64Array): void {
    const { cap, LU, piv, size, y } = this;
    for (let a = 0; a < size; a++) {
      let s = r[piv[a]];
      for (let b = 0; b < a; b++) s -= LU[a * cap + b] * y[b];
      y[a] = s;
    }
    for (let a = size - 1; a >= 0; a--) {
      let s = y[a];
      for (let b = a + 1; b < size; b++) s -= LU[a * cap + b] * out[b];
      out[a] = s / LU[a * cap + a];
    }
  }

  /** Drops the borders of rows back at their status in S0 (C, W and the maps compacted). */
  private compact(active: ArrayLike<number>): void {
    const { n, cap, C, W, rowOf, kind, slot } = this;
    const N = n + this.m;
    const baseActive = this.base.rowActive;
    const keep = this.y; // scratch: old index of each kept border
    let kept = 0;
    for (let k = 0; k < this.size; k++) {
      const i = rowOf[k];
      if ((active[i] !== 0 ? 1 : 0) === baseActive[i]) slot[i] = -1;
      else keep[kept++] = k;
    }
    for (let a = 0; a < kept; a++) {
      const ka = keep[a];
      if (ka !== a) {
        rowOf[a] = rowOf[ka];
        kind[a] = kind[ka];
        if (ka < this.wMax) W.copyWithin(a * N, ka * N, ka * N + N);
        else if (a < this.wMax) this.fillW(a, this.wCol[a]);
      }
      slot[rowOf[a]] = a;
    }
    for (let a = 0; a < kept; a++) for (let b = 0; b < kept; b++) C[a * cap + b] = C[keep[a] * cap + keep[b]];
    this.size = kept;
  }
}
