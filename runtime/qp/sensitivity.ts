// Derivatives of the solution (z, y) of   minimize 0.5 z'Pz + q'z  s.t.  l <= Az <= u
// with respect to the data (P, q, A, l, u), in forward (directional) and reverse (adjoint) mode.
//
// At a solution with active set S (b_i = l_i or u_i per active row), the KKT conditions
//     P z + q + A_S' y_S = 0,   A_S z = b_S,   y_i = 0 (i not in S)
// are differentiated (Amos & Kolter 2017, OptNet, eq. 6; OSQP 1.0 derivative API):
//     [[P, A_S'], [A_S, 0]] [dz; dy_S] = -[dP z + dq + dA_S' y_S;  dA_S z - db_S],   dy_i = 0 off S.
// The matrix is symmetric, so reverse mode solves the same system: with w = K^{-1} [gz; gy_S],
//     dL/dq = -w_z,  dL/db_S = w_y,  dL/dP_ij = -(w_z,i z_j + w_z,j z_i) for a stored off-diagonal
//     entry (it stands for P_ij and P_ji), -w_z,i z_i on the diagonal,
//     dL/dA_ij = -(y_S,i w_z,j + w_y,i z_j) on active rows, 0 on inactive ones.
// K is equilibrated (symmetric Ruiz scaling D), regularized into the quasi-definite matrix
// D K D + delta diag(I, -I) and factored once (sparse LDL'); every solve is corrected by iterative
// refinement against the unregularized K, as OSQP's polishing and derivative code do. Singularity
// of K is detected by inverse iteration: |(D K D + delta..)^-1| near 1/delta means K is singular.
// The factorization is kkt.ts's `ActiveKkt` (the one KKT layer of runtime/qp). A caller that has
// already factored the KKT matrix of this very active set (the MPC controller's ActiveSetQp) may
// hand it to `update`: it is adopted when it matches entry by entry (same P, A values and active
// rows, inertia (n, m)) and is clearly nonsingular; otherwise the own, equilibrated one is made.
// An adopted factorization refactored by its owner before forward/adjoint is noticed (`version`)
// and the analysis redone with the own one.
//
// A caller whose (z, y) is an exact solution of its active set (an active-set solver's answer: y is
// exact to round-off, 0 on inactive rows) says so (`exact`): a multiplier is then measured against
// its own row's scale, not against the largest multiplier of the problem (sensitivity_active_set.ts).
// At a weakly active row the solution map has a kink; `selectPiece` refactors the KKT matrix with a
// chosen subset of the weak rows (and rows dependent with them) active, so a caller can compare the
// one-sided derivatives of the outputs it needs (the MPC controller: u_0, often the same on every
// piece).
//
// Errors: the constructor throws TypeError only for programming errors (array lengths, a P that is
// not upper triangular). Numerical trouble is a status, never an exception:
//   "ok"                 strict complementarity holds and K is nonsingular: derivatives exist.
//   "not_differentiable" the solution map has a kink here; the returned derivative is one-sided.
//                        Either a row is weakly active (on its bound with a zero multiplier): by
//                        default such rows are treated as inactive (the derivative for perturbations
//                        that move the row into its interior), or as active with
//                        `weaklyActive: "active"`. Or active rows are linearly dependent (multipliers
//                        not unique, e.g. a bound on x_0 when x0 sits on it): K is singular, so
//                        dependent rows are left out one by one (the null vector of K gives the
//                        dependency; a ratio test picks the row whose multiplier can be moved to the
//                        others keeping every sign valid): the derivative is then right for
//                        perturbations that keep the dropped rows satisfied.
//   "singular"           K is (numerically) singular and that could not be resolved: P is singular
//                        on the null space of the active rows, P is not positive semidefinite, or a
//                        dependency admits no sign-valid multiplier shift. Forward and adjoint still
//                        return the solution of the regularized system (finite, but not a derivative
//                        for perturbations that break the dependency).
//   "not_solved"         (z, y) is not a solution (non-finite, or KKT residuals above
//                        `optimalityTol`): forward/adjoint throw an Error if called.

import type { Csc } from "../sparse/csc.js";
import { ActiveKkt, samePattern } from "./kkt.js";
import type { QpProblem } from "./types.js";
import {
  classifyRows,
  INFINITE_BOUND,
  ROW_EQUALITY,
  ROW_INACTIVE,
  ROW_LOWER,
  ROW_UPPER,
  type WeaklyActiveChoice,
} from "./sensitivity_active_set.js";

export { ROW_EQUALITY, ROW_INACTIVE, ROW_LOWER, ROW_UPPER, type WeaklyActiveChoice } from "./sensitivity_active_set.js";

export type SensitivityStatus = "ok" | "not_differentiable" | "singular" | "not_solved";

export interface ActiveSetOptions {
  /** Relative activity tolerance (equality rows, weak activity). Default 1e-6. */
  tol?: number;
  /** Weakly active rows are treated as this (one-sided derivative). Default "inactive". */
  weaklyActive?: WeaklyActiveChoice;
  /** Relative KKT residual above which (z, y) is "not_solved". Default 1e-3. */
  optimalityTol?: number;
  /** Regularization delta of the equilibrated KKT matrix (entries of size about 1). Default 1e-9. */
  regularization?: number;
  /** Maximum iterative-refinement steps per solve. Default 5. */
  refineIter?: number;
  /**
   * At most this many linearly dependent active rows are left out of the KKT system (status
   * "not_differentiable") before the point is reported "singular". 0 reports every dependency as
   * "singular". Default 10.
   */
  maxDependentDrops?: number;
}

