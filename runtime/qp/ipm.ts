// A primal-dual interior-point method for convex QPs whose cost per iteration is ONE sparse
// factorization on the fixed KKT pattern of runtime/qp/kkt.ts (issue 14: for banded MPC QPs the
// cost per solve is linear in the horizon, and the number of iterations hardly depends on it):
//
//   minimize 0.5 z'Pz + q'z   subject to   l <= Az <= u.
//
// FORMULATION. Each row i is one of: an equality (l_i = u_i; free multiplier y_i), a row with a
// finite lower bound (slack s_l = a_i'z - l_i >= 0, multiplier lambda_l >= 0), one with a finite
// upper bound (s_u = u_i - a_i'z >= 0, lambda_u >= 0), both, or neither (decoupled, y_i = 0).
// The multipliers follow OSQP's / ActiveSetQp's sign convention y_i = lambda_u - lambda_l, and the
// KKT conditions are (Nocedal & Wright, "Numerical Optimization", 2nd ed., eq. 16.54-16.55 with the
// two-sided slacks written out)
//   r_d  = Pz + q + A'y = 0,   r_l = a_i'z - s_l - l_i = 0,   r_u = a_i'z + s_u - u_i = 0,
//   r_eq = a_i'z - b_i = 0,    s_l lambda_l = 0,  s_u lambda_u = 0,  s, lambda >= 0.
//
// NEWTON STEP (N&W eq. 16.58; Wright 1997, "Primal-Dual Interior-Point Methods", ch. 11).
// Linearizing with the complementarity targets rc_l, rc_u (rc = sigma mu e - S Lambda e, minus the
// second-order term for the corrector) and eliminating the slack and multiplier steps:
//   ds_l = a_i'dz + r_l,            dlambda_l = (rc_l - lambda_l ds_l) / s_l,
//   ds_u = -a_i'dz - r_u,           dlambda_u = (rc_u - lambda_u ds_u) / s_u,
//   dy_i = dlambda_u - dlambda_l = D_i a_i'dz + g_i,
//   D_i  = lambda_l/s_l + lambda_u/s_u,
//   g_i  = rc_u/s_u + (lambda_u/s_u) r_u - rc_l/s_l + (lambda_l/s_l) r_l,
// leaves the reduced augmented system (N&W eq. 16.62, the "augmented system" form)
//   [[P, A'], [A, -D^{-1}]] [dz; dy] = [-r_d; -D^{-1} g]   (equality rows: 0 diagonal, rhs -r_eq),
// which is EXACTLY the one KKT pattern of kkt.ts (`kktPatternFor`: every row of A and every
// diagonal entry, its AMD ordering cached per pattern): one symbolic analysis in the constructor,
// `SparseLdl.factor(values)` per iteration. It is factored regularized (P + delta I, dual diagonal
// -(D^{-1} + delta), equality rows -delta; quasi-definite, so LDL' exists for any symmetric
// ordering, Vanderbei 1995) and every solve but the predictor's is refined against the
// unregularized matrix (SparseLdl.solveRefined: on the factored values with K's diagonal). The
// slack and multiplier steps of the inequality rows are recovered from A dz computed directly
// (never from differences of the large D_i a_i'dz and dy_i).
// A'DA is never formed. Rows with both bounds infinite keep their pattern with zero values and a
// -1 diagonal (their multiplier step is exactly 0).
//
// ALGORITHM: Mehrotra's predictor-corrector (Mehrotra 1992, "On the implementation of a primal-dual
// interior point method", SIAM J. Optim. 2(4); N&W Algorithm 16.4 for QPs, section 14.2 for the
// centering heuristic sigma = (mu_aff / mu)^3): an affine-scaling predictor, then one corrector
// with the same factorization; fraction-to-the-boundary factor tau = max(0.995, 1 - mu) (N&W eq.
// 16.66-16.67), separate primal and dual step lengths (the slacks' and z's, the multipliers'):
// for a QP the dual residual after the step is then (1 - alpha_d) r_d + (alpha_p - alpha_d) P dz
// rather than (1 - alpha) r_d, but it is recomputed every iteration, and a multiplier that blocks
// the step no longer shortens the primal one (and the reverse). Against one common length for QPs:
// 16 recorded IPM solves of bench:scale's Q-learning at N = 320 (tolerance 1e-6) 271 instead of 317
// iterations, the slow middle phase (steps of 0.13 to 0.6 as single multipliers of the discounted
// tail's rows block one after another) shorter; Maros-Meszaros: the same 68 of 69 problems to the
// reference objective, 1089 instead of 1210 iterations.
// STARTING POINT: z and a multiplier estimate w from the regularized least-squares KKT system
// with D = I (w = A z - t for targets t at the bounds, so P z + q + A'w = -delta z); the slacks
// a_i'z - l_i, u_i - a_i'z get Mehrotra's two shifts (Mehrotra 1992, section 7; N&W section 14.2,
// eq. 14.40-14.41, with -w_i, w_i as the multiplier estimates): 1.5 x the most negative slack, then
// half the complementarity over the multipliers' sum. The multipliers start at 1 (the cost is
// scaled to 1). Against the former slacks max(1, a_i'z - l_i), both with the gap test below: on
// Maros-Meszaros 68 instead of 67 of the 69 problems to the reference objective, 1196 iterations
// instead of 1302; on 28 recorded IPM solves of bench:scale's Q-learning at N = 320 (two
// recordings, tolerance 1e-6, delta 1e-9) medians of 26 and 42 iterations instead of 38 and 52.
// (Mehrotra's shifts of the multipliers as well: about the same on those, but the a_2state closed
// loop of runtime/qp/test/ipm.test.ts stalled on a state 3e-9 from its bound.)
//
// SCALING: the data are Ruiz-equilibrated with cost scaling as OSQP does (Stellato et al. 2020,
// section 5.1; runtime/qp/scaling.ts), written here into preallocated arrays so that `solve`
// allocates nothing. All termination tests are on the UNSCALED residuals.
//
// TERMINATION (relative, as OSQP combines eps_abs and eps_rel): with tolerance eps,
//   ||primal residual||_inf <= eps max(1, ||Az||_inf),
//   ||Pz + q + A'y||_inf    <= eps max(1, ||Pz||_inf, ||q||_inf, ||A'y||_inf),
//   max_i s_i lambda_i      <= eps max(1, ||Az||_inf) max(1, ||y||_inf),
//   sum_i s_i lambda_i      <= eps max(1, |0.5 z'Pz|, |q'z|)   (the duality gap: the objective's error).
// The per-row test alone let the gap grow with the number of rows and with ||y||: on the
// discounted N = 320 MPC QPs a "solved" objective was 3e-5 (at eps = 1e-9) or 3e-2 (at 1e-6)
// relative from the optimum; Maros-Meszaros QETAMACR and QFFFFF80 ended "solved" with an objective
// 0.15% and 1e-5 off (||y|| ~ 1e8-1e9 along an unbounded dual face); they are not_converged now.
// INFEASIBILITY: certificates checked every iteration on the current iterate and on the last step
// (an IPM's iterates diverge along them): primal infeasibility by v with ||A'v|| <= eps_inf ||v||
// and u'v+ + l'v- <= -eps_cert ||v|| (v = y or dy, while the primal residual is not small); dual
// infeasibility by d with ||Pd|| <= eps_inf ||d||, q'd <= -eps_cert ||d|| and A d in the recession
// cone of [l, u] (d = z or dz, while the dual residual is not small) -- the tests of osqp.ts /
// residuals.ts. A non-convex P is detected by the inertia of P + shift I factored on the same
// pattern (shift = CONVEXITY_TOL max|P_ij| as in osqp.ts / active_set.ts; n positive pivots
// expected); every iteration's factorization must have n positive pivots too.
//
// SHARPENING: after the tolerance is met, up to `sharpenIterations` (8) more iterations drive mu
// further while the iterate stays converged (the last converged one is kept), and the active set
// is read with Tapia's indicator (see `sideActivity`): rows of discounted MPC stages whose
// multipliers are far below the tolerance are then classified right for the crossover.
//
// KNOWN LIMITS (measured on ../shared/data/qp): 68 of the 69 Maros-Meszaros problems are solved to
// the tolerance (QBEACONF: the dual residual stalls at 1e-6 relative along a nearly free
// direction, status not_converged). The crossover reaches ActiveSetQp's exact answer on the MPC
// problems in 1-2 sets, but not on many degenerate LP-like Maros problems (the IPM's active set
// has dependent rows; ActiveSetQp then reports not_converged); with a stage discount of 0.9 at
// N = 320 the tail's multipliers (~1e-15 relative) are below round-off and the crossover needs
// 17+ sets or does not settle.
//
// CROSSOVER (`crossover`): the IPM's active set (rows whose multiplier dominates their slack) is the
// guess of `ActiveSetQp.solve`, which verifies the KKT conditions exactly (and corrects a few rows
// of weakly active or degenerate constraints when needed).

