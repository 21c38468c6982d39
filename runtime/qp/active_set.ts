// Exact solutions of small parametric QPs by guessing the active set and verifying it:
//
//   minimize 0.5 z'Pz + q'z   subject to   l <= Az <= u
//
// For a guessed working set S (row i active at its lower or upper bound; equality rows always),
// the equality-constrained QP has the KKT system (Nocedal & Wright, "Numerical Optimization",
// eq. 16.4):
//   [[P, A_S'], [A_S, 0]] [z; y_S] = [-q; b_S],   y_i = 0 for i not in S.
// It is solved on a FIXED pattern holding every row of A (kkt.ts, `ActiveKkt`: the KKT layer shared
// with polishing and sensitivities), so one symbolic analysis serves every working set: an inactive row keeps its pattern with zero values and a -1 diagonal (which gives
// y_i = 0 exactly); an active row gets a -delta diagonal, P gets +delta (a quasi-definite matrix,
// Vanderbei 1995, factored without pivoting), and iterative refinement against the unregularized
// system removes the regularization. The point is accepted only when the KKT conditions hold:
// stationarity and A_S z = b_S to the refinement's accuracy, l - tol <= A_i z <= u + tol on the
// inactive rows, and y_i >= 0 (upper) / y_i <= 0 (lower) on the active ones (OSQP's sign
// convention). Otherwise the working set is corrected as in the primal-dual active set method
// (Hintermueller, Ito & Kunisch 2002: add the violated rows, drop the wrong-sign multipliers) a
// few times; the caller falls back to an iterative solver when that does not settle.
//
// In a closed loop (model predictive control) the active set rarely changes from one solve to
// the next, so the previous solution's set is usually right at the first factorization.
//
// HOMOTOPY (`homotopy` option and solve argument; `homotopyCorrection`): when a solve starts from
// the last solve's optimal set with moved data (the same state, new parameters), the one-row
// corrections follow the path from the last solution to the new data (the parametric active-set
// strategy of Best 1996 and Ferreau, Bock & Diehl 2008): the row changed is the one whose slack or
// multiplier reaches zero first on the way, not the most violated one at the end. On degenerate
// sets (a discounted MPC tail: many rows weakly active) the most violated row is often the wrong
// one and the walk wanders; the ratio test picks the breakpoint.
//
// SCHUR-COMPLEMENT UPDATES (schur.ts: Gill, Murray, Saunders & Wright 1990, its bordered system
// (1)-(3); Bartlett & Biegler's QPSchur 2006): when a solve needs more than `schurAfter` working
// sets, the later ones are not refactored: each is the last factored set's KKT matrix bordered by
// the rows whose activity changed since (a small dense Schur complement, one row and column per
// change); its point only steers the walk, so it is not refined. The K matrix is factored again
// when the borders reach the cap (`schurCap`), when the bordered point's residual against the
// set's own unregularized matrix exceeds BORDERED_TOL (or the Schur complement is singular), and
// once for the final set: the accepted point, its inertia and `kkt` (handed to
// the sensitivities) always come from a factorization of the final working set itself.
//
// A KKT point is a minimizer only of a convex problem, so a point is never reported `solved` unless
//  - P is positive semidefinite (P + shift*I factored, shift = CONVEXITY_TOL * max|P_ij| as in
//    osqp.ts; checked again only when P's values change), and
//  - the final working set's KKT matrix has the inertia of a strict local minimizer: by Gould's
//    theorem (Nocedal & Wright, Thm 16.3 and the discussion after it), [[P, A_S'], [A_S, 0]] has
//    exactly n positive and |S| negative eigenvalues iff A_S has full row rank and the reduced
//    Hessian Z'PZ on the null space of A_S is positive definite. The factored matrix is
//    [[P + delta I, A_S'], [A_S, -delta I]] plus a decoupled -1 for each inactive row, so the
//    expected pivot counts are n positive and m negative (curvature below -delta is negative).
// Otherwise the status is `non_convex`. A working set whose KKT matrix is singular with a right-hand
// side outside its range (the regularized solution grows like 1/delta along a null vector; the
// refinement's correction is then as large as the point itself) is never accepted; when no row
// blocks that direction d and it certifies unboundedness (P d = 0, q'd < 0, A d in the recession
// cone of [l, u], OSQP's dual infeasibility test) the status is `dual_infeasible`.

import type { CscPattern } from "../sparse/csc.js";
import { ActiveKkt } from "./kkt.js";
import { SchurKkt } from "./schur.js";
import { CONVEXITY_TOL } from "./settings.js";

/** Working-set entry of a row: -1 active at l, +1 active at u, 0 inactive. Equality rows (l = u) are always active. */
export type ActiveFlag = -1 | 0 | 1;