export interface ForwardDirection {
  dP?: ArrayLike<number>;
  dq?: ArrayLike<number>;
  dA?: ArrayLike<number>;
  dl?: ArrayLike<number>;
  du?: ArrayLike<number>;
}

export interface ForwardResult {
  dz: Float64Array;
  dy: Float64Array;
}

export interface AdjointResult {
  dP: Float64Array;
  dq: Float64Array;
  dA: Float64Array;
  dl: Float64Array;
  du: Float64Array;
}

/** A ||K_delta^{-1}|| estimate at or above this fraction of 1/delta means K itself is singular. */
const SINGULAR_FRACTION = 1e-2;
/** Reasons (negative) returned by dependentRowToDrop. */
const NOT_UNIQUE_PRIMAL = -1;
const NO_VALID_SHIFT = -2;
const TOO_MANY = -3;
/** An adopted (unequilibrated) factorization is used only when |K_delta^-1| * delta is below this:
 *  clearly nonsingular, 100 times inside the singularity test; otherwise the own analysis decides. */
const ADOPT_FRACTION = 1e-4;

function checkLength(a: ArrayLike<number> | undefined, len: number, name: string): void {
  if (a !== undefined && a.length !== len) {
    throw new TypeError(`${name} has length ${a.length}, expected ${len}`);
  }
}

function maxAbs(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s = Math.max(s, Math.abs(a[i]));
  return s;
}

/**
 * Derivatives of one QP solution. Typical use in a controller (keep one object, update per step):
 *
 *   const sens = new QpSensitivity(problem, res.x, res.y);      // or sens.update(problem, x, y)
 *   if (sens.status === "ok") {
 *     // d u0 / d theta_k, one solve per parameter direction (the factorization is shared):
 *     const { dz } = sens.forward({ dq: dqDtheta_k, dA: dADtheta_k, dl: dlDtheta_k, du: dudtheta_k }, out);
 *     // or, with fewer outputs than parameters, one solve per output j (reverse mode):
 *     const g = sens.adjoint(unitVectorAt(u0Index + j));         // then chain g.dP/dq/dA/dl/du to theta
 *   }
 */
export class QpSensitivity {
  private problem!: QpProblem;
  /** The own (equilibrated) factorization, and the one in use (the own or an adopted one). */
  private own!: ActiveKkt;
  private fac!: ActiveKkt;
  private facVersion = 0;
  private adoptedValue = false;
  private yIn = new Float64Array(0);
  private readonly opts: Required<ActiveSetOptions>;
  private statusValue: SensitivityStatus = "not_solved";
  private messageValue = "";
  private factoredOk = false;
  private delta = 0;
  private kScale = 1;
  private weakCount = 0;
  private activeCountValue = 0;
  private primalRes = NaN;
  private dualRes = NaN;
  // solution, masked multipliers y_S, row states
  private z = new Float64Array(0);
  private yS = new Float64Array(0);
  private state = new Int8Array(0);
  private weak = new Uint8Array(0);
  private dependent = new Uint8Array(0);
  private dependentCountValue = 0;
  private s = new Float64Array(0); // A z
  /** Per row, the scale of its multiplier (classifyRows' rowScale) when the point is exact. */
  private rowScale = new Float64Array(0);
  /** The analysed row states (`selectPiece` changes `state`; `restorePiece` goes back). */
  private base = new Int8Array(0);
  // work arrays (length n + m)
  private rhs = new Float64Array(0);
  private sol = new Float64Array(0);
  private res = new Float64Array(0);
  private corr = new Float64Array(0);

  /** `factorization`, `exact`: as in `update`. */
  constructor(problem: QpProblem, z: ArrayLike<number>, y: ArrayLike<number>, options: ActiveSetOptions = {}, factorization?: ActiveKkt, exact = false) {
    this.opts = {
      tol: options.tol ?? 1e-6,
      weaklyActive: options.weaklyActive ?? "inactive",
      optimalityTol: options.optimalityTol ?? 1e-3,
      regularization: options.regularization ?? 1e-9,
      refineIter: options.refineIter ?? 5,
      maxDependentDrops: options.maxDependentDrops ?? 10,
    };
    this.update(problem, z, y, factorization, exact);
  }