import { SparseLdl } from "../linalg/ldl.js";
import type { CscPattern } from "../sparse/csc.js";
import { cscTranspose } from "../sparse/ops.js";
import type { ActiveSetQp, ActiveSetStatus } from "./active_set.js";
import { kktPatternFor, type KktPattern } from "./kkt.js";
import { CONVEXITY_TOL, MAX_SCALING, MIN_SCALING } from "./settings.js";
import { validateBounds, validateQ, validateValues } from "./validate.js";

export type IpmStatus = "solved" | "not_converged" | "primal_infeasible" | "dual_infeasible" | "non_convex" | "invalid_input";

export interface IpmOptions {
  /** Relative tolerance of the primal residual, dual residual and complementarity. Default 1e-9. */
  readonly tolerance?: number;
  /** Maximum number of interior-point iterations (one factorization each). Default 100. */
  readonly maxIterations?: number;
  /** Regularization of the factored matrix at the start of each solve, in scaled units (removed by
   *  refinement); raised x100 for the rest of the solve when a factorization fails, up to
   *  MAX_DELTA. Default DEFAULT_DELTA (1e-12). */
  readonly delta?: number;
  /** Ruiz equilibration passes (0: no scaling). Default 10. */
  readonly scalingIterations?: number;
  /** Tolerance of the "= 0" parts of the infeasibility certificates (relative). Default 1e-9. */
  readonly infeasibilityTolerance?: number;
  /**
   * Iterations after the tolerance is met, while the iterate stays within it (the last one that
   * does is kept): they drive mu further down, so rows whose multipliers are far below the
   * tolerance (discounted stages of long horizons) are classified right for the crossover.
   * Default DEFAULT_SHARPEN_ITERATIONS (8).
   */
  readonly sharpenIterations?: number;
  /** Maximum refinement steps of the starting point's and the corrector's solves (the predictor's
   *  is not refined). Default 6 (2 or 3 cost a fifth less at N = 160, but leave a near-degenerate
   *  a_2state step unconverged: runtime/qp/test/ipm.test.ts). */
  readonly maxRefine?: number;
  /** Factorizations and triangular solves in WebAssembly where available (ldl.ts; bitwise the JavaScript results, faster). Default true. */
  readonly wasm?: boolean;
}

/** Default of `IpmOptions.sharpenIterations`: 8 (most stop earlier, at SHARPEN_TARGET). On 40
 *  recorded IPM solves of bench:scale's Q-learning at N = 160, the crossover (ActiveSetQp from the
 *  IPM's active set, 100 sets) settled on 33 of 40 with 3 sharpening iterations (1020 sets in all),
 *  on 39 with 4, on every one with 5 (414 sets) and with 8 (105 sets: 7.3 instead of 9.5 ms per
 *  solve and crossover, 797 instead of 653 IPM iterations); Q-learning at N = 160 on four disturbance
 *  sequences: 258 -> 111 interior-point solves in 4 x 100 steps (the crossovers that settle leave an
 *  optimal set for the next walk); Maros-Meszaros through the IPM: the same 67 of 69, 1213 instead
 *  of 1162 iterations. */
export const DEFAULT_SHARPEN_ITERATIONS = 8;

// row kinds
const FREE = 0;
const LOWER = 1;
const UPPER = 2;
const BOTH = 3;
const EQUAL = 4;

/** A certificate's "< 0" part must be clearly negative: beyond CERT_MARGIN x what its "= 0" part's residual explains. */
const CERT_MARGIN = 10;
/** For dual infeasibility: q'd below -CERT_STRICT ||d|| (clearly negative, not round-off). */
const CERT_STRICT = 1e-6;
/** Iterations without halving the residual, once complementarity has converged, after which the solve gives up. */
const STAGNATION = 20;
/** Sharpening stops once the relative complementarity is at round-off. */
const SHARPEN_TARGET = 1e-16;
/**
 * Regularization of the factored matrix (scaled units) at the start of a solve, and the largest it
 * is raised to after failed factorizations. The regularized direction is refined against the
 * unregularized matrix, but where the curvature is far below delta (the discounted tail of a long
 * MPC horizon: P ~ 0.9^k) refinement cannot converge, and the direction is a proximal step that
 * moves the tail by little per iteration. 28 recorded IPM solves of bench:scale's Q-learning at
 * N = 320 (tolerance 1e-6): median 42 iterations and 3.8 refinement steps per solve at delta 1e-9,
 * 20 and 0.1 at 1e-12 (1e-13: 19; Maros-Meszaros fails 12 more problems there, as its factorizations
 * break down); Maros-Meszaros: the same 68 of 69 problems solved with the rise.
 */
const DEFAULT_DELTA = 1e-12;
const MAX_DELTA = 1e-5;
/** Largest D_i^{-1} written into the matrix (a row with lambda ~ 0 is decoupled to round-off). */
const MAX_DINV = 1e20;

function limit(v: number): number {
  return v < MIN_SCALING ? 1 : v > MAX_SCALING ? MAX_SCALING : v;
}
function hasLower(k: number): boolean {
  return k === LOWER || k === BOTH;
}
function hasUpper(k: number): boolean {
  return k === UPPER || k === BOTH;
}

export class InteriorPointQp {
  readonly n: number;
  readonly m: number;
  /** Primal solution (unscaled) of the last solve; owned by the solver. */
  readonly x: Float64Array;
  /** Multipliers (unscaled, y = lambda_u - lambda_l) of the last solve; owned by the solver. */
  readonly y: Float64Array;
  /** Interior-point iterations of the last solve (one factorization each, plus the starting point's). */
  iterations = 0;
  /** Number of `solve` calls so far: a result's x and y are this solver's until the next one. */
  solves = 0;
  /** Factorizations of the last solve (starting point, iterations, regularization retries, the convexity test). */
  factorizations = 0;
  /** Largest relative KKT residual (primal, dual, complementarity) of the last iterate. */
  residual = NaN;
  /** Objective 0.5 x'Px + q'x of the last iterate (unscaled). */
  objective = NaN;
  /** Why the last solve did not report "solved" (empty otherwise). */
  message = "";
  /** Certificate of the last primal_infeasible (v: A'v = 0, u'v+ + l'v- < 0) or dual_infeasible (d) status. */
  readonly primalCertificate: Float64Array;
  readonly dualCertificate: Float64Array;