export interface ActiveSetOptions {
  /** Regularization of the factored matrix (removed by refinement). Default 1e-10. */
  readonly delta?: number;
  /** Feasibility / multiplier-sign tolerance, relative to max(1, |bound|) and max(1, ||y||). Default 1e-9. */
  readonly tolerance?: number;
  /** Maximum number of working sets tried per solve. Default 100. */
  readonly maxSets?: number;
  /** Number of first corrections that may change every violated row at once (then one row per set). Default 0. */
  readonly blockSteps?: number;
  /** Fewest violated conditions for which such a correction changes them all; below it the walk
   *  goes on one row per set (a nearly right set: a block step would overshoot). Default 1. */
  readonly blockMin?: number;
  /** Order in which a one-row correction adds violated rows: among the rows violated by at least
   *  half the worst violation, the one with the smallest `rowOrder` (an MPC's stage: see
   *  MpcController). Default: the most violated row. */
  readonly rowOrder?: Int32Array;
  /** Maximum refinement steps per working set. Default 12. */
  readonly maxRefine?: number;
  /** Maximum number of rows changed since the last factorization handled by Schur-complement
   *  updates (schur.ts); 0 refactors every working set. Default "auto" (schur.ts: 4 to 64, from the
   *  density of the factor; 6 for the Gros & Zanon MPC). */
  readonly schurCap?: number | "auto";
  /** Working sets of a solve factored from scratch before the Schur updates start (each later set
   *  borders the last factored one; the final set is factored again). Default 2. */
  readonly schurAfter?: number;
  /** Keep each solution as the anchor of a homotopy (see `homotopyCorrection`) for the next solve
   *  (`solve`'s `homotopy` argument). Default false. */
  readonly homotopy?: boolean;
}

const EMPTY = new Float64Array(0);
/** An equality row of an accepted point may miss by this times the point's largest entry (|z|_inf):
 *  the refinement's own target (1e-13 of the solution's scale), see `solve`'s final check. */
const EQUALITY_ROUNDOFF = 1e-13;
/** A bordered (Schur) set's point steers the walk once its residual against the set's own
 *  unregularized matrix is within this, relative to the point: it is refined only until then (most
 *  are within it unrefined: bench:scale's act loop), and factored when refinement stalls above it.
 *  Unrefined points accepted up to 1e-7 misled the crossovers of the discounted N = 160 MPC of
 *  runtime/qp/test/ipm.test.ts (their unrefined residuals are 4.8e-8; tail multipliers ~1e-8). */
const BORDERED_TOL = 1e-8;