  /** Status of the last analysis (see the header of this file). */
  get status(): SensitivityStatus {
    return this.statusValue;
  }
  /** Why the status is not "ok" ("" when it is). */
  get message(): string {
    return this.messageValue;
  }
  /** Per row: ROW_INACTIVE, ROW_LOWER, ROW_UPPER or ROW_EQUALITY (a view; do not modify). */
  get rowState(): Int8Array {
    return this.state;
  }
  /** Per row: 1 where the row is weakly active (a view; do not modify). */
  get weaklyActiveRows(): Uint8Array {
    return this.weak;
  }
  get activeCount(): number {
    return this.activeCountValue;
  }
  get weaklyActiveCount(): number {
    return this.weakCount;
  }
  /** Per row: 1 where an active row was left out as linearly dependent (a view; do not modify). */
  get dependentRows(): Uint8Array {
    return this.dependent;
  }
  get dependentCount(): number {
    return this.dependentCountValue;
  }
  /** The multipliers used for the derivative: y on the active rows (moved off dropped rows), 0 elsewhere. */
  get activeMultipliers(): Float64Array {
    return this.yS;
  }
  /** Relative primal residual max dist(Az, [l, u]) / (1 + |Az|_inf) at the analysed point. */
  get primalResidual(): number {
    return this.primalRes;
  }
  /** Relative dual residual |Pz + q + A'y|_inf / (1 + max(|Pz|, |q|, |A'y|)). */
  get dualResidual(): number {
    return this.dualRes;
  }
  /** Whether the last analysis uses a caller's factorization (no factorization of its own). */
  get adopted(): boolean {
    return this.adoptedValue;
  }
  /** Factorizations made by this object's own KKT factorization since construction. */
  get factorizations(): number {
    return this.own === undefined ? 0 : this.own.version;
  }

  /**
   * Re-analyse at a new solution, possibly of a new problem. When P's and A's patterns are those
   * of the previous problem, the KKT pattern, ordering and symbolic factorization are reused
   * (keep one object per controller and call this every step). forward/adjoint read the problem's
   * arrays again: keep them unchanged until the next update.
   *
   * `factorization`: the caller's factorization of this problem's KKT matrix at this point's
   * active set (e.g. `ActiveSetQp.kkt` right after a "solved" solve), adopted instead of factoring
   * when it matches (see the header); results equal those of the own factorization to round-off.
   *
   * `exact`: (z, y) is an exact solution of its active set (an active-set solver's answer), so each
   * multiplier is accurate to round-off and is judged negligible (a weakly active row) against its
   * own row's scale rather than against the largest multiplier (sensitivity_active_set.ts
   * `classifyRows`). Default false: multipliers of an iterative solver (ADMM, interior point) carry
   * errors relative to the largest one.
   */
  update(problem: QpProblem, z: ArrayLike<number>, y: ArrayLike<number>, factorization?: ActiveKkt, exact = false): SensitivityStatus {
    const { n, m } = problem;
    if (problem.P.rows !== n || problem.P.cols !== n) throw new TypeError(`P must be ${n} x ${n}`);
    if (problem.A.rows !== m || problem.A.cols !== n) throw new TypeError(`A must be ${m} x ${n}`);
    checkLength(problem.q, n, "q");
    checkLength(problem.l, m, "l");
    checkLength(problem.u, m, "u");
    checkLength(z, n, "z");
    checkLength(y, m, "y");
    checkLength(problem.P.values, problem.P.colPtr[n], "P.values");
    checkLength(problem.A.values, problem.A.colPtr[n], "A.values");
    const reuse =
      this.own !== undefined &&
      this.own.n === n &&
      this.own.m === m &&
      samePattern(this.problem.P, problem.P) &&
      samePattern(this.problem.A, problem.A);
    if (!reuse) {
      // the pattern and its ordering are cached per pattern (kkt.ts), shared with the solvers
      this.own = new ActiveKkt(problem.P, problem.A);
      this.yIn = new Float64Array(m);
      this.z = new Float64Array(n);
      this.yS = new Float64Array(m);
      this.state = new Int8Array(m);
      this.weak = new Uint8Array(m);
      this.dependent = new Uint8Array(m);
      this.s = new Float64Array(m);
      this.rowScale = new Float64Array(m);
      this.base = new Int8Array(m);
      this.rhs = new Float64Array(n + m);
      this.sol = new Float64Array(n + m);
      this.res = new Float64Array(n + m);
      this.corr = new Float64Array(n + m);
    }
    this.problem = problem;
    this.resetRows();
    this.exact = exact;
    return (this.statusValue = this.analyse(z, y, factorization));
  }

  /** Whether the analysed point was declared exact (`update`). */
  private exact = false;

  /** Clears the row classification before a new analysis. */
  private resetRows(): void {
    this.factoredOk = false;
    this.messageValue = "";
    this.weakCount = 0;
    this.activeCountValue = 0;
    this.state.fill(ROW_INACTIVE);
    this.weak.fill(0);
    this.dependent.fill(0);
    this.dependentCountValue = 0;
    this.yS.fill(0);
    this.fac = this.own;
    this.adoptedValue = false;
  }

  private fail(status: SensitivityStatus, message: string): SensitivityStatus {
    this.messageValue = message;
    return status;
  }