  private readonly P: CscPattern;
  private readonly A: CscPattern;
  private readonly kkt: KktPattern;
  private readonly ldl: SparseLdl;
  private readonly vals: Float64Array;
  private readonly tol: number;
  private readonly maxIter: number;
  private readonly delta: number;
  private readonly scalingIter: number;
  private readonly epsInf: number;
  private readonly maxRefine: number;
  /** Sharpening iterations of the next solves (`sharpenIterations`; settable between solves: a caller
   *  that will not use the active set of the answer sets 0). */
  sharpenIterations: number;
  // scaled data
  private readonly ps: Float64Array;
  private readonly as: Float64Array;
  /** A by rows (its transpose's columns): row i's entries at rowPtr[i] .. rowPtr[i + 1], columns
   *  rowCol ascending, values asr (asr[toRow[p]] = as[p]), for the products A v. */
  private readonly rowPtr: Int32Array;
  private readonly rowCol: Int32Array;
  private readonly toRow: Int32Array;
  private readonly asr: Float64Array;
  private readonly qs: Float64Array;
  private readonly ls: Float64Array;
  private readonly us: Float64Array;
  private readonly Dsc: Float64Array;
  private readonly Esc: Float64Array;
  private c = 1;
  private readonly dWork: Float64Array;
  private readonly eWork: Float64Array;
  private readonly kind: Int8Array;
  // iterates (scaled)
  private readonly z: Float64Array;
  private readonly sl: Float64Array;
  private readonly su: Float64Array;
  private readonly ll: Float64Array;
  private readonly lu: Float64Array;
  /** multiplier of an equality row (the full y for the others is lu - ll) */
  private readonly yeq: Float64Array;
  /** slacks and multipliers before the last step (for the active-set indicator) */
  private readonly slPrev: Float64Array;
  private readonly suPrev: Float64Array;
  private readonly llPrev: Float64Array;
  private readonly luPrev: Float64Array;
  private readonly yfull: Float64Array;
  // residuals
  private readonly rd: Float64Array;
  private readonly rl: Float64Array;
  private readonly ru: Float64Array;
  private readonly az: Float64Array;
  private readonly pz: Float64Array;
  private readonly aty: Float64Array;
  // Newton directions
  private readonly dz: Float64Array;
  private readonly dsl: Float64Array;
  private readonly dsu: Float64Array;
  private readonly dll: Float64Array;
  private readonly dlu: Float64Array;
  private readonly dyeq: Float64Array;
  private readonly adz: Float64Array;
  private readonly rcl: Float64Array;
  private readonly rcu: Float64Array;
  private readonly dinv: Float64Array;
  /** 1/s_l and 1/s_u of the current iterate (0 on a missing side), set with dinv each iteration. */
  private readonly isl: Float64Array;
  private readonly isu: Float64Array;
  // linear algebra
  private readonly rhs: Float64Array;
  private readonly sol: Float64Array;
  private readonly vecN: Float64Array;
  private readonly vecM: Float64Array;
  private primRel = NaN;
  private complRel = NaN;
  /** Sum of the slack-multiplier products of the current iterate (scaled; residuals). */
  private complSum = 0;
  /** The per-row part of complRel (sharpening's target: the gap part stops at round-off of the objective). */
  private rowComplRel = NaN;
  // the converged iterate kept while sharpening (z, slacks, multipliers, and those before its step)
  private readonly live: readonly Float64Array[];
  private readonly keep: readonly Float64Array[];
  private keptResidual = NaN;
  private dualRel = NaN;
  /** P, q and A of the last solve (`scaled`: there was one; `pUnchanged`: this solve's P is that
   *  one, so the equilibration's and the convexity test's verdicts on P stand), and the delta whose
   *  P + delta I and A values `vals` holds (NaN: rebuild). */
  private readonly pSeen: Float64Array;
  private readonly qSeen: Float64Array;
  private readonly aSeen: Float64Array;
  private scaled = false;
  private pUnchanged = false;
  private valsDelta = NaN;
  /** This solve's regularization (starts at `delta`, raised by factorReg). */
  private deltaNow = DEFAULT_DELTA;
  /** The step lengths of the last direction: slacks, multipliers. */
  private stepP = 1;
  private stepD = 1;
  /** The predictor's sums over the sides of ds lambda, s dlambda and ds dlambda (`direction`). */
  private affDsL = 0;
  private affSdL = 0;
  private affDsdL = 0;
  /** The diagonal of the unregularized K for the refinement (SparseLdl.setRefinement): P's part
   *  written with `vals` (before delta is added), the rows' per iteration. */
  private readonly kd: Float64Array;
  // convexity test cache: whether P was judged (the P of pSeen) and the verdict
  private pHasChecked = false;
  private pConvex = true;

  constructor(P: CscPattern, A: CscPattern, options: IpmOptions = {}) {
    const n = P.cols;
    const m = A.rows;
    this.n = n;
    this.m = m;
    this.P = P;
    this.A = A;
    const { kkt, perm } = kktPatternFor(P, A);
    this.kkt = kkt;
    this.ldl = new SparseLdl(kkt.pattern, perm, { wasm: options.wasm ?? true, refine: true });
    this.kd = new Float64Array(n + m);
    this.vals = new Float64Array(kkt.nnz);
    this.tol = options.tolerance ?? 1e-9;
    this.maxIter = options.maxIterations ?? 100;
    this.delta = options.delta ?? DEFAULT_DELTA;
    if (!(this.delta >= 0 && this.delta <= MAX_DELTA)) throw new RangeError(`InteriorPointQp: delta must lie in [0, ${MAX_DELTA}], got ${this.delta}`);
    this.scalingIter = options.scalingIterations ?? 10;
    this.epsInf = options.infeasibilityTolerance ?? 1e-9;
    this.maxRefine = options.maxRefine ?? 6;
    const nnzP = P.colPtr[n];
    const nnzA = A.colPtr[n];
    const N = n + m;
    this.x = new Float64Array(n);
    this.y = new Float64Array(m);
    this.primalCertificate = new Float64Array(m);
    this.dualCertificate = new Float64Array(n);
    this.ps = new Float64Array(nnzP);
    this.as = new Float64Array(nnzA);
    this.toRow = new Int32Array(nnzA);
    const rows = cscTranspose({ ...A, values: new Float64Array(nnzA) }, this.toRow);
    this.rowPtr = rows.colPtr;
    this.rowCol = rows.rowIdx;
    this.asr = rows.values;
    this.qs = new Float64Array(n);
    this.ls = new Float64Array(m);
    this.us = new Float64Array(m);
    this.Dsc = new Float64Array(n);
    this.Esc = new Float64Array(m);
    this.dWork = new Float64Array(n);
    this.eWork = new Float64Array(m);
    this.kind = new Int8Array(m);
    this.z = new Float64Array(n);
    this.sl = new Float64Array(m);
    this.su = new Float64Array(m);
    this.ll = new Float64Array(m);
    this.lu = new Float64Array(m);
    this.yeq = new Float64Array(m);
    this.slPrev = new Float64Array(m);
    this.suPrev = new Float64Array(m);
    this.llPrev = new Float64Array(m);
    this.luPrev = new Float64Array(m);
    this.yfull = new Float64Array(m);
    this.rd = new Float64Array(n);
    this.rl = new Float64Array(m);
    this.ru = new Float64Array(m);
    this.az = new Float64Array(m);
    this.pz = new Float64Array(n);
    this.aty = new Float64Array(n);
    this.dz = new Float64Array(n);
    this.dsl = new Float64Array(m);
    this.dsu = new Float64Array(m);
    this.dll = new Float64Array(m);
    this.dlu = new Float64Array(m);
    this.dyeq = new Float64Array(m);
    this.adz = new Float64Array(m);
    this.rcl = new Float64Array(m);
    this.rcu = new Float64Array(m);
    this.dinv = new Float64Array(m);
    this.isl = new Float64Array(m);
    this.isu = new Float64Array(m);
    this.rhs = new Float64Array(N);
    this.sol = new Float64Array(N);
    this.vecN = new Float64Array(n);
    this.vecM = new Float64Array(m);
    this.pSeen = new Float64Array(nnzP);
    this.qSeen = new Float64Array(this.n);
    this.aSeen = new Float64Array(A.colPtr[A.cols]);
    this.live = [this.z, this.sl, this.su, this.ll, this.lu, this.yeq, this.slPrev, this.suPrev, this.llPrev, this.luPrev];
    this.keep = this.live.map((v) => new Float64Array(v.length));
    this.sharpenIterations = options.sharpenIterations ?? DEFAULT_SHARPEN_ITERATIONS;
  }