function sameSet(a: Int8Array, b: Int8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export type ActiveSetStatus = "solved" | "not_settled" | "not_converged" | "non_convex" | "dual_infeasible";

export class ActiveSetQp {
  readonly n: number;
  readonly m: number;
  /** Solution of the last successful solve (owned by the solver). */
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** Number of working sets tried by the last solve (factored or bordered). */
  iterations = 0;
  /** Numeric factorizations of the KKT matrix by the last solve (the final set's included). */
  factorizations = 0;
  /** Working sets of the last solve solved through Schur-complement updates. */
  schurSets = 0;
  /** Largest KKT residual of the accepted point (unscaled, infinity norm). */
  residual = NaN;
  private readonly P: CscPattern;
  private readonly A: CscPattern;
  /** The factorization of the last working set: after a "solved" solve, that of the optimal active
   *  set (callers may hand it to QpSensitivity; its `version` changes at the next factorization). */
  readonly kkt: ActiveKkt;
  private readonly rhs: Float64Array;
  private readonly sol: Float64Array;
  private readonly res: Float64Array;
  private readonly az: Float64Array;
  private readonly delta: number;
  private readonly tol: number;
  /** Maximum number of working sets per solve (settable between solves: a caller with a cheaper
   *  fallback than many one-row corrections lowers it for its warm-started attempt). */
  maxSets: number;
  /** A walk in one-row corrections stops (not_settled) as soon as its violated conditions exceed
   *  giveUpRatio x the sets left in its budget. Default Infinity (never). */
  giveUpRatio = Infinity;
  private readonly maxRefine: number;
  private readonly blockSteps: number;
  private readonly blockMin: number;
  private readonly rowOrder: Int32Array | undefined;
  /** Whether the last correction changed every violated row (a block step). */
  private lastWasBlock = false;
  private readonly prevSet: Int8Array;
  private readonly curSet: Int8Array;
  /** Rows already left out of a dependency in this solve (not chosen again). */
  private readonly tabu: Int8Array;
  /** Why the last solve reported non_convex / dual_infeasible (empty otherwise). */
  message = "";
  /** Convexity check of P alone: its own factor, and the values it last judged. */
  private pCheck: ActiveKkt | undefined;
  private readonly pChecked: Float64Array;
  private pHasChecked = false;
  private pConvex = true;
  /** Size of the refinement's last correction (about the size of the point for a singular set). */
  private lastCorrection = 0;
  /** Whether the last working set's KKT matrix showed itself singular with rhs outside its range. */
  private singular = false;
  /** Schur-complement updates of `kkt` (created at the first solve that needs them). */
  private schur: SchurKkt | undefined;
  private readonly schurCap: number | "auto";
  private readonly schurAfter: number;
  /** Whether the last working set was solved through the Schur complement (not factored). */
  private lastViaSchur = false;
  /** Homotopy anchor (see `homotopyCorrection`): the point on the path from the last solution's data
   *  to this solve's, as A z, y and the bounds there; hSet is the last solution's active set. */
  private readonly homotopy: boolean;
  private readonly hAz: Float64Array;
  private readonly hY: Float64Array;
  private readonly hL: Float64Array;
  private readonly hU: Float64Array;
  private readonly hSet: Int8Array;
  private hValid = false;
  /** Number of entries of each row of A (1: a bound row on one variable). */
  private readonly rowEntries: Int32Array;
  private hOn = false;
  /** Corrections chosen by the homotopy's ratio test in the last solve (for tests). */
  homotopySteps = 0;

  constructor(P: CscPattern, A: CscPattern, options: ActiveSetOptions = {}) {
    this.n = P.cols;
    this.m = A.rows;
    this.P = P;
    this.A = A;
    this.kkt = new ActiveKkt(P, A, { wasm: true, refine: true });
    const N = this.n + this.m;
    this.rhs = new Float64Array(N);
    this.sol = new Float64Array(N);
    this.res = new Float64Array(N);
    this.az = new Float64Array(this.m);
    this.x = new Float64Array(this.n);
    this.y = new Float64Array(this.m);
    this.delta = options.delta ?? 1e-10;
    this.tol = options.tolerance ?? 1e-9;
    this.maxSets = options.maxSets ?? 100;
    this.maxRefine = options.maxRefine ?? 12;
    this.blockSteps = options.blockSteps ?? 0;
    this.blockMin = Math.max(1, options.blockMin ?? 1);
    if (options.rowOrder !== undefined && options.rowOrder.length !== this.m) throw new TypeError(`rowOrder has length ${options.rowOrder.length}, expected ${this.m}`);
    this.rowOrder = options.rowOrder;
    this.schurCap = options.schurCap ?? "auto";
    this.schurAfter = Math.max(1, options.schurAfter ?? 2);
    this.prevSet = new Int8Array(this.m);
    this.curSet = new Int8Array(this.m);
    this.tabu = new Int8Array(this.m);
    this.pChecked = new Float64Array(P.colPtr[P.cols]);
    this.homotopy = options.homotopy ?? false;
    const hm = this.homotopy ? this.m : 0;
    this.hAz = new Float64Array(hm);
    this.hY = new Float64Array(hm);
    this.hL = new Float64Array(hm);
    this.hU = new Float64Array(hm);
    this.hSet = new Int8Array(hm);
    this.rowEntries = new Int32Array(this.m);
    for (let p = 0; p < A.colPtr[this.n]; p++) this.rowEntries[A.rowIdx[p]]++;
  }

  /**
   * Completes a starting set for the columns without curvature (P's column j is zero) and with a
   * linear cost (q_j != 0): the cost decreases without bound along d = -sign(q_j) e_j unless an
   * active row blocks d, so a set in which none does has a singular KKT matrix with the right-hand
   * side outside its range (the regularized point moves like 1/delta along d, see the header). When
   * no active or equality row blocks d, the column's own bound row (a row of A with this one entry,
   * e.g. a soft constraint's slack s >= 0) is made active on the side that blocks d. In an MPC whose
   * slacks have only a linear penalty, a working set carried over from the last step leaves the
   * slacks of the stages that just entered the horizon free, and the walk used to spend its sets
   * (or its whole budget, at N = 320) undoing the excursion. Only the starting guess changes: the
   * point is still accepted by the KKT conditions alone, and at an optimal set every such d is
   * blocked already (stationarity in row j: q_j = -sum_i A_ij y_i), so a warm start is untouched.
   */
  private blockFlatColumns(pValues: ArrayLike<number>, q: ArrayLike<number>, aValues: ArrayLike<number>, l: ArrayLike<number>, u: ArrayLike<number>, active: Int8Array): void {
    const { P, A, n, rowEntries } = this;
    for (let j = 0; j < n; j++) {
      if (q[j] === 0) continue;
      let flat = true;
      for (let p = P.colPtr[j]; p < P.colPtr[j + 1]; p++) {
        if (pValues[p] !== 0) {
          flat = false;
          break;
        }
      }
      if (!flat) continue;
      const dir = q[j] > 0 ? -1 : 1;
      let blocked = false;
      let bound = -1;
      let side: ActiveFlag = 0;
      for (let p = A.colPtr[j]; p < A.colPtr[j + 1]; p++) {
        const i = A.rowIdx[p];
        const a = aValues[p] * dir; // rate of change of row i along d
        if (a === 0) continue;
        if (l[i] === u[i] || (a < 0 && active[i] < 0) || (a > 0 && active[i] > 0)) {
          blocked = true;
          break;
        }
        if (rowEntries[i] === 1) {
          if (a < 0 && l[i] > -Infinity) {
            bound = i;
            side = -1;
          } else if (a > 0 && u[i] < Infinity) {
            bound = i;
            side = 1;
          }
        }
      }
      if (!blocked && bound >= 0) active[bound] = side;
    }
  }

  /**
   * Whether P is positive semidefinite beyond round-off: P + shift I (shift = CONVEXITY_TOL *
   * max|P_ij|, the ADMM solver's convexity test) has n positive pivots. Cached while the values
   * stay the same; allocates only on the first call.
   */
  private convexP(pValues: ArrayLike<number>): boolean {
    const nnz = this.pChecked.length;
    if (this.pHasChecked) {
      let same = true;
      for (let k = 0; k < nnz; k++) {
        if (this.pChecked[k] !== pValues[k]) {
          same = false;
          break;
        }
      }
      if (same) return this.pConvex;
    }
    for (let k = 0; k < nnz; k++) this.pChecked[k] = pValues[k];
    this.pHasChecked = true;
    let pmax = 0;
    for (let k = 0; k < nnz; k++) pmax = Math.max(pmax, Math.abs(pValues[k]));
    if (pmax === 0) return (this.pConvex = true);
    if (!(pmax < Infinity)) return (this.pConvex = false);
    const shift = Math.max(this.delta, CONVEXITY_TOL * pmax);
    // P alone (no rows) on the same KKT layer: P + shift I
    this.pCheck ??= new ActiveKkt(this.P, { rows: 0, cols: this.n, colPtr: new Int32Array(this.n + 1), rowIdx: new Int32Array(0) });
    const check = this.pCheck;
    this.pConvex = check.factor(pValues, EMPTY, EMPTY, shift) && check.positivePivots === this.n;
    return this.pConvex;
  }

  /**
   * Solves from the working set `active` (length m; updated in place to the final set, which is
   * the optimal active set when the status is "solved"). pValues/aValues follow the patterns
   * given to the constructor. With `homotopy`, a solver built with the `homotopy` option whose last
   * solve was solved, and `active` that solve's final set, the one-row corrections follow the
   * homotopy from it (`homotopyCorrection`); otherwise the argument has no effect. Allocates nothing.
   */
  solve(
    pValues: ArrayLike<number>,
    q: ArrayLike<number>,
    aValues: ArrayLike<number>,
    l: ArrayLike<number>,
    u: ArrayLike<number>,
    active: Int8Array,
    homotopy = false,
  ): ActiveSetStatus {
    const { m } = this;
    this.message = "";
    this.iterations = 0;
    this.factorizations = 0;
    this.schurSets = 0;
    this.lastViaSchur = false;
    // the anchor is this solve's to consume: whatever the outcome, only a solved solve leaves one
    const anchored = this.hValid;
    this.hValid = false;
    this.hOn = false;
    this.homotopySteps = 0;
    if (!this.convexP(pValues)) {
      this.message = "P is not positive semidefinite (a factorization of P shifted by CONVEXITY_TOL * max|P_ij| has a non-positive pivot)";
      return "non_convex";
    }
    // a consistent starting set: equalities active, free rows and impossible sides inactive
    for (let i = 0; i < m; i++) {
      if (l[i] === u[i]) active[i] = 1;
      else if (active[i] < 0 && !(l[i] > -Infinity)) active[i] = 0;
      else if (active[i] > 0 && !(u[i] < Infinity)) active[i] = 0;
    }
    this.blockFlatColumns(pValues, q, aValues, l, u, active);
    let status: ActiveSetStatus = "not_settled";
    this.iterations = 0;
    this.lastAdded = -1;
    this.tabu.fill(0);
    // the homotopy from the last solution applies when this solve starts from its optimal set
    this.hOn = homotopy && anchored && sameSet(active, this.hSet);
    // Full primal-dual steps while they reduce the number of violated conditions; after a step
    // that does not (or lands on a singular set), back to the previous set and one row at a time.
    let block = this.hOn ? 0 : this.blockSteps;
    let prevChanges = Infinity;
    let hasPrev = false;
    const { prevSet, curSet } = this;
    // one-shot: factor the next set from scratch (the final check of a bordered set)
    let fresh = false;
    for (let it = 0; it < this.maxSets; it++) {
      if (!fresh) this.iterations++;
      const converged = this.solveWorkingSet(pValues, q, aValues, l, u, active, !fresh && it >= this.schurAfter);
      fresh = false;
      if (converged !== true && block > 0 && hasPrev) {
        active.set(prevSet);
        block = 0;
        continue;
      }
      if (converged === null) {
        status = "not_converged";
        break;
      }
      if (!converged) {
        // a singular working set. A direction of zero curvature and descent shows as rows violated
        // by ~1/delta: add every violated row (unless the set follows a single added row). Otherwise
        // the active rows are linearly dependent:
        // the regularized multipliers grow like 1/delta on the rows of the dependency; leave out
        // the largest of them (other than the row just added).
        if (this.lastAdded < 0 && this.correct(aValues, l, u, active, false, true, true) > 0) continue;
        const drop = this.dependentRow(l, u, active);
        if (drop >= 0) {
          active[drop] = 0;
          this.tabu[drop] = 1;
          continue;
        }
      }
      if (block > 0) curSet.set(active);
      const changes = this.correct(aValues, l, u, active, converged, block > 0);
      // fewer violations than blockMin: one row per set from here on
      if (block > 0 && changes > 0 && !this.lastWasBlock) block = 0;
      if (changes === 0 && this.lastViaSchur) {
        // the final set: solved again from its own factorization (exact inertia, handed to the
        // sensitivities), not counted as another set
        fresh = true;
        it--;
        continue;
      }
      if (changes === 0) {
        // a singular set's point (x ~ 1/delta along a null vector) is never a solution, even when its
        // residual is ~delta relative to that huge point (which passed for convergence)
        const accept = converged && !this.singular;
        status = accept ? "solved" : this.unboundedDirection(pValues, q, aValues, l, u) ? "dual_infeasible" : "not_converged";
        if (status === "dual_infeasible") this.message = "the QP is unbounded below: a direction d with P d = 0, q'd < 0 and A d inside the recession cone of [l, u]";
        break;
      }
      if (block === 0 && changes > this.giveUpRatio * (this.maxSets - it - 1)) {
        // one row per set from here on, and more violated conditions than the remaining sets
        // could plausibly clear: stop now rather than at the budget
        break;
      }
      if (block > 0) {
        block--;
        if (changes >= prevChanges) {
          active.set(prevSet);
          block = 0;
          continue;
        }
        prevSet.set(curSet);
        hasPrev = true;
        prevChanges = changes;
      }
    }
    if (status === "solved") {
      // every row feasible, the working set's own rows included: an inconsistent set (e.g. an
      // infeasible QP) can leave a small relative residual behind multipliers of size 1/delta.
      // An equality row (l = u) is also allowed the round-off of the point (EQUALITY_ROUNDOFF x
      // |z|_inf, z without the multipliers): the pin x_0[1] = 0 of an MPC at the state [1e10, 0] is
      // solved to 1.07e-6 (1e-16 x the state), beside x_0[0] = 1e10 and multipliers of 1e11, and
      // the exact set was refused for it (the answer came from the interior-point method instead,
      // u_0 = -1.0107 against bounds of +-1). An inconsistent set misses by far more than round-off.
      const { az, tol, n, sol } = this;
      let zMax = 0;
      for (let j = 0; j < n; j++) zMax = Math.max(zMax, Math.abs(sol[j]));
      const eqSlack = EQUALITY_ROUNDOFF * zMax;
      for (let i = 0; i < m; i++) {
        const slack = l[i] === u[i] ? eqSlack : 0;
        if (az[i] > u[i] + slack + tol * Math.max(1, Math.abs(u[i])) || az[i] < l[i] - slack - tol * Math.max(1, Math.abs(l[i]))) {
          status = "not_converged";
          break;
        }
      }
    }
    if (status === "solved") {
      // stationarity and the working set's equations once more against P and A themselves (the
      // refinement's residuals come from the factored values): an error in assembling the KKT
      // matrix cannot verify itself. The final set is the factored one (kkt's rows), rhs its data.
      const { n, rhs, sol, res } = this;
      this.kkt.mul(pValues, aValues, sol, res);
      let norm = 0, scale = 1;
      for (let k = 0; k < n + m; k++) {
        norm = Math.max(norm, Math.abs(rhs[k] - res[k]));
        scale = Math.max(scale, Math.abs(rhs[k]), Math.abs(sol[k]));
      }
      this.residual = norm;
      if (!(norm <= 1e-10 * scale)) status = "not_converged";
    }
    if (status === "solved") {
      // the final set's KKT matrix must have the inertia of a strict local minimizer (see the header)
      const pos = this.kkt.positivePivots;
      const neg = this.kkt.negativePivots;
      if (pos !== this.n || neg !== m) {
        status = "non_convex";
        this.message = `the KKT matrix of the final working set has inertia (${pos}, ${neg}) instead of (${this.n}, ${m}): the reduced Hessian is not positive definite`;
      }
    }
    if (status === "solved") {
      const { n, sol, x, y } = this;
      x.set(sol.subarray(0, n));
      for (let i = 0; i < m; i++) {
        let v = active[i] === 0 ? 0 : sol[n + i];
        // a multiplier of the wrong sign within the tolerance is a weakly active row: 0
        if (l[i] !== u[i]) v = active[i] < 0 ? Math.min(v, 0) : Math.max(v, 0);
        y[i] = v;
      }
      if (this.homotopy) {
        // the next solve's homotopy anchor: this solution and its data
        this.hAz.set(this.az);
        this.hY.set(y);
        for (let i = 0; i < m; i++) {
          this.hL[i] = l[i];
          this.hU[i] = u[i];
        }
        this.hSet.set(active);
        this.hValid = true;
      }
    }
    return status;
  }

  /** Factors (or, when `bordered`, borders the last factorization: schur.ts) and solves the working
   *  set's KKT system with refinement: true when the residual is at round-off (a bordered set:
   *  within BORDERED_TOL), false when refinement stalls above it (a singular working set), null when
   *  the factorization fails or the point is not finite. A bordered solve that is not true is
   *  repeated with a factorization. */
  private solveWorkingSet(
    pValues: ArrayLike<number>,
    q: ArrayLike<number>,
    aValues: ArrayLike<number>,
    l: ArrayLike<number>,
    u: ArrayLike<number>,
    active: Int8Array,
    bordered: boolean,
  ): boolean | null {
    const { n, m, kkt, rhs, sol, res, delta } = this;
    const N = n + m;
    let schur: SchurKkt | undefined;
    if (bordered && this.schurCap !== 0) {
      if (this.schur === undefined) {
        // the last factorization is this solve's (its first sets are always factored)
        this.schur = new SchurKkt(kkt, this.schurCap);
        this.schur.rebase(aValues);
      }
      if (this.schur.update(active)) schur = this.schur;
    }
    this.lastViaSchur = schur !== undefined;
    if (schur === undefined) {
      this.factorizations++;
      if (!kkt.factor(pValues, aValues, active, delta)) return null;
      this.schur?.rebase(aValues);
    } else this.schurSets++;
    let scale = 1;
    for (let j = 0; j < n; j++) {
      rhs[j] = -q[j];
      scale = Math.max(scale, Math.abs(q[j]));
    }
    for (let i = 0; i < m; i++) {
      const b = active[i] === 0 ? 0 : active[i] < 0 ? l[i] : u[i];
      rhs[n + i] = b;
      scale = Math.max(scale, Math.abs(b));
    }
    // iterative refinement against the unregularized matrix, to round-off relative to the data and
    // the solution (1e-13 max(scale, |sol|)), until it stalls, or maxRefine corrections. A bordered
    // set is never final (the final set is factored and refined again), so its point only steers
    // the walk: it is refined only until its residual is within BORDERED_TOL of the point, usually
    // not at all (bench:scale's act loop at N = 160, 6 x 150 steps: the same 13170 sets, 23% less
    // time in solve)
    let norm: number;
    let target: number;
    if (schur !== undefined) {
      sol.set(rhs);
      schur.solve(sol);
      let pointScale = scale;
      for (let k = 0; k < N; k++) {
        const a = Math.abs(sol[k]);
        if (a > pointScale) pointScale = a;
      }
      target = 1e-13 * pointScale;
      norm = schur.refine(pValues, aValues, active, rhs, sol, res, this.maxRefine, 0, BORDERED_TOL * pointScale, 0.5);
      this.lastCorrection = schur.lastCorrection;
    } else {
      // the solve and each refinement step on the factored matrix (in WebAssembly where available)
      norm = kkt.solveRefined(rhs, sol, this.maxRefine, 0, 1e-13 * scale, 1e-13, 0.5);
      target = kkt.lastTolerance;
      this.lastCorrection = kkt.lastCorrection;
    }
    let solScale = scale;
    for (let k = 0; k < N; k++) {
      const a = Math.abs(sol[k]);
      if (!(a < Infinity)) return schur !== undefined ? this.solveWorkingSet(pValues, q, aValues, l, u, active, false) : null;
      if (a > solScale) solScale = a;
    }
    this.residual = norm;
    // A singular set with a right-hand side outside the range: the regularized solution is
    // ~ (v'rhs / delta) v for a null vector v, its residual delta*v'rhs does not shrink, and each
    // refinement step adds another ~ (v'rhs / delta) v. Such a point must not be accepted as the
    // solution (checked when the set would be final; as an intermediate set its huge point only
    // shows which rows to add, as before).
    this.singular = norm > target && this.lastCorrection >= 0.1 * solScale;
    const converged = norm <= (schur !== undefined ? BORDERED_TOL : 1e-10) * solScale;
    // the bordered solve's accuracy check: its residual against the set's own matrix (BORDERED_TOL)
    if (schur !== undefined && !converged) return this.solveWorkingSet(pValues, q, aValues, l, u, active, false);
    return converged;
  }

  /**
   * After a singular working set that no row blocks: whether the x part d of the regularized
   * point (which grows like 1/delta along the zero-curvature direction) certifies that the QP is
   * unbounded below: ||P d|| <= eps ||P||, q'd < -eps ||q||, and for every row (A d)_i <= eps ||A||
   * if u_i is finite, >= -eps ||A|| if l_i is finite (d scaled to ||d||_inf = 1, eps = 1e-6).
   * Allocates nothing (uses the residual buffers).
   */
  private unboundedDirection(pValues: ArrayLike<number>, q: ArrayLike<number>, aValues: ArrayLike<number>, l: ArrayLike<number>, u: ArrayLike<number>): boolean {
    const { n, m, sol, P, A } = this;
    let dmax = 0;
    for (let j = 0; j < n; j++) dmax = Math.max(dmax, Math.abs(sol[j]));
    if (!(dmax > 0 && dmax < Infinity)) return false;
    const eps = 1e-6;
    let pmax = 0, amax = 0, qmax = 0, qd = 0;
    for (let k = 0; k < pValues.length; k++) pmax = Math.max(pmax, Math.abs(pValues[k]));
    for (let k = 0; k < aValues.length; k++) amax = Math.max(amax, Math.abs(aValues[k]));
    for (let j = 0; j < n; j++) {
      qmax = Math.max(qmax, Math.abs(q[j]));
      qd += q[j] * (sol[j] / dmax);
    }
    if (!(qd < -eps * qmax)) return false;
    // P d (symmetric from its upper triangle) into res[0..n), A d into az
    const pd = this.res;
    const ad = this.az;
    pd.fill(0);
    ad.fill(0);
    for (let j = 0; j < n; j++) {
      const dj = sol[j] / dmax;
      for (let p = P.colPtr[j]; p < P.colPtr[j + 1]; p++) {
        const i = P.rowIdx[p];
        pd[i] += pValues[p] * dj;
        if (i !== j) pd[j] += (pValues[p] * sol[i]) / dmax;
      }
      for (let p = A.colPtr[j]; p < A.colPtr[j + 1]; p++) ad[A.rowIdx[p]] += aValues[p] * dj;
    }
    for (let j = 0; j < n; j++) if (!(Math.abs(pd[j]) <= eps * pmax)) return false;
    for (let i = 0; i < m; i++) {
      if (u[i] < Infinity && !(ad[i] <= eps * amax)) return false;
      if (l[i] > -Infinity && !(ad[i] >= -eps * amax)) return false;
    }
    return true;
  }

  /** Row added by the last single correction (-1: none). */
  private lastAdded = -1;
  /** Side (+1 above u, -1 below l) of the row last measured by violationOf. */
  private violatedSide: ActiveFlag = 1;

  /** How far row i's az lies outside [l_i, u_i], relative to max(1, |bound|) (<= 0 inside); its side in violatedSide. */
  private violationOf(i: number, l: ArrayLike<number>, u: ArrayLike<number>): number {
    const v = this.az[i];
    const over = u[i] < Infinity ? (v - u[i]) / Math.max(1, Math.abs(u[i])) : -Infinity;
    const under = l[i] > -Infinity ? (l[i] - v) / Math.max(1, Math.abs(l[i])) : -Infinity;
    this.violatedSide = over > this.tol ? 1 : -1;
    return Math.max(over, under);
  }

  /** The inactive row violated by at least `min` (and the tolerance) with the smallest rowOrder
   *  (ties: the first); reads az from correct(). */
  private earliestViolated(l: ArrayLike<number>, u: ArrayLike<number>, active: Int8Array, min: number): number {
    const order = this.rowOrder!;
    let best = -1;
    for (let i = 0; i < this.m; i++) {
      if (active[i] !== 0 || l[i] === u[i] || (best >= 0 && order[i] >= order[best])) continue;
      const w = this.violationOf(i, l, u);
      if (w > this.tol && w >= min) best = i;
    }
    return best;
  }

  /** The active inequality row (not the last added) with the largest multiplier, if it dominates; else -1. */
  private dependentRow(l: ArrayLike<number>, u: ArrayLike<number>, active: Int8Array): number {
    const { n, m, sol } = this;
    let best = -1;
    let bestAbs = 0;
    let eqMax = 1;
    for (let i = 0; i < m; i++) {
      if (active[i] === 0) continue;
      const a = Math.abs(sol[n + i]);
      if (l[i] === u[i]) {
        if (a > eqMax) eqMax = a;
        continue;
      }
      if (i === this.lastAdded || this.tabu[i]) continue;
      if (a > bestAbs) {
        bestAbs = a;
        best = i;
      }
    }
    return best >= 0 && bestAbs > 1e-3 * eqMax ? best : -1;
  }

  /**
   * Correction of the working set at the current point: all violations at once (the primal-dual
   * active set step) when `all` and there are at least `blockMin` of them (or `force`), else only
   * one (the most violated inactive row, or with `rowOrder` the earliest of those violated by at
   * least half the worst; else the most wrong-sign multiplier), which does not cycle on the
   * near-correct sets of a closed loop. Returns the number of violations found (0: the KKT
   * conditions hold within tolerance); `lastWasBlock` says which it did.
   */
  private correct(aValues: ArrayLike<number>, l: ArrayLike<number>, u: ArrayLike<number>, active: Int8Array, converged: boolean, all: boolean, force = false): number {
    const { n, m, sol, az } = this;
    const ac = this.A.colPtr, ar = this.A.rowIdx;
    az.fill(0);
    for (let j = 0; j < n; j++) {
      const zj = sol[j];
      for (let p = ac[j], end = ac[j + 1]; p < end; p++) az[ar[p]] += aValues[p] * zj;
    }
    let yScale = 1;
    for (let i = 0; i < m; i++) if (active[i] !== 0) yScale = Math.max(yScale, Math.abs(sol[n + i]));
    const dualTol = this.tol * yScale;
    let changes = 0;
    let addRow = -1, addWorst = 0;
    let dropRow = -1, dropWorst = 0;
    // pass 1: count the violations, find the worst of each kind; pass 2 (a block step) changes them all
    for (let pass = 0; pass < 2; pass++) {
      const apply = pass === 1;
      for (let i = 0; i < m; i++) {
        const a = active[i];
        if (l[i] === u[i]) continue;
        if (a === 0) {
          const worst = this.violationOf(i, l, u);
          if (worst > this.tol) {
            if (apply) active[i] = this.violatedSide;
            else {
              changes++;
              if (worst > addWorst) {
                addWorst = worst;
                addRow = i;
              }
            }
          }
        } else if (converged) {
          const yi = sol[n + i];
          const wrong = a > 0 ? -yi : yi;
          if (wrong > dualTol) {
            if (apply) active[i] = 0;
            else {
              changes++;
              if (wrong > dropWorst) {
                dropWorst = wrong;
                dropRow = i;
              }
            }
          }
        }
      }
      if (pass === 0) {
        this.lastWasBlock = all && (force || changes >= this.blockMin);
        if (!this.lastWasBlock) break;
      }
    }
    // the homotopy's ratio test, else (no row qualifies) the one-row heuristic below
    if (!this.lastWasBlock && this.hOn && changes > 0 && this.homotopyCorrection(l, u, active, converged, dualTol)) return changes;
    if (!this.lastWasBlock) {
      if (addRow >= 0 && this.rowOrder !== undefined) addRow = this.earliestViolated(l, u, active, 0.5 * addWorst);
      this.lastAdded = addRow;
      if (addRow >= 0) {
        this.violationOf(addRow, l, u);
        active[addRow] = this.violatedSide;
      } else if (dropRow >= 0) active[dropRow] = 0;
    }
    return changes;
  }

  /**
   * One-row correction by a ratio test along the homotopy from the last solution (the parametric
   * active-set strategy of Best 1996, "An algorithm for the solution of the parametric quadratic
   * programming problem", and Ferreau, Bock & Diehl 2008, "An online active set strategy to overcome
   * the limitations of explicit MPC", Int. J. Robust Nonlinear Control 18(8)): the data move from
   * the last solve's (t = 0, where the anchor is the exact solution) to this solve's (t = 1). For
   * the current working set, the point at t = 1 is the set's solution just computed; between the
   * anchor and it the path is taken as the straight line (exact when only q, l and u move; the
   * first-order path when P and A do), so the first condition to fail along it is the inactive
   * row whose slack, or the active row whose multiplier, reaches 0 first: s = g_k / (g_k - g_1).
   * That row is changed and the anchor moves to the breakpoint. Only the choice of the row comes
   * from the path; every set is still solved at t = 1 and accepted by the KKT conditions there.
   * Reads az and sol of the current set.
   */
  private homotopyCorrection(l: ArrayLike<number>, u: ArrayLike<number>, active: Int8Array, converged: boolean, dualTol: number): boolean {
    const { n, m, sol, az, hAz, hY, hL, hU, tol } = this;
    let best = -1;
    let bestS = Infinity;
    let bestW = 0;
    let bestSide: ActiveFlag = 0;
    for (let i = 0; i < m; i++) {
      if (l[i] === u[i]) continue;
      const a = active[i];
      let s: number;
      let w: number;
      let side: ActiveFlag = 0;
      if (a === 0) {
        w = this.violationOf(i, l, u);
        if (!(w > tol)) continue;
        side = this.violatedSide;
        // the slack on the violated side: >= 0 at the anchor (up to the path's linearization), < 0 at t = 1
        const gk = Math.max(0, side > 0 ? hU[i] - hAz[i] : hAz[i] - hL[i]);
        const g1 = side > 0 ? u[i] - az[i] : az[i] - l[i];
        // a side that was unbounded at the anchor (infinite slack) fails at the end of the path
        s = gk < Infinity ? gk / (gk - g1) : 1;
      } else {
        if (!converged) continue;
        // the multiplier in its right sign: >= 0 at the anchor, < 0 at t = 1
        const y1 = a > 0 ? sol[n + i] : -sol[n + i];
        if (!(-y1 > dualTol)) continue;
        w = -y1;
        const yk = Math.max(0, a > 0 ? hY[i] : -hY[i]);
        s = yk < Infinity ? yk / (yk - y1) : 1;
      }
      if (s < bestS || (s === bestS && w > bestW)) {
        best = i;
        bestS = s;
        bestW = w;
        bestSide = side;
      }
    }
    if (best < 0) return false;
    this.homotopySteps++;
    const s = Math.min(1, Math.max(0, bestS));
    for (let i = 0; i < m; i++) {
      hAz[i] += s * (az[i] - hAz[i]);
      // a bound that is infinite at either end is taken as it is now (no interpolation to infinity)
      if (hL[i] !== l[i]) hL[i] = l[i] > -Infinity && hL[i] > -Infinity ? hL[i] + s * (l[i] - hL[i]) : l[i];
      if (hU[i] !== u[i]) hU[i] = u[i] < Infinity && hU[i] < Infinity ? hU[i] + s * (u[i] - hU[i]) : u[i];
      hY[i] += s * ((active[i] !== 0 ? sol[n + i] : 0) - hY[i]);
    }
    hY[best] = 0;
    if (active[best] === 0) {
      active[best] = bestSide;
      this.lastAdded = best;
    } else {
      active[best] = 0;
      this.lastAdded = -1;
    }
    return true;
  }
}