  private analyse(zIn: ArrayLike<number>, yArg: ArrayLike<number>, factorization: ActiveKkt | undefined): SensitivityStatus {
    const { n, m, P, A, q, l, u } = this.problem;
    const { z, s, yS, state, weak, opts } = this;
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(zIn[j])) return this.fail("not_solved", `z[${j}] is not finite`);
      z[j] = zIn[j];
    }
    const yIn = this.yIn;
    for (let i = 0; i < m; i++) {
      if (!Number.isFinite(yArg[i])) return this.fail("not_solved", `y[${i}] is not finite`);
      yIn[i] = yArg[i];
    }
    if (!allFinite(P.values) || !allFinite(A.values) || !allFinite(q)) {
      return this.fail("not_solved", "P, A or q holds a non-finite value");
    }
    for (let i = 0; i < m; i++) {
      if (!(l[i] <= u[i])) return this.fail("not_solved", `row ${i} has bounds l = ${l[i]} > u = ${u[i]} (or NaN)`);
    }
    // KKT residuals of the given point (unmasked y).
    const dualVec = this.res; // n entries used: P z + q + A' y
    symUpperMul(P, z, dualVec);
    const pzMax = maxAbsN(dualVec, n);
    const aty = this.corr;
    aty.fill(0, 0, n);
    s.fill(0);
    for (let j = 0; j < n; j++) {
      for (let k = A.colPtr[j]; k < A.colPtr[j + 1]; k++) {
        const i = A.rowIdx[k];
        s[i] += A.values[k] * z[j];
        aty[j] += A.values[k] * yIn[i];
      }
    }
    const atyMax = maxAbsN(aty, n);
    let dual = 0;
    for (let j = 0; j < n; j++) dual = Math.max(dual, Math.abs(dualVec[j] + q[j] + aty[j]));
    let primal = 0;
    for (let i = 0; i < m; i++) primal = Math.max(primal, l[i] - s[i], s[i] - u[i]);
    this.primalRes = primal / (1 + maxAbs(s));
    this.dualRes = dual / (1 + Math.max(pzMax, maxAbs(q), atyMax));
    if (this.primalRes > opts.optimalityTol || this.dualRes > opts.optimalityTol) {
      return this.fail(
        "not_solved",
        `(z, y) is not a solution: relative primal residual ${this.primalRes.toExponential(2)}, dual residual ${this.dualRes.toExponential(2)} (tolerance ${opts.optimalityTol})`,
      );
    }
    let rowScale: Float64Array | undefined;
    if (this.exact) {
      // each column's largest stationarity term (|P_jk z_k|, |q_j|, |A_ij y_i|), then per row
      // min_j of that over |A_ij|: the size of a multiplier that matters in some column of the row
      const col = this.corr;
      for (let j = 0; j < n; j++) col[j] = Math.abs(q[j]);
      for (let j = 0; j < n; j++) {
        for (let k = P.colPtr[j]; k < P.colPtr[j + 1]; k++) {
          const i = P.rowIdx[k];
          col[i] = Math.max(col[i], Math.abs(P.values[k] * z[j]));
          if (i !== j) col[j] = Math.max(col[j], Math.abs(P.values[k] * z[i]));
        }
        for (let k = A.colPtr[j]; k < A.colPtr[j + 1]; k++) col[j] = Math.max(col[j], Math.abs(A.values[k] * yIn[A.rowIdx[k]]));
      }
      rowScale = this.rowScale;
      rowScale.fill(Infinity);
      for (let j = 0; j < n; j++) {
        for (let k = A.colPtr[j]; k < A.colPtr[j + 1]; k++) {
          const a = Math.abs(A.values[k]);
          if (a > 0) rowScale[A.rowIdx[k]] = Math.min(rowScale[A.rowIdx[k]], col[j] / a);
        }
      }
    }
    const counts = classifyRows(l, u, s, yIn, opts.tol, opts.weaklyActive, state, weak, rowScale);
    this.activeCountValue = counts.active;
    this.weakCount = counts.weak;
    for (let i = 0; i < m; i++) yS[i] = state[i] === ROW_INACTIVE ? 0 : yIn[i];
    this.kScale = Math.max(1, maxAbs(P.values), maxAbs(A.values));
    // Quasi-definite LDL' without pivoting can lose accuracy when a tiny dual pivot (-delta) is
    // eliminated before its primal neighbours (growth 1/delta); a zero pivot or a wrong inertia is
    // then retried with delta x100, twice, before it is reported.
    let delta = opts.regularization;
    let dropped = 0;
    if (factorization !== undefined && this.adoptable(factorization)) {
      // the caller's factorization of this active set: used when clearly nonsingular
      this.fac = factorization;
      this.facVersion = factorization.version;
      this.delta = factorization.delta;
      this.factoredOk = true;
      if (this.estimateInverseNorm() * factorization.delta < ADOPT_FRACTION) this.adoptedValue = true;
      else this.fac = this.own;
    }
    for (; !this.adoptedValue; ) {
      this.delta = delta;
      const own = this.own;
      const factored = own.factor(P.values, A.values, state, delta, true);
      const inertiaOk = own.inertiaOk;
      if (!inertiaOk) {
        if (delta < opts.regularization * 1e4) {
          delta *= 100;
          continue;
        }
        this.factoredOk = factored;
        return this.fail(
          "singular",
          factored
            ? `the KKT matrix has inertia (${own.positivePivots}, ${own.negativePivots}) instead of (${n}, ${m}): P is not positive semidefinite`
            : "the regularized KKT matrix has a zero pivot",
        );
      }
      this.factoredOk = true;
      const normInv = this.estimateInverseNorm();
      if (normInv * delta < SINGULAR_FRACTION) break;
      // K is singular. Its near-null vector (left in this.sol by the estimate) tells why.
      const row = this.dependentRowToDrop(yIn, dropped < opts.maxDependentDrops);
      if (row < 0) {
        const why =
          row === NOT_UNIQUE_PRIMAL
            ? "P is singular on the null space of the active rows (the primal solution is not unique)"
            : row === NO_VALID_SHIFT
              ? "the active rows are linearly dependent (multipliers not unique) and no row can be left out keeping the multipliers' signs valid"
              : `the active rows are linearly dependent (multipliers not unique) beyond maxDependentDrops = ${opts.maxDependentDrops}`;
        return this.fail("singular", `the reduced KKT matrix is singular (|K^-1| estimate ${normInv.toExponential(2)}): ${why}`);
      }
      // drop the row: it becomes inactive in K (the multipliers were moved off it)
      dropped++;
      state[row] = ROW_INACTIVE;
      this.dependent[row] = 1;
      this.activeCountValue--;
    }
    this.dependentCountValue = dropped;
    this.base.set(state);
    if (dropped > 0 || counts.weak > 0) {
      const parts: string[] = [];
      if (dropped > 0) {
        parts.push(
          `${dropped} active row(s) linearly dependent on the other active rows (multipliers not unique) left out of the KKT system, their multipliers moved to the others: one-sided derivative, valid for perturbations that keep them satisfied`,
        );
      }
      if (counts.weak > 0) {
        parts.push(
          `${counts.weak} weakly active row(s) (on a bound with a zero multiplier): one-sided derivative, weak rows treated as ${opts.weaklyActive}`,
        );
      }
      return this.fail("not_differentiable", parts.join("; "));
    }
    return "ok";
  }

  /**
   * The pieces of a kink (status "not_differentiable" from weakly active rows, no dependent rows
   * left out). Near such a point the active set is the analysed one except on the weakly active
   * rows and on rows linearly dependent with them (their multipliers can move to each other), so
   * the solution map is made of one piece per subset of those rows; a caller compares the
   * derivatives of the outputs it needs on each (`MpcController.policySensitivity`: u_0 only).
   * This makes rows[k] (k < count; inequality rows at or on a bound) active when bit k of `bits` is
   * set (on the side it is analysed active on, else the bound it sits on), inactive otherwise, keeps
   * every other row as analysed, and factors that piece's KKT matrix (the own factorization). True
   * when it is nonsingular: `forward` / `adjoint` then differentiate that piece. False when it is
   * singular (`pieceNullRows` tells which rows its dependency involves) or the point has no pieces.
   * `restorePiece` returns to the analysed one. Allocates nothing.
   */
  selectPiece(rows: ArrayLike<number>, count: number, bits: number): boolean {
    if (this.statusValue !== "not_differentiable" || this.dependentCountValue > 0 || count > 30) return false;
    const { m, l, u } = this.problem;
    const { state, base, s, yS, yIn, opts } = this;
    state.set(base);
    for (let k = 0; k < count; k++) {
      const i = rows[k];
      if (l[i] === u[i]) continue;
      if (((bits >>> k) & 1) === 1) {
        if (base[i] === ROW_INACTIVE) {
          const nearLower = l[i] > -INFINITE_BOUND && Math.abs(s[i] - l[i]) <= opts.tol * Math.max(1, Math.abs(l[i]));
          const nearUpper = u[i] < INFINITE_BOUND && Math.abs(u[i] - s[i]) <= opts.tol * Math.max(1, Math.abs(u[i]));
          state[i] = nearLower && (!nearUpper || Math.abs(s[i] - l[i]) <= Math.abs(u[i] - s[i])) ? ROW_LOWER : ROW_UPPER;
        }
      } else state[i] = ROW_INACTIVE;
    }
    return this.factorPiece(m, state, yS, yIn, opts);
  }

  /** Back to the analysed piece after `selectPiece` (refactored); true when it is nonsingular. */
  restorePiece(): boolean {
    if (this.statusValue !== "not_differentiable" || this.dependentCountValue > 0) return false;
    this.state.set(this.base);
    return this.factorPiece(this.problem.m, this.state, this.yS, this.yIn, this.opts);
  }

  /**
   * After `selectPiece` returned false on a singular piece (else 0): the active inequality rows whose
   * multipliers can be moved to 0 along the piece's near-null vector v (a dependency among its
   * active rows: every y - t v with t in an interval keeps the stationarity) while every active
   * inequality row keeps the sign its side requires (a ratio test both ways, as in
   * `dependentRowToDrop`), written to `out`; returns their number. Such a row may leave the active
   * set next to this point; the others of the dependency keep their multipliers away from 0. Returns
   * 0 when the null vector is primal (P singular on the rows' null space). One null vector only.
   */
  pieceNullRows(out: Int32Array): number {
    if (!this.pieceSingular || !this.nullVectorIsDual()) return 0;
    const { n, m, l, u } = this.problem;
    const { sol: v, state, yS } = this;
    const vy = this.unscaleNullVector();
    let yMax = 0;
    for (let i = 0; i < m; i++) yMax = Math.max(yMax, Math.abs(yS[i]));
    const yTol = this.opts.tol * Math.max(1, yMax) * 1e-3;
    // the interval of t keeping every sign: y_k - t v_k <= 0 on lower-active rows, >= 0 on upper
    let tMin = -Infinity;
    let tMax = Infinity;
    for (let k = 0; k < m; k++) {
      const st = state[k];
      if (st !== ROW_LOWER && st !== ROW_UPPER) continue;
      const vk = v[n + k];
      if (Math.abs(vk) < 1e-3 * vy) continue;
      // lower: t * vk >= y_k - tol; upper: t * vk <= y_k + tol
      const edge = st === ROW_LOWER ? (yS[k] - yTol) / vk : (yS[k] + yTol) / vk;
      if ((st === ROW_LOWER) === vk > 0) tMin = Math.max(tMin, edge);
      else tMax = Math.min(tMax, edge);
    }
    let count = 0;
    for (let i = 0; i < m && count < out.length; i++) {
      const st = state[i];
      if ((st !== ROW_LOWER && st !== ROW_UPPER) || l[i] === u[i]) continue;
      const vi = v[n + i];
      if (Math.abs(vi) < 1e-3 * vy) continue;
      const t = yS[i] / vi;
      if (t >= tMin && t <= tMax) out[count++] = i;
    }
    return count;
  }

  /** Factors the piece in `state` (multipliers y on its active rows), as `analyse` does. */
  private factorPiece(m: number, state: Int8Array, yS: Float64Array, yIn: Float64Array, opts: Required<ActiveSetOptions>): boolean {
    this.pieceSingular = false;
    let active = 0;
    for (let i = 0; i < m; i++) {
      yS[i] = state[i] === ROW_INACTIVE ? 0 : yIn[i];
      if (state[i] !== ROW_INACTIVE) active++;
    }
    this.activeCountValue = active;
    this.fac = this.own;
    this.adoptedValue = false;
    const { P, A } = this.problem;
    for (let delta = opts.regularization; ; delta *= 100) {
      this.delta = delta;
      const factored = this.own.factor(P.values, A.values, state, delta, true);
      if (!this.own.inertiaOk) {
        if (delta < opts.regularization * 1e4) continue;
        this.factoredOk = false;
        return false;
      }
      this.factoredOk = factored;
      // singular: this.sol keeps the near-null vector for pieceNullRows
      this.pieceSingular = !(this.estimateInverseNorm() * delta < SINGULAR_FRACTION);
      return !this.pieceSingular;
    }
  }

  /** Whether the last `selectPiece` factored a singular matrix (its near-null vector in this.sol). */
  private pieceSingular = false;

  /** Whether the caller's factorization is of this problem's KKT matrix at the classified active
   *  set (P, A values and active rows equal, entry by entry) with the inertia (n, m). */
  private adoptable(f: ActiveKkt): boolean {
    const { n, m, P, A } = this.problem;
    if (f.n !== n || f.m !== m || !f.inertiaOk) return false;
    if (!samePattern(f.P, P) || !samePattern(f.A, A)) return false;
    return f.matches(P.values, A.values, this.state);
  }

  /** x = K_delta^{-1} b in the original coordinates: D (D K D + reg)^{-1} D b. In place. */
  private solveScaled(x: Float64Array): void {
    this.fac.solve(x);
  }

  /** Whether the near-null vector v in this.sol (of the scaled matrix D K D: judged in scaled
   *  terms) lives on the active rows' multipliers (a dependency among them) rather than on z (P
   *  singular on the null space of the active rows). */
  private nullVectorIsDual(): boolean {
    const { n, m } = this.problem;
    const { sol: v, state } = this;
    let vz = 0;
    let vy = 0;
    for (let j = 0; j < n; j++) vz = Math.max(vz, Math.abs(v[j]));
    for (let i = 0; i < m; i++) if (state[i] !== ROW_INACTIVE) vy = Math.max(vy, Math.abs(v[n + i]));
    return vy > 0 && !(vz > 1e-6 * vy);
  }

  /** Maps the null vector back to the caller's coordinates (D v, in place); returns its largest
   *  entry on the active rows. */
  private unscaleNullVector(): number {
    const { n, m } = this.problem;
    const { sol: v, state } = this;
    const dScale = this.fac.scaling;
    for (let k = 0; k < n + m; k++) v[k] *= dScale[k];
    let vy = 0;
    for (let i = 0; i < m; i++) if (state[i] !== ROW_INACTIVE) vy = Math.max(vy, Math.abs(v[n + i]));
    return vy;
  }

  /**
   * K is singular and this.sol holds its near-null vector v. When v lives on the multipliers only
   * (A_S' v_y = 0: dependent active rows), every y_S - t v_y is a valid multiplier; pick the row r
   * whose multiplier reaches zero at the smallest |t| = |y_r / v_r| while every other inequality
   * row keeps the sign its side requires (a ratio test, as in the simplex method), move the
   * multipliers to y_S - t v_y and return r. Returns NOT_UNIQUE_PRIMAL when v has a primal part
   * (P singular on the null space of A_S), NO_VALID_SHIFT when no row qualifies, TOO_MANY when
   * `allowed` is false.
   */
  private dependentRowToDrop(yIn: ArrayLike<number>, allowed: boolean): number {
    const { n, m } = this.problem;
    const { sol: v, state, yS } = this;
    if (!this.nullVectorIsDual()) return NOT_UNIQUE_PRIMAL;
    if (!allowed) return TOO_MANY;
    const vy = this.unscaleNullVector();
    let yMax = 0;
    for (let i = 0; i < m; i++) yMax = Math.max(yMax, Math.abs(yIn[i]));
    const yTol = this.opts.tol * Math.max(1, yMax);
    let best = -1;
    let bestT = Infinity;
    let bestEq = true;
    for (let r = 0; r < m; r++) {
      if (state[r] === ROW_INACTIVE || Math.abs(v[n + r]) < 1e-3 * vy) continue;
      const t = yS[r] / v[n + r];
      const isEq = state[r] === ROW_EQUALITY;
      // prefer inequality rows, then the smallest |t|
      const better = best < 0 || (bestEq && !isEq) || (isEq === bestEq && Math.abs(t) < Math.abs(bestT));
      if (!better) continue;
      let feasible = true;
      for (let k = 0; k < m && feasible; k++) {
        const st = state[k];
        if (st === ROW_LOWER) feasible = yS[k] - t * v[n + k] <= yTol;
        else if (st === ROW_UPPER) feasible = yS[k] - t * v[n + k] >= -yTol;
      }
      if (!feasible) continue;
      best = r;
      bestT = t;
      bestEq = isEq;
    }
    if (best < 0) return NO_VALID_SHIFT;
    for (let k = 0; k < m; k++) if (state[k] !== ROW_INACTIVE) yS[k] -= bestT * v[n + k];
    yS[best] = 0;
    return best;
  }

  /**
   * Two steps of inverse power iteration on K_delta from a fixed pseudo-random start: a lower bound
   * of |K_delta^-1|_2, and close to it when K is singular (K_delta then has an eigenvalue of size
   * at most delta, which two steps amplify by 1/delta^2 against at most |K^-1|^2 for the rest).
   */
  private estimateInverseNorm(): number {
    const N = this.sol.length;
    const v = this.sol;
    let seed = 0x2545f491;
    for (let i = 0; i < N; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      v[i] = seed / 4294967296 - 0.5;
    }
    let ratio = 0;
    for (let it = 0; it < 2; it++) {
      const before = norm2(v);
      if (before === 0) return 0;
      for (let i = 0; i < N; i++) v[i] /= before;
      this.fac.solveFactored(v);
      ratio = norm2(v);
      if (!Number.isFinite(ratio)) return Infinity;
    }
    return ratio;
  }

  /** sol = K^{-1} rhs with iterative refinement against the unregularized K. */
  private solveRefined(): void {
    const { rhs, sol, res } = this;
    const { P, A } = this.problem;
    const N = rhs.length;
    sol.set(rhs);
    this.solveScaled(sol);
    // Refine to the roundoff level of K x: until the residual stops halving (relative 1e-16 is
    // below round-off, so the stagnation test decides), at most refineIter corrections. Two
    // factorizations of K (the own equilibrated one, an adopted one) then give the same derivative
    // to round-off times the conditioning, not to the refinement's tolerance.
    const tolAbs = 1e-16 * (1 + maxAbsN(rhs, N) + this.kScale * maxAbsN(sol, N));
    this.fac.refine(P.values, A.values, rhs, sol, res, this.opts.refineIter, 0, tolAbs, 0.5);
  }

  private requireFactor(what: string): void {
    if (this.adoptedValue && this.fac.version !== this.facVersion) {
      // the adopted factorization was refactored by its owner since: analyse again with the own
      this.resetRows();
      this.statusValue = this.analyse(this.z, this.yIn, undefined);
    }
    if (!this.factoredOk) {
      throw new Error(`QpSensitivity.${what}: no derivative at this point (status ${this.statusValue}: ${this.messageValue})`);
    }
  }

  /**
   * Forward mode: the directional derivative (dz, dy) of the solution for the data perturbation d.
   * dP is aligned with P's stored upper pattern (an off-diagonal entry moves P_ij and P_ji), dA with
   * A's pattern. On an equality row (l = u) the bound that moves is chosen by the multiplier's sign
   * (u if y > 0, l if y < 0, their mean if y = 0): with dl = du on such rows, as when the initial
   * state of an MPC moves, the result is exact. Allocates nothing when `out` is given.
   */
  forward(d: ForwardDirection, out?: ForwardResult): ForwardResult {
    this.requireFactor("forward");
    const { n, m, P, A } = this.problem;
    checkLength(d.dP, P.colPtr[n], "dP");
    checkLength(d.dq, n, "dq");
    checkLength(d.dA, A.colPtr[n], "dA");
    checkLength(d.dl, m, "dl");
    checkLength(d.du, m, "du");
    const res = out ?? { dz: new Float64Array(n), dy: new Float64Array(m) };
    checkLength(res.dz, n, "out.dz");
    checkLength(res.dy, m, "out.dy");
    const { rhs, z, yS, state, sol } = this;
    rhs.fill(0);
    // rz = -(dP z + dq + dA' y_S), ry_S = db_S - dA_S z
    if (d.dP !== undefined) {
      const dP = d.dP;
      for (let j = 0; j < n; j++) {
        for (let k = P.colPtr[j]; k < P.colPtr[j + 1]; k++) {
          const i = P.rowIdx[k];
          rhs[i] -= dP[k] * z[j];
          if (i !== j) rhs[j] -= dP[k] * z[i];
        }
      }
    }
    if (d.dq !== undefined) for (let j = 0; j < n; j++) rhs[j] -= d.dq[j];
    if (d.dA !== undefined) {
      const dA = d.dA;
      for (let j = 0; j < n; j++) {
        for (let k = A.colPtr[j]; k < A.colPtr[j + 1]; k++) {
          const i = A.rowIdx[k];
          if (state[i] === ROW_INACTIVE) continue;
          rhs[j] -= dA[k] * yS[i];
          rhs[n + i] -= dA[k] * z[j];
        }
      }
    }
    if (d.dl !== undefined || d.du !== undefined) {
      for (let i = 0; i < m; i++) {
        const st = state[i];
        if (st === ROW_INACTIVE) continue;
        const dli = d.dl === undefined ? 0 : d.dl[i];
        const dui = d.du === undefined ? 0 : d.du[i];
        let db: number;
        if (st === ROW_LOWER) db = dli;
        else if (st === ROW_UPPER) db = dui;
        else db = yS[i] > 0 ? dui : yS[i] < 0 ? dli : 0.5 * (dli + dui);
        rhs[n + i] += db;
      }
    }
    this.solveRefined();
    for (let j = 0; j < n; j++) res.dz[j] = sol[j];
    for (let i = 0; i < m; i++) res.dy[i] = state[i] === ROW_INACTIVE ? 0 : sol[n + i];
    return res;
  }

  /**
   * Reverse mode: given dL/dz (and optionally dL/dy), the gradient of L with respect to the data:
   * dP on P's stored upper pattern (the gradient with respect to the stored entry, which stands for
   * both P_ij and P_ji), dq, dA on A's pattern, dl, du (an equality row's gradient goes to the bound
   * chosen as in `forward`; dl + du is the gradient with respect to their common value).
   * dL/dy on inactive rows has no effect (their multipliers stay 0 under small perturbations).
   * Allocates nothing when `out` is given.
   */
  adjoint(gz: ArrayLike<number>, gy?: ArrayLike<number>, out?: AdjointResult): AdjointResult {
    this.requireFactor("adjoint");
    const { n, m, P, A } = this.problem;
    checkLength(gz, n, "dz");
    checkLength(gy, m, "dy");
    const res = out ?? {
      dP: new Float64Array(P.colPtr[n]),
      dq: new Float64Array(n),
      dA: new Float64Array(A.colPtr[n]),
      dl: new Float64Array(m),
      du: new Float64Array(m),
    };
    checkLength(res.dP, P.colPtr[n], "out.dP");
    checkLength(res.dq, n, "out.dq");
    checkLength(res.dA, A.colPtr[n], "out.dA");
    checkLength(res.dl, m, "out.dl");
    checkLength(res.du, m, "out.du");
    const { rhs, z, yS, state, sol } = this;
    for (let j = 0; j < n; j++) rhs[j] = gz[j];
    for (let i = 0; i < m; i++) rhs[n + i] = gy === undefined || state[i] === ROW_INACTIVE ? 0 : gy[i];
    this.solveRefined();
    // w = sol; inactive rows have w_y = 0 exactly (decoupled, zero right-hand side).
    for (let j = 0; j < n; j++) res.dq[j] = -sol[j];
    for (let j = 0; j < n; j++) {
      for (let k = P.colPtr[j]; k < P.colPtr[j + 1]; k++) {
        const i = P.rowIdx[k];
        res.dP[k] = i === j ? -sol[i] * z[i] : -(sol[i] * z[j] + sol[j] * z[i]);
      }
    }
    for (let j = 0; j < n; j++) {
      for (let k = A.colPtr[j]; k < A.colPtr[j + 1]; k++) {
        const i = A.rowIdx[k];
        res.dA[k] = state[i] === ROW_INACTIVE ? 0 : -(yS[i] * sol[j] + sol[n + i] * z[j]);
      }
    }
    for (let i = 0; i < m; i++) {
      const st = state[i];
      const w = st === ROW_INACTIVE ? 0 : sol[n + i];
      if (st === ROW_LOWER) {
        res.dl[i] = w;
        res.du[i] = 0;
      } else if (st === ROW_UPPER) {
        res.dl[i] = 0;
        res.du[i] = w;
      } else if (st === ROW_EQUALITY) {
        const y = yS[i];
        res.dl[i] = y < 0 ? w : y > 0 ? 0 : 0.5 * w;
        res.du[i] = y > 0 ? w : y < 0 ? 0 : 0.5 * w;
      } else {
        res.dl[i] = 0;
        res.du[i] = 0;
      }
    }
    return res;
  }
}

function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

function maxAbsN(a: Float64Array, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i++) s = Math.max(s, Math.abs(a[i]));
  return s;
}

function norm2(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** out[0..n) = P x[0..n) for P given by its upper triangle. */
function symUpperMul(P: Csc, x: ArrayLike<number>, out: Float64Array): void {
  const n = P.cols;
  out.fill(0, 0, n);
  for (let j = 0; j < n; j++) {
    const xj = x[j];
    let acc = 0;
    for (let k = P.colPtr[j]; k < P.colPtr[j + 1]; k++) {
      const i = P.rowIdx[k];
      const v = P.values[k];
      out[i] += v * xj;
      if (i !== j) acc += v * x[i];
    }
    out[j] += acc;
  }
}