  private snapshot(residual: number): void {
    for (let k = 0; k < this.live.length; k++) this.keep[k].set(this.live[k]);
    this.keptResidual = residual;
  }

  private restore(): void {
    for (let k = 0; k < this.live.length; k++) this.live[k].set(this.keep[k]);
    this.residual = this.keptResidual;
  }

  /**
   * Solves the QP with these values (P's upper triangle and A on the constructor's patterns).
   * Throws TypeError only for arrays of the wrong length; bad values give "invalid_input".
   * Allocates nothing.
   */
  solve(pValues: ArrayLike<number>, q: ArrayLike<number>, aValues: ArrayLike<number>, l: ArrayLike<number>, u: ArrayLike<number>): IpmStatus {
    const { n, m } = this;
    const nnzP = this.ps.length;
    const nnzA = this.as.length;
    if (pValues.length !== nnzP) throw new TypeError(`pValues has length ${pValues.length}, expected ${nnzP}`);
    if (aValues.length !== nnzA) throw new TypeError(`aValues has length ${aValues.length}, expected ${nnzA}`);
    if (q.length !== n) throw new TypeError(`q has length ${q.length}, expected ${n}`);
    if (l.length !== m || u.length !== m) throw new TypeError(`l and u must have length ${m}, got ${l.length} and ${u.length}`);
    this.solves++;
    this.iterations = 0;
    this.factorizations = 0;
    this.residual = NaN;
    this.objective = NaN;
    this.message = "";
    const bad = validateValues(pValues, nnzP, "P") ?? validateValues(aValues, nnzA, "A") ?? validateQ(q, n) ?? validateBounds(l, u, m);
    if (bad !== null) {
      this.message = bad;
      return "invalid_input";
    }
    this.scale(pValues, q, aValues, l, u);
    if (!this.convexP()) {
      this.message = "P is not positive semidefinite (P + CONVEXITY_TOL * max|P_ij| I has a non-positive pivot)";
      return "non_convex";
    }
    this.deltaNow = this.delta;
    let status = this.iterate();
    this.unscale();
    if (status === "not_converged" && this.message === "") this.message = `no convergence within ${this.maxIter} iterations (relative KKT residual ${this.residual.toExponential(2)})`;
    if (status === "solved" && !(this.residual <= this.tol)) status = "not_converged";
    return status;
  }

  /**
   * The IPM's active set in ActiveSetQp's convention (-1 at l, +1 at u, 0 inactive; equality rows
   * +1): a bounded side is active when its multiplier exceeds its slack (scaled units).
   */
  activeSet(out: Int8Array): void {
    const { m, kind, sl, su, ll, lu, slPrev, suPrev, llPrev, luPrev } = this;
    if (out.length !== m) throw new TypeError(`out has length ${out.length}, expected ${m}`);
    // log(mu / mu+) over the last step (see sideActivity; 0 before any step)
    const before = this.complementarity(slPrev, suPrev, llPrev, luPrev);
    const now = this.complementarity();
    const muDrop = this.iterations > 0 && now > 0 && before > 0 ? Math.log(before / now) : 0;
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      let f = 0;
      if (k === EQUAL) f = 1;
      else {
        const al = hasLower(k) ? sideActivity(sl[i], ll[i], slPrev[i], llPrev[i], muDrop) : -Infinity;
        const au = hasUpper(k) ? sideActivity(su[i], lu[i], suPrev[i], luPrev[i], muDrop) : -Infinity;
        if (al > 0 && al >= au) f = -1;
        else if (au > 0) f = 1;
      }
      out[i] = f;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the interior-point loop (all in scaled units)

  private iterate(): IpmStatus {
    const { m, kind } = this;
    let nc = 0;
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      if (k === BOTH) nc += 2;
      else if (k === LOWER || k === UPPER) nc++;
    }
    if (!this.start()) return "not_converged";
    let stalls = 0;
    let sharpen = -1;
    // the step lengths of the last iteration (NaN before the first: the start point)
    let ap = NaN, ad = NaN;
    let best = Infinity;
    let bestIt = 0;
    for (let it = 0; ; it++) {
      const total = this.residuals(ap, ad);
      const mu = nc > 0 ? this.complSum / nc : 0;
      this.residual = total;
      if (total <= this.tol) {
        // converged: keep this iterate, then sharpen (see `sharpenIterations`) while it stays converged
        if (sharpen < 0) sharpen = this.sharpenIterations;
        this.snapshot(total);
        if (sharpen === 0 || this.rowComplRel <= SHARPEN_TARGET) return "solved";
        sharpen--;
      } else if (sharpen >= 0) {
        this.restore();
        return "solved";
      } else {
        if (this.primalInfeasible(this.primRel)) return "primal_infeasible";
        if (this.dualInfeasible(this.dualRel)) return "dual_infeasible";
        if (!Number.isFinite(total)) {
          this.message = "the iterates are no longer finite";
          return "not_converged";
        }
        if (total < best * 0.5) {
          best = total;
          bestIt = it;
        }
        if (stalls >= 5 || (it >= 50 && this.complRel <= this.tol && it - bestIt >= STAGNATION)) {
          this.message = `no progress: ${stalls >= 5 ? "the steps became too short" : `the residual did not halve in ${STAGNATION} iterations`} (relative KKT residual ${total.toExponential(2)})`;
          return "not_converged";
        }
      }
      if (it >= this.maxIter) {
        if (sharpen >= 0) {
          this.restore();
          return "solved";
        }
        return "not_converged";
      }
      this.iterations++;
      if (!this.factorReg()) {
        if (sharpen >= 0) {
          this.restore();
          return "solved";
        }
        this.message = "the factorization of the interior-point KKT matrix failed (wrong inertia or zero pivot after regularization)";
        return "not_converged";
      }
      // predictor (affine scaling): rc = -s lambda; it only sets the centering parameter and the
      // corrector's second-order term, so its solve is not refined (40 IPM solves of bench:scale's
      // Q-learning at N = 160: 16% less time, 653 instead of 651 iterations; Maros-Meszaros: the
      // same 67 of 69 problems to the reference objective, 1164 instead of 1161)
      this.direction(0, NaN);
      let sigma = 0;
      if (nc > 0 && mu > 0) {
        // mu_aff = sum (s + ap ds)(lambda + ad dlambda) / nc at the affine steps in (0, 1] (N&W
        // Algorithm 16.4; they were not capped at 1 before), from the direction pass's sums
        const sp = Math.min(1, this.stepP), sd = Math.min(1, this.stepD);
        const muAff = (this.complSum + sp * this.affDsL + sd * this.affSdL + sp * sd * this.affDsdL) / nc;
        const ratio = Math.max(0, muAff / mu);
        sigma = Math.min(1, ratio * ratio * ratio);
      }
      // corrector: rc = sigma mu - s lambda - ds_aff dlambda_aff (N&W eq. 16.58 with 14.35)
      this.direction(this.maxRefine, sigma * mu);
      const tau = Math.max(0.995, 1 - mu);
      ap = Math.min(1, tau * this.stepP);
      ad = Math.min(1, tau * this.stepD);
      stalls = Math.max(ap, ad) < 1e-8 ? stalls + 1 : 0;
    }
  }

  /** Sum of the slack-multiplier products (of the current iterate, or of the given one). */
  private complementarity(sl = this.sl, su = this.su, ll = this.ll, lu = this.lu): number {
    const { m, kind } = this;
    let s = 0;
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      if (hasLower(k)) s += sl[i] * ll[i];
      if (hasUpper(k)) s += su[i] * lu[i];
    }
    return s;
  }

  /**
   * Starting point (see the header): [[P + delta I, A'], [A, -I]] [z; w] = [-q; t] (t: a finite
   * bound per row), slacks by Mehrotra's two shifts (with the multiplier estimates -w, w), multipliers 1.
   */
  private start(): boolean {
    const { n, m, kind, ls, us, z, sl, su, ll, lu, yeq, rhs, sol, az } = this;
    for (let i = 0; i < m; i++) this.dinv[i] = kind[i] === EQUAL ? 0 : 1;
    this.rowDiagonal();
    if (!this.factorReg()) return false;
    for (let j = 0; j < n; j++) rhs[j] = -this.qs[j];
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      rhs[n + i] = k === FREE ? 0 : k === UPPER ? us[i] : k === BOTH ? 0.5 * (ls[i] + us[i]) : ls[i];
    }
    this.solveK();
    for (let j = 0; j < n; j++) z[j] = sol[j];
    this.mulA(z, az);
    // least-squares slacks and multiplier estimates (ll, lu hold -w, w until the end), their minima
    let sMin = Infinity, lMin = Infinity;
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      const w = sol[n + i];
      sl[i] = su[i] = ll[i] = lu[i] = yeq[i] = 0;
      if (k === EQUAL) yeq[i] = w;
      if (hasLower(k)) {
        sl[i] = az[i] - ls[i];
        ll[i] = -w;
        sMin = Math.min(sMin, sl[i]);
        lMin = Math.min(lMin, ll[i]);
      }
      if (hasUpper(k)) {
        su[i] = us[i] - az[i];
        lu[i] = w;
        sMin = Math.min(sMin, su[i]);
        lMin = Math.min(lMin, lu[i]);
      }
    }
    if (sMin === Infinity) return true; // no inequality side
    // first shift: every slack and multiplier estimate >= 0 (N&W eq. 14.40)
    const ds = Math.max(0, -1.5 * sMin), dl = Math.max(0, -1.5 * lMin);
    let prod = 0, lSum = 0;
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      if (hasLower(k)) {
        prod += (sl[i] + ds) * (ll[i] + dl);
        lSum += ll[i] + dl;
      }
      if (hasUpper(k)) {
        prod += (su[i] + ds) * (lu[i] + dl);
        lSum += lu[i] + dl;
      }
    }
    // second shift of the slacks (N&W eq. 14.41): every slack ends at least `half` above 0; when
    // the product vanishes or is not finite, or `half` underflows, the plain start max(1, slack)
    const half = (0.5 * prod) / lSum;
    const second = prod > 0 && Number.isFinite(prod) && half >= 1e-300;
    const ds2 = second ? ds + half : 0;
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      if (hasLower(k)) {
        sl[i] = second ? sl[i] + ds2 : Math.max(1, sl[i]);
        ll[i] = 1;
      }
      if (hasUpper(k)) {
        su[i] = second ? su[i] + ds2 : Math.max(1, su[i]);
        lu[i] = 1;
      }
    }
    return true;
  }

  /**
   * Residuals r_d, r_l, r_u (r_l also holds r_eq), y, P z and A'y at the current iterate (A z is
   * kept current by `start` and the step), and in the same passes the relative unscaled residuals
   * (see the header): sets primRel, dualRel, rowComplRel, complRel and complSum; returns the
   * largest of the three. The row pass also sets the next iteration's barrier data: the slacks'
   * reciprocals isl, isu (0 on a missing side), D_i^{-1} = 1 / (lambda_l/s_l + lambda_u/s_u) and
   * K's diagonal on the rows for the refinement (-1 on free rows, 0 on equality rows, -D_i^{-1}).
   * With step lengths ap (primal) and ad (dual), not NaN, it first takes the last direction's step
   * (the iterate before it kept in slPrev..luPrev) in the same passes.
   */
  private residuals(ap: number, ad: number): number {
    const { n, m, kind, z, sl, su, ll, lu, yeq, yfull, rd, rl, ru, az, pz, aty, ls, us, qs, Dsc, Esc, c, isl, isu, dinv, kd } = this;
    const { dz, adz, dsl, dsu, dll, dlu, dyeq, slPrev, suPrev, llPrev, luPrev } = this;
    const step = !Number.isNaN(ap);
    if (step) for (let j = 0; j < n; j++) z[j] += ap * dz[j];
    let yMax = 0;
    let prim = 0, azMax = 0, compl = 0, sum = 0;
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      const lo = hasLower(k), hi = hasUpper(k);
      if (step) {
        // A z follows z (A dz is the direction's): no product per iteration for it
        az[i] += ap * adz[i];
        slPrev[i] = sl[i];
        suPrev[i] = su[i];
        llPrev[i] = ll[i];
        luPrev[i] = lu[i];
        if (lo) {
          sl[i] += ap * dsl[i];
          ll[i] += ad * dll[i];
        }
        if (hi) {
          su[i] += ap * dsu[i];
          lu[i] += ad * dlu[i];
        }
        if (k === EQUAL) yeq[i] += ad * dyeq[i];
      }
      const y = k === EQUAL ? yeq[i] : (hi ? lu[i] : 0) - (lo ? ll[i] : 0);
      yfull[i] = y;
      const e = Esc[i];
      yMax = Math.max(yMax, (Math.abs(y) * e) / c);
      const a = az[i];
      const r1 = k === EQUAL ? a - ls[i] : lo ? a - sl[i] - ls[i] : 0;
      const r2 = hi ? a + su[i] - us[i] : 0;
      rl[i] = r1;
      ru[i] = r2;
      prim = Math.max(prim, Math.abs(r1) / e, Math.abs(r2) / e);
      if (k !== FREE) azMax = Math.max(azMax, Math.abs(a) / e);
      let ia = 0, ib = 0;
      if (lo) {
        const p = sl[i] * ll[i];
        compl = Math.max(compl, p);
        sum += p;
        ia = 1 / sl[i];
      }
      if (hi) {
        const p = su[i] * lu[i];
        compl = Math.max(compl, p);
        sum += p;
        ib = 1 / su[i];
      }
      isl[i] = ia;
      isu[i] = ib;
      const di = k === EQUAL ? 0 : k === FREE ? 1 : Math.min(MAX_DINV, 1 / (ll[i] * ia + lu[i] * ib));
      dinv[i] = di;
      kd[n + i] = k === FREE ? -1 : k === EQUAL ? 0 : -di;
    }
    this.mulP(z, pz);
    this.mulAt(yfull, aty);
    this.complSum = sum;
    compl /= c;
    // the objective's terms for the duality gap (see the header)
    let dual = 0, dScale = 1, zPz = 0, qz = 0;
    for (let j = 0; j < n; j++) {
      const r = pz[j] + qs[j] + aty[j];
      rd[j] = r;
      const f = 1 / (c * Dsc[j]);
      dual = Math.max(dual, Math.abs(r) * f);
      dScale = Math.max(dScale, Math.abs(pz[j]) * f, Math.abs(qs[j]) * f, Math.abs(aty[j]) * f);
      zPz += z[j] * pz[j];
      qz += z[j] * qs[j];
    }
    this.primRel = prim / Math.max(1, azMax);
    this.dualRel = dual / dScale;
    this.rowComplRel = compl / (Math.max(1, azMax) * Math.max(1, yMax));
    this.complRel = Math.max(this.rowComplRel, sum / c / Math.max(1, Math.abs(0.5 * zPz) / c, Math.abs(qz) / c));
    return Math.max(this.primRel, this.dualRel, this.complRel);
  }

  /**
   * The Newton direction at the current factorization for the complementarity targets rc (see the
   * header), written to rcl/rcu by the right-hand side's pass: the predictor's (target NaN)
   * rc = -s lambda, the corrector's rc = target - s lambda - ds_aff dlambda_aff with the predictor's
   * steps still in dsl..dlu. Then the reduced system, the slack and multiplier steps from A dz, and
   * in the same pass the largest steps in (0, 1e30] keeping the slacks (stepP) and the multipliers
   * (stepD) >= 0 (a missing side's steps are 0; a ratio is divided out only where it is the
   * smallest so far); for the predictor also the sums of ds lambda, s dlambda and ds dlambda over
   * the sides, from which mu_aff follows for any step lengths.
   */
  private direction(maxRefine: number, target: number): void {
    const { n, m, kind, sl, su, ll, lu, isl, isu, rd, rl, ru, rcl, rcu, dinv, rhs, sol, dz, adz, dsl, dsu, dll, dlu, dyeq } = this;
    const predictor = Number.isNaN(target);
    // the right-hand side (a missing side's slack reciprocal, residual and target are 0) and its
    // largest entry (the refinement's scale)
    let scale = 0;
    for (let j = 0; j < n; j++) {
      const v = -rd[j];
      rhs[j] = v;
      scale = Math.max(scale, Math.abs(v));
    }
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      let v = 0;
      if (k === EQUAL) v = -rl[i];
      else if (k !== FREE) {
        const cl = hasLower(k) ? (predictor ? -sl[i] * ll[i] : target - sl[i] * ll[i] - dsl[i] * dll[i]) : 0;
        const cu = hasUpper(k) ? (predictor ? -su[i] * lu[i] : target - su[i] * lu[i] - dsu[i] * dlu[i]) : 0;
        rcl[i] = cl;
        rcu[i] = cu;
        v = -dinv[i] * ((ll[i] * rl[i] - cl) * isl[i] + (cu + lu[i] * ru[i]) * isu[i]);
      }
      rhs[n + i] = v;
      scale = Math.max(scale, Math.abs(v));
    }
    this.solveK(maxRefine, scale);
    for (let j = 0; j < n; j++) dz[j] = sol[j];
    this.mulA(dz, adz);
    let ap = 1e30, ad = 1e30;
    let dsL = 0, sdL = 0, dsdL = 0;
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      dyeq[i] = k === EQUAL ? sol[n + i] : 0;
      if (k === EQUAL || k === FREE) {
        dsl[i] = dsu[i] = dll[i] = dlu[i] = 0;
        continue;
      }
      // A side whose multiplier dominates its slack (lambda/s > 1, "active") takes its multiplier
      // step from the solved dy (recovering it as D a'dz + g would amplify the round-off of a'dz by
      // D ~ 1/mu) and its slack step from complementarity; the other sides take the slack step from
      // a'dz directly and the multiplier step from complementarity (N&W eq. 16.58, rows 2-3).
      const rL = ll[i] * isl[i];
      const rU = lu[i] * isu[i];
      const lowerActive = rL > 1 && rL >= rU;
      const upperActive = !lowerActive && rU > 1;
      let sU = 0, lU = 0, sL = 0, lL = 0;
      if (hasUpper(k) && !upperActive) {
        sU = -adz[i] - ru[i];
        lU = (rcu[i] - lu[i] * sU) * isu[i];
      }
      if (hasLower(k) && !lowerActive) {
        sL = adz[i] + rl[i];
        lL = (rcl[i] - ll[i] * sL) * isl[i];
      }
      if (lowerActive) {
        lL = lU - sol[n + i]; // dy = dlambda_u - dlambda_l
        sL = (rcl[i] - sl[i] * lL) / ll[i];
      } else if (upperActive) {
        lU = sol[n + i] + lL;
        sU = (rcu[i] - su[i] * lU) / lu[i];
      }
      dsl[i] = sL;
      dll[i] = lL;
      dsu[i] = sU;
      dlu[i] = lU;
      if (predictor) {
        // (a missing side's steps are 0, and so are its terms)
        dsL += sL * ll[i] + sU * lu[i];
        sdL += sl[i] * lL + su[i] * lU;
        dsdL += sL * lL + sU * lU;
      }
      if (sL < 0 && sl[i] + ap * sL < 0) ap = -sl[i] / sL;
      if (lL < 0 && ll[i] + ad * lL < 0) ad = -ll[i] / lL;
      if (sU < 0 && su[i] + ap * sU < 0) ap = -su[i] / sU;
      if (lU < 0 && lu[i] + ad * lU < 0) ad = -lu[i] / lU;
    }
    this.stepP = ap;
    this.stepD = ad;
    this.affDsL = dsL;
    this.affSdL = sdL;
    this.affDsdL = dsdL;
  }

  // ---------------------------------------------------------------------------------------------
  // the KKT matrix: values, factorization, refined solves

  /** Factors the regularized matrix for the current dinv; on a wrong inertia or zero pivot raises
   *  the solve's delta x100 (kept for its later iterations) and retries, up to MAX_DELTA. */
  private factorReg(): boolean {
    for (;;) {
      const delta = this.deltaNow;
      let ok: boolean;
      this.factorizations++;
      if (this.valsDelta === delta) {
        // the factor's copy of the matrix is vals' (convexP resets valsDelta): only the dual diagonal changes
        this.assembleDual(delta);
        ok = this.ldl.refactor();
      } else {
        this.assemble(delta);
        ok = this.ldl.factor(this.vals);
      }
      if (ok && this.ldl.positivePivots === this.n) return true;
      if (delta >= MAX_DELTA) return false;
      // (from a delta of 0, the option's lowest, straight to the default)
      this.deltaNow = Math.min(MAX_DELTA, Math.max(DEFAULT_DELTA, delta * 100));
    }
  }

  /** The matrix's values for this iteration's barrier weights when vals (and the factor's copy of
   *  them) hold the same P, A and delta: only the dual diagonal changes from one iteration to the
   *  next, written into both. */
  private assembleDual(delta: number): void {
    const { m, kkt, vals, kind, dinv, ldl } = this;
    const dd = kkt.dualDiag;
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      const v = k === FREE ? -1 : k === EQUAL ? -delta : -(dinv[i] + delta);
      vals[dd[i]] = v;
      ldl.setValue(dd[i], v);
    }
  }

  private assemble(delta: number): void {
    this.valsDelta = delta;
    const { n, m, kkt, vals, ps, as, A, kind, dinv } = this;
    vals.fill(0);
    for (let p = 0; p < ps.length; p++) vals[kkt.pMap[p]] = ps[p];
    const kd = this.kd;
    for (let j = 0; j < n; j++) {
      kd[j] = vals[kkt.pDiag[j]];
      vals[kkt.pDiag[j]] += delta;
      for (let p = A.colPtr[j]; p < A.colPtr[j + 1]; p++) if (kind[A.rowIdx[p]] !== FREE) vals[kkt.aMap[p]] = as[p];
    }
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      vals[kkt.dualDiag[i]] = k === FREE ? -1 : k === EQUAL ? -delta : -(dinv[i] + delta);
    }
  }

  /**
   * sol = K^{-1} rhs with refinement against the unregularized K (keeps the best iterate), refined
   * to 1e-12 of the right-hand side (1e-15 ran every solve into its step cap or a stall: 7 solves
   * per direction at N = 160; the crossover, not this direction, makes answers exact). Every step
   * on the factored matrix in WebAssembly where available (SparseLdl.solveRefined).
   */
  private solveK(maxRefine = this.maxRefine, scale = NaN): void {
    const { rhs, sol, ldl, kd } = this;
    if (maxRefine === 0) {
      sol.set(rhs);
      ldl.solve(sol);
      return;
    }
    ldl.setRefinement(kd, null);
    if (Number.isNaN(scale)) {
      scale = 0;
      for (let k = 0; k < rhs.length; k++) scale = Math.max(scale, Math.abs(rhs[k]));
    }
    ldl.solveRefined(rhs, sol, maxRefine, 0, 1e-12 * Math.max(1, scale), 0, 0, true);
  }

  /** K's diagonal on the rows for the refinement (this iteration's dinv; P's part is `assemble`'s):
   *  -1 on free rows, 0 on equality rows, -dinv on the others. */
  private rowDiagonal(): void {
    const { n, m, kind, dinv, kd } = this;
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      kd[n + i] = k === FREE ? -1 : k === EQUAL ? 0 : -dinv[i];
    }
  }

  // the sparse products below read the index arrays as locals and each column's bounds once (the
  // same operations in the same order as through the patterns' properties, measurably faster)

  private mulP(v: Float64Array, out: Float64Array): void {
    const { n, ps } = this;
    const pc = this.P.colPtr, pr = this.P.rowIdx;
    out.fill(0);
    for (let j = 0; j < n; j++) {
      const vj = v[j];
      let acc = 0;
      for (let p = pc[j], end = pc[j + 1]; p < end; p++) {
        const i = pr[p];
        out[i] += ps[p] * vj;
        if (i !== j) acc += ps[p] * v[i];
      }
      out[j] += acc;
    }
  }

  /** out = A v by rows (A's rows in `rowPtr`/`rowCol`/`asr`, columns ascending: the same sums in
   *  the same order as a scatter by columns, without its read-modify-write of out). */
  private mulA(v: Float64Array, out: Float64Array): void {
    const { m, asr, rowPtr, rowCol } = this;
    for (let i = 0; i < m; i++) {
      let acc = 0;
      for (let p = rowPtr[i], end = rowPtr[i + 1]; p < end; p++) acc += asr[p] * v[rowCol[p]];
      out[i] = acc;
    }
  }

  private mulAt(v: Float64Array, out: Float64Array): void {
    const { n, as } = this;
    const ac = this.A.colPtr, ar = this.A.rowIdx;
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = ac[j], end = ac[j + 1]; p < end; p++) acc += as[p] * v[ar[p]];
      out[j] = acc;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // infeasibility certificates (unscaled), as residuals.ts tests them

  /** Primal infeasibility: v = y (current) or dy (last step) with A'v ~ 0 and u'v+ + l'v- < 0. */
  private primalInfeasible(primRel: number): boolean {
    if (!(primRel > 10 * this.tol) || this.m === 0) return false;
    const { m, kind, vecM, yfull, dll, dlu, dyeq } = this;
    if (this.primalCertificateHolds(yfull)) return true;
    if (this.iterations === 0) return false; // no step yet
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      vecM[i] = k === EQUAL ? dyeq[i] : (hasUpper(k) ? dlu[i] : 0) - (hasLower(k) ? dll[i] : 0);
    }
    return this.primalCertificateHolds(vecM);
  }

  private primalCertificateHolds(vs: Float64Array): boolean {
    const { n, m, Esc, Dsc, kind, ls, us, A, as, primalCertificate: v } = this;
    // unscaled v = E vs (the positive factor 1/c does not matter)
    let vMax = 0;
    for (let i = 0; i < m; i++) {
      v[i] = kind[i] === FREE ? 0 : Esc[i] * vs[i];
      vMax = Math.max(vMax, Math.abs(v[i]));
    }
    if (!(vMax > 0) || !Number.isFinite(vMax)) return false;
    // A'v = D^{-1} As' vs
    let atvMax = 0;
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = A.colPtr[j]; p < A.colPtr[j + 1]; p++) if (kind[A.rowIdx[p]] !== FREE) acc += as[p] * vs[A.rowIdx[p]];
      atvMax = Math.max(atvMax, Math.abs(acc / Dsc[j]));
      if (atvMax > this.epsInf * vMax) return false;
    }
    let sup = 0;
    for (let i = 0; i < m; i++) {
      // unscaled bounds: ls / E
      if (v[i] > 0) sup += (us[i] / Esc[i]) * v[i];
      else if (v[i] < 0) sup += (ls[i] / Esc[i]) * v[i];
    }
    // v'Az <= sup for every feasible z, and |v'Az| <= |A'v|_inf |z|_1: a clearly negative sup
    // (beyond what the residual A'v allows for points 10 x the size of the iterate) proves infeasibility
    let z1 = 0;
    for (let j = 0; j < n; j++) z1 += Math.abs(Dsc[j] * this.z[j]);
    if (!(sup < -CERT_MARGIN * atvMax * Math.max(1, z1)) || !(sup < -1e-12 * vMax)) return false;
    for (let i = 0; i < m; i++) v[i] /= vMax;
    this.message = "the QP is primal infeasible: a certificate v with A'v = 0 and u'v+ + l'v- < 0 (primalCertificate)";
    return true;
  }

  /** Dual infeasibility (unboundedness): d = z (current) or dz (last step) with P d ~ 0, q'd < 0, A d in the recession cone. */
  private dualInfeasible(dualRel: number): boolean {
    if (!(dualRel > 1e3 * this.tol)) return false;
    return this.dualCertificateHolds(this.z) || (this.iterations > 0 && this.dualCertificateHolds(this.dz));
  }

  private dualCertificateHolds(ds: Float64Array): boolean {
    const { n, m, Dsc, Esc, kind, qs, vecN, vecM, dualCertificate: d } = this;
    let dMax = 0;
    for (let j = 0; j < n; j++) {
      d[j] = Dsc[j] * ds[j];
      dMax = Math.max(dMax, Math.abs(d[j]));
    }
    if (!(dMax > 0) || !Number.isFinite(dMax)) return false;
    const eps = this.epsInf * dMax;
    // q'd = qs'ds / c
    let qd = 0;
    for (let j = 0; j < n; j++) qd += qs[j] * ds[j];
    qd /= this.c;
    if (!(qd < -CERT_STRICT * dMax)) return false;
    // P d = D^{-1} Ps ds / c
    this.mulP(ds, vecN);
    for (let j = 0; j < n; j++) if (Math.abs(vecN[j] / (this.c * Dsc[j])) > eps) return false;
    // A d = E^{-1} As ds
    this.mulA(ds, vecM);
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      const ad = vecM[i] / Esc[i];
      if ((k === EQUAL || hasUpper(k)) && ad > eps) return false;
      if ((k === EQUAL || hasLower(k)) && ad < -eps) return false;
    }
    for (let j = 0; j < n; j++) d[j] /= dMax;
    this.message = "the QP is unbounded below (dual infeasible): a direction d with P d = 0, q'd < 0 and A d in the recession cone (dualCertificate)";
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // data: scaling, convexity, results

  /** Ruiz equilibration with cost scaling (as scaling.ts), into the preallocated scaled arrays; row kinds. */
  private scale(pValues: ArrayLike<number>, q: ArrayLike<number>, aValues: ArrayLike<number>, l: ArrayLike<number>, u: ArrayLike<number>): void {
    // the matrix's P and A values are rebuilt at the first factorization of every solve (the row kinds may change)
    this.valsDelta = NaN;
    if (this.sameCostAndMatrix(pValues, q, aValues)) {
      // the equilibration depends on P, q and A only: the last solve's stands
      this.scaleBounds(l, u);
      return;
    }
    const { n, m, ps, as, qs, Dsc: D, Esc: E, dWork, eWork } = this;
    const pc = this.P.colPtr, pr = this.P.rowIdx, ac = this.A.colPtr, ar = this.A.rowIdx;
    for (let p = 0; p < ps.length; p++) ps[p] = pValues[p];
    for (let p = 0; p < as.length; p++) as[p] = aValues[p];
    for (let j = 0; j < n; j++) qs[j] = q[j];
    D.fill(1);
    E.fill(1);
    let c = 1;
    for (let it = 0; it < this.scalingIter; it++) {
      dWork.fill(0);
      eWork.fill(0);
      for (let j = 0; j < n; j++) {
        for (let p = pc[j], end = pc[j + 1]; p < end; p++) {
          const v = Math.abs(ps[p]);
          const i = pr[p];
          if (v > dWork[j]) dWork[j] = v;
          if (v > dWork[i]) dWork[i] = v;
        }
        for (let p = ac[j], end = ac[j + 1]; p < end; p++) {
          const v = Math.abs(as[p]);
          const i = ar[p];
          if (v > dWork[j]) dWork[j] = v;
          if (v > eWork[i]) eWork[i] = v;
        }
      }
      for (let j = 0; j < n; j++) dWork[j] = 1 / Math.sqrt(limit(dWork[j]));
      for (let i = 0; i < m; i++) eWork[i] = 1 / Math.sqrt(limit(eWork[i]));
      for (let j = 0; j < n; j++) {
        D[j] *= dWork[j];
        qs[j] *= dWork[j];
        for (let p = pc[j], end = pc[j + 1]; p < end; p++) ps[p] *= dWork[pr[p]] * dWork[j];
        for (let p = ac[j], end = ac[j + 1]; p < end; p++) as[p] *= eWork[ar[p]] * dWork[j];
      }
      for (let i = 0; i < m; i++) E[i] *= eWork[i];
      // cost scaling: 1 / max(mean column norm of P, ||q||_inf)
      dWork.fill(0);
      for (let j = 0; j < n; j++) {
        for (let p = pc[j], end = pc[j + 1]; p < end; p++) {
          const v = Math.abs(ps[p]);
          const i = pr[p];
          if (v > dWork[j]) dWork[j] = v;
          if (v > dWork[i]) dWork[i] = v;
        }
      }
      let mean = 0;
      for (let j = 0; j < n; j++) mean += dWork[j];
      mean = n > 0 ? mean / n : 0;
      let qNorm = 0;
      for (let j = 0; j < n; j++) qNorm = Math.max(qNorm, Math.abs(qs[j]));
      const ct = 1 / limit(Math.max(mean, limit(qNorm)));
      for (let p = 0; p < ps.length; p++) ps[p] *= ct;
      for (let j = 0; j < n; j++) qs[j] *= ct;
      c *= ct;
    }
    this.c = c;
    const { asr, toRow } = this;
    for (let p = 0; p < as.length; p++) asr[toRow[p]] = as[p];
    this.scaleBounds(l, u);
  }

  /** Whether P, q and A are those of the last solve (the equilibration is then kept), else records
   *  them; sets pUnchanged for P alone. */
  private sameCostAndMatrix(pValues: ArrayLike<number>, q: ArrayLike<number>, aValues: ArrayLike<number>): boolean {
    const { pSeen, qSeen, aSeen } = this;
    let pSame = this.scaled;
    for (let k = 0; pSame && k < pSeen.length; k++) pSame = pSeen[k] === pValues[k];
    this.pUnchanged = pSame;
    let same = pSame;
    for (let k = 0; same && k < qSeen.length; k++) same = qSeen[k] === q[k];
    for (let k = 0; same && k < aSeen.length; k++) same = aSeen[k] === aValues[k];
    if (same) return true;
    if (!pSame) for (let k = 0; k < pSeen.length; k++) pSeen[k] = pValues[k];
    for (let k = 0; k < qSeen.length; k++) qSeen[k] = q[k];
    for (let k = 0; k < aSeen.length; k++) aSeen[k] = aValues[k];
    this.scaled = true;
    return false;
  }

  /** The scaled bounds and the row kinds. */
  private scaleBounds(l: ArrayLike<number>, u: ArrayLike<number>): void {
    const { m, ls, us, Esc: E, kind } = this;
    for (let i = 0; i < m; i++) {
      const lo = l[i], hi = u[i];
      ls[i] = lo * E[i];
      us[i] = hi * E[i];
      const fl = lo > -Infinity, fu = hi < Infinity;
      kind[i] = lo === hi ? EQUAL : fl && fu ? BOTH : fl ? LOWER : fu ? UPPER : FREE;
    }
  }

  /**
   * Whether P is positive semidefinite beyond round-off: P + shift I (shift = CONVEXITY_TOL *
   * max|P_ij|, scaled) factored on the KKT pattern with every row decoupled has n positive pivots.
   * Cached while P's values stay the same (`scale` compares them first).
   */
  private convexP(): boolean {
    if (this.pHasChecked && this.pUnchanged) return this.pConvex;
    this.pHasChecked = true;
    const { n, m, kkt, vals, ps } = this;
    const nnz = ps.length;
    let pmax = 0;
    for (let k = 0; k < nnz; k++) pmax = Math.max(pmax, Math.abs(ps[k]));
    if (pmax === 0) return (this.pConvex = true);
    const shift = Math.max(this.delta, CONVEXITY_TOL * pmax);
    this.valsDelta = NaN;
    vals.fill(0);
    for (let p = 0; p < nnz; p++) vals[kkt.pMap[p]] = ps[p];
    for (let j = 0; j < n; j++) vals[kkt.pDiag[j]] += shift;
    for (let i = 0; i < m; i++) vals[kkt.dualDiag[i]] = -1;
    this.factorizations++;
    this.pConvex = this.ldl.factor(vals) && this.ldl.positivePivots === n;
    return this.pConvex;
  }

  /** x = D z, y = E y_s / c, and the objective. */
  private unscale(): void {
    const { n, m, x, y, z, Dsc, Esc, c, kind, ll, lu, yeq, P, ps, qs } = this;
    for (let j = 0; j < n; j++) x[j] = Dsc[j] * z[j];
    for (let i = 0; i < m; i++) {
      const k = kind[i];
      const ys = k === EQUAL ? yeq[i] : (hasUpper(k) ? lu[i] : 0) - (hasLower(k) ? ll[i] : 0);
      y[i] = (Esc[i] * ys) / c;
    }
    // objective in scaled terms divided by c (0.5 zs'Ps zs + qs'zs = c (0.5 x'Px + q'x))
    let obj = 0;
    for (let j = 0; j < n; j++) {
      for (let p = P.colPtr[j]; p < P.colPtr[j + 1]; p++) {
        const i = P.rowIdx[p];
        obj += (i === j ? 0.5 : 1) * ps[p] * z[i] * z[j];
      }
      obj += qs[j] * z[j];
    }
    this.objective = obj / c;
  }
}

/**
 * Crossover: the IPM's active set (after `ipm.solve`) as the guess of `activeSet.solve`, which
 * verifies the KKT conditions exactly (correcting rows where the IPM's classification was
 * ambiguous). `guess` (length m) receives the final working set; the exact solution is in
 * activeSet.x / activeSet.y, the number of working sets in activeSet.iterations.
 */
export function crossover(
  ipm: InteriorPointQp,
  activeSet: ActiveSetQp,
  pValues: ArrayLike<number>,
  q: ArrayLike<number>,
  aValues: ArrayLike<number>,
  l: ArrayLike<number>,
  u: ArrayLike<number>,
  guess: Int8Array,
): ActiveSetStatus {
  ipm.activeSet(guess);
  return activeSet.solve(pValues, q, aValues, l, u, guess);
}

/**
 * > 0 when a bounded side looks active. Tapia's indicator (El-Bakry, Tapia & Zhang 1994, "A study
 * of indicators for identifying zero variables in interior-point methods", SIAM Review 36(1)):
 * over a step that lowers mu, the slack of an active side shrinks like mu while its multiplier
 * stays, and the other way round for an inactive side, so log((lambda+/lambda) / (s+/s)) is about
 * log(mu/mu+) (`muDrop`) for an active side and -log(mu/mu+) for an inactive one. It resolves rows
 * whose multiplier is far below the final mu (the discounted tail of a long MPC horizon), where
 * lambda > s does not. Two guards, for iterates off the central path:
 *  - after a step that raised mu (muDrop < -log 2) the signs are flipped back;
 *  - an "active" reading needs the slack itself to have followed mu (at least half of muDrop):
 *    a clearly inactive side whose multiplier doubled while mu fell elsewhere read as active
 *    (bench:scale at N = 160: both sides of 181 soft bounds, a singular first set for every
 *    crossover).
 * Where mu hardly changed (|muDrop| <= log 2), the indicator is undecided (|log| <= log 2: a
 * degenerate row, or no step taken) or a guard rejects it, lambda > s decides. (A band on
 * lambda / s instead of the second guard also kept inactive sides inactive, but sent active tail
 * rows, whose lambda / s ~ lambda^2 / mu is tiny, to lambda > s: twice the crossover sets.)
 */
export function sideActivity(s: number, lam: number, sPrev: number, lamPrev: number, muDrop: number): number {
  if (Math.abs(muDrop) > Math.LN2 && sPrev > 0 && lamPrev > 0) {
    const rs = Math.log(s / sPrev);
    let ind = Math.log(lam / lamPrev) - rs;
    if (muDrop < 0) ind = -ind;
    if (Math.abs(ind) > Math.LN2 && (ind < 0 || -rs / muDrop > 0.5)) return ind;
  }
  return Math.log(lam / s);
}
