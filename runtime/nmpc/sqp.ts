// Sequential quadratic programming on the multiple-shooting NLP of an OcpModel (types.ts), and the
// real-time iteration.
//
// Variables z = [x_0..x_N, u_0..u_{N-1}, eps_0..eps_{N-1}, eps_N] (multiple shooting, Bock & Plitt
// 1984); constraints lc <= c(z) <= uc with the rows
//   x_0 (= xhat, the embedded initial-value constraint), x_{k+1} - F(x_k, u_k) (= 0),
//   h_k (<= 0), h_N (<= 0), c_k - eps_k (<= 0), c_N - eps_N (<= 0), and the boxes on x_k (k >= 1),
//   u_k, eps_k >= 0, eps_N >= 0.
// Carried inputs (OcpModel.carriedInputs, `prev(u)`): the last states are u_{k-1}, their dynamics
// rows p_{k+1} - u_k = 0 come from CarryIntegrator (integrator.ts), so the SQP sees one more
// (linear) state block and nothing else changes.
// Each SQP iteration solves the QP (Nocedal & Wright, "Numerical Optimization", 2nd ed., eq. 18.11)
//   min 0.5 d'H d + grad f'd   s.t.  lc - c(z) <= J(z) d <= uc - c(z)
// with H the Gauss-Newton Hessian 2 gamma^k J_r'J_r of the least-squares terms (Bock 1983) plus the
// general terms' Hessians, or the exact Lagrangian Hessian; every stage block that is not
// diagonally dominant is convexified by its eigenvalues: those below 1e-8 of the largest are
// mirrored (acados' MIRROR; `convexify: "project"` raises them to that floor, "identity" adds a
// multiple of the identity, N&W Algorithm 3.3; runtime/linalg/dense.ts). The QP
// has the same sparsity in every iteration: one CSC pattern for P and A, filled in place, so the
// active-set solver's symbolic analysis (runtime/qp/active_set.ts, warm-started from the previous
// active set) and the ADMM fallback's (runtime/qp/osqp.ts) are done once per problem.
// Globalization: the weighted l1 merit function phi(z) = f(z) + sum_i nu_i viol_i(c(z)) with Armijo
// backtracking (N&W eq. 15.24 and Algorithm 18.3) and Powell's weights nu_i >= 1.5 |y_QP,i|
// (Powell 1978, "A fast algorithm for nonlinearly constrained optimization calculations"; one
// weight per row instead of N&W eq. 18.32's single nu: a heavily penalized soft row no longer
// makes every dynamics row's second-order violation block the step (the Maratos effect seen on
// the CSTR's flat Q_dot direction)); the multipliers take the same step, y <- y + alpha (y_QP - y).
// Termination on the scaled KKT residual
// (stationarity, primal feasibility, complementarity), a bounded number of iterations, statuses
// instead of exceptions.
// The real-time iteration (Diehl, Bock, Schloeder, Findeisen, Nagy & Allgoewer 2002, J. Process
// Control 12:577-585, and 2005; Gros, Zanon, Quirynen, Bemporad & Diehl 2020, Int. J. Control
// 93:62-80): `prepare()` shifts the previous iterate by one stage (last node re-simulated with the
// last input), linearizes and builds the QP before the state is known; `feedback(xhat)` only sets
// the x_0 rows (l = u = xhat - x_0) and solves one QP, full step.
// Allocation: the iteration loop allocates nothing after the first solve (the ADMM fallback solver
// is created on first use).

import { choleskyAddedIdentity, convexifyEigen, sameValues } from "../linalg/dense.js";
import { ActiveSetQp } from "../qp/active_set.js";
import { QpSolver } from "../qp/osqp.js";
import type { Csc, CscPattern } from "../sparse/csc.js";
import type { QpProblem, QpSettings } from "../qp/types.js";
import { CarryIntegrator, delayedDynamics, StepIntegrator, type ShootingInterval } from "./integrator.js";
import type { GeneralCostOut, NlpStats, NlpStatus, OcpModel, StageFunction, StageOut } from "./types.js";
import { nowSeconds as now } from "../clock.js";

export interface SqpOptions {
  /** Scaled KKT residual tolerance (default 1e-8). */
  readonly tolerance?: number;
  /** Maximum SQP iterations per solve (default 100). */
  readonly maxIterations?: number;
  /**
   * Acceptable termination (IPOPT's acceptable_tol / acceptable_iter, Waechter & Biegler 2006,
   * section 3.9): when the scaled KKT residual stays at most `acceptableTolerance` (default 1e-5)
   * for `acceptableIterations` (default 10) iterations in a row without reaching `tolerance`, the
   * solve stops with status "acceptable" unless the residual fell tenfold over those iterations
   * (then it goes on). A Gauss-Newton SQP converges linearly, and where the
   * neglected constraint curvature is as large as the Gauss-Newton Hessian (the cart-pole
   * swing-up) it circles at a residual of 1e-6 instead of converging. 0 disables it.
   */
  readonly acceptableTolerance?: number;
  readonly acceptableIterations?: number;
  /** Hessian of the QPs: Gauss-Newton (default) or the exact Lagrangian Hessian (convexified). */
  readonly hessian?: "gauss_newton" | "exact";
  /** Armijo constant of the line search (default 1e-4). */
  readonly armijo?: number;
  /** Smallest step of the line search (default 1e-10). */
  readonly minStep?: number;
  /** Settings of the ADMM fallback (defaults: tight tolerances, polishing). */
  readonly admm?: Partial<QpSettings>;
  /**
   * Scaling of the QPs (default "bounds"): every QP is solved in d = D d~ with D_j the largest
   * finite |bound| of variable j's boxes (1 without one; a carried previous input takes its
   * input's), so that a model written in physical units (a temperature near 140, a heat flow in
   * thousands of kW) gives QPs whose curvature is not buried under the active-set solver's
   * regularization (the role of do-mpc's explicit scaling); the sensitivities (sensitivity.ts)
   * solve their KKT system in the same columns with equilibrated rows. The NLP, its iterate and
   * multipliers are unchanged. "none": D = I.
   */
  readonly scaling?: "bounds" | "none";
  /** How a stage block of an indefinite Hessian is made positive definite (default "mirror"):
   *  its negative eigenvalues mirrored ("mirror", acados' MIRROR), raised to a small positive
   *  value ("project"), or an added multiple of the identity ("identity", N&W Algorithm 3.3). */
  readonly convexify?: "mirror" | "project" | "identity";
}

/** Whether an SQP status is a solution: converged to the tolerance, or to the acceptable level. */
export function nlpConverged(status: NlpStatus): boolean {
  return status === "solved" || status === "acceptable";
}

const ADMM_DEFAULTS: Partial<QpSettings> = { epsAbs: 1e-7, epsRel: 1e-7, maxIter: 50000, polish: true, polishRefineIter: 10, rho: 0.1, adaptiveRho: true, warmStart: true, epsPrimInf: 1e-7, epsDualInf: 1e-7 };

/** Row kinds (for shifting the multipliers and the working set by one stage). */
const K_PIN = 0;
const K_DYN = 1;
const K_HARD = 2;
const K_HARDN = 3;
const K_SOFT = 4;
const K_XB = 5;
const K_UB = 6;
const K_SB = 7;
const K_SOFTN = 8;
const K_SBN = 9;

function stageOut(size: number, nx: number, nu: number, nTheta: number): StageOut {
  return { value: new Float64Array(size), jx: new Float64Array(size * nx), ju: new Float64Array(size * nu), jtheta: new Float64Array(size * nTheta) };
}

/** CSC pattern from (row, col) pairs; map[t] = position of pair t (duplicates share a position). */
function buildCsc(rows: number, cols: number, ti: number[], tj: number[]): { pattern: CscPattern; map: Int32Array; nnz: number } {
  const order = ti.map((_, t) => t).sort((a, b) => tj[a] - tj[b] || ti[a] - ti[b]);
  const colPtr = new Int32Array(cols + 1);
  const rowIdx: number[] = [];
  const map = new Int32Array(ti.length);
  let lastR = -1;
  let lastC = -1;
  for (const t of order) {
    if (ti[t] !== lastR || tj[t] !== lastC) {
      rowIdx.push(ti[t]);
      colPtr[tj[t] + 1]++;
      lastR = ti[t];
      lastC = tj[t];
    }
    map[t] = rowIdx.length - 1;
  }
  for (let j = 0; j < cols; j++) colPtr[j + 1] += colPtr[j];
  return { pattern: { rows, cols, colPtr, rowIdx: Int32Array.from(rowIdx) }, map, nnz: rowIdx.length };
}

/**
 * Row equilibration of a CSC matrix's values in place: E_r = 1 / max_j |a_rj| (1 for an empty or
 * zero row), a_rj <- E_r a_rj. Used on A D by the SQP's QPs and the sensitivities (sensitivity.ts).
 */
export function equilibrateRows(pattern: CscPattern, values: Float64Array, E: Float64Array): void {
  E.fill(0);
  const { cols, colPtr, rowIdx } = pattern;
  for (let j = 0; j < cols; j++) for (let p = colPtr[j]; p < colPtr[j + 1]; p++) E[rowIdx[p]] = Math.max(E[rowIdx[p]], Math.abs(values[p]));
  for (let r = 0; r < E.length; r++) E[r] = E[r] > 0 && Number.isFinite(E[r]) ? 1 / E[r] : 1;
  for (let j = 0; j < cols; j++) for (let p = colPtr[j]; p < colPtr[j + 1]; p++) values[p] *= E[rowIdx[p]];
}

export class MultipleShootingSqp {
  readonly model: OcpModel;
  readonly nx: number;
  readonly nu: number;
  readonly N: number;
  readonly nTheta: number;
  readonly nRuntime: number;
  /** Rows of h_k, h_N, soft c_k; residual sizes. */
  readonly nh: number;
  readonly nhN: number;
  readonly ns: number;
  /** Rows of the terminal soft constraint c_N. */
  readonly nsN: number;
  readonly nr: number;
  readonly nrN: number;
  /** Number of variables and constraint rows. */
  readonly n: number;
  readonly m: number;
  /** Row offsets. */
  readonly rowDyn: number;
  readonly rowHard: number;
  readonly rowHardN: number;
  readonly rowSoft: number;
  readonly rowSoftN: number;
  readonly rowBound: number;
  /** Row of the box of u_0[i] (always present: the Q function fixes u_0 there). */
  readonly rowU0: Int32Array;
  /** The primal-dual iterate (y: OSQP's convention, L = f + y'c). */
  readonly z: Float64Array;
  readonly y: Float64Array;
  /** theta and runtime values used by the next solve. */
  readonly theta: Float64Array;
  readonly rt: Float64Array;
  /** NLP bounds of every row and c(z) at the last linearization. */
  readonly lc: Float64Array;
  readonly uc: Float64Array;
  readonly c: Float64Array;
  /** Objective and gradient at the last linearization. */
  objective = NaN;
  readonly grad: Float64Array;
  /** The QP (P upper triangle; A = J(z)); values rewritten at every linearization. */
  readonly qp: QpProblem;
  /** Working set of the active-set solver (the last QP's active set). */
  readonly active: Int8Array;
  /** Per-stage integrators (their `out` holds F_k and its Jacobians at the last linearization). */
  readonly integ: ShootingInterval[];
  /** Stage outputs at the last linearization (k = 0..N-1; terminal separately). */
  readonly resOut: StageOut[];
  readonly conOut: StageOut[];
  readonly softOut: StageOut[];
  readonly softN: StageOut;
  /** The soft constraints' theta-dependent L2 weight factors (SoftConstraint.weight) at the last
   *  evaluation, per stage and terminal (empty without them). */
  readonly softW: StageOut[];
  readonly softWN: StageOut;
  /** The L2 weight of every slack at the last evaluation: l2[i] (times weight w_k[i] where given),
   *  path slack (k, i) at k * ns + i, terminal slack i at N * ns + i. */
  readonly l2Eff: Float64Array;
  readonly genOut: GeneralCostOut[];
  readonly resN: StageOut;
  readonly conN: StageOut;
  readonly genN: GeneralCostOut;
  readonly genVal: Float64Array;
  genValN = 0;
  /** Discount factors gamma^k, k = 0..N. */
  readonly gamma: Float64Array;
  readonly rowKind: Int8Array;
  private readonly rowStage: Int32Array;
  private readonly shiftSrc: Int32Array;
  private readonly options: Required<Omit<SqpOptions, "admm">> & { admm: Partial<QpSettings> };
  /** Column scaling D of the QP variables, and the factors of P's (D_i D_j) and A's (D_j) values. */
  readonly colScale: Float64Array;
  private readonly pFac: Float64Array;
  private readonly aFac: Float64Array;
  private readonly scaled: boolean;
  private readonly pS: Float64Array;
  private readonly qS: Float64Array;
  private readonly aS: Float64Array;
  private readonly qpS: QpProblem;
  private readonly boundVar: Int32Array;
  /** Positions in P's values of stage k's (x_k, u_k) block ((nx+nu)^2 row-major; -1 below the
   *  diagonal), of the terminal (x_N) block and of the slacks' diagonal. */
  readonly pStage: Int32Array[];
  readonly pTerm: Int32Array;
  readonly pSlack: Int32Array;
  private readonly aDynFx: Int32Array[];
  private readonly aDynFu: Int32Array[];
  private readonly aHx: Int32Array[];
  private readonly aHu: Int32Array[];
  private readonly aHN: Int32Array;
  private readonly aSx: Int32Array[];
  private readonly aSu: Int32Array[];
  private readonly aSN: Int32Array;
  private readonly asqp: ActiveSetQp;
  private readonly asqpRelaxed: ActiveSetQp;
  private admm: QpSolver | undefined;
  private readonly zTrial: Float64Array;
  private readonly meritW: Float64Array;
  private readonly d: Float64Array;
  private readonly yQp: Float64Array;
  private readonly jty: Float64Array;
  private readonly blk: Float64Array;
  private readonly blkL: Float64Array;
  private readonly hsTmp: Float64Array;
  private readonly wRes: Float64Array;
  private readonly wResN: Float64Array;
  private readonly wDyn: Float64Array;
  private readonly wHard: Float64Array;
  private readonly wHardN: Float64Array;
  private readonly wSoft: Float64Array;
  private readonly wSoftN: Float64Array;
  private readonly empty = new Float64Array(0);
  private readonly uEmpty = new Float64Array(0);
  private readonly xv: Float64Array;
  private readonly uv: Float64Array;
  private readonly work: Float64Array;
  private readonly shiftTmp: Float64Array;
  private readonly shiftTmpA: Int8Array;
  /** Whether z/y hold an iterate (false until the first solve or after reset). */
  initialized = false;
  /** Statistics of the last solve / RTI. */
  stats: NlpStats = { status: "invalid_input", iterations: 0, residual: NaN, time: 0, admmFallbacks: 0 };
  private prepared = false;
  private prepTime = 0;
  /** Seconds of the last preparation phase (RTI). */
  get preparationTime(): number {
    return this.prepTime;
  }
  /** Cumulative fallbacks in the current call. */
  private fallbacks = 0;
  lastMessage = "";

  constructor(model: OcpModel, options: SqpOptions = {}) {
    this.model = model;
    const { nx, nu, N, nTheta } = model;
    this.nx = nx;
    this.nu = nu;
    this.N = N;
    this.nTheta = nTheta;
    this.nRuntime = model.nRuntime ?? 0;
    this.options = {
      tolerance: options.tolerance ?? 1e-8,
      maxIterations: options.maxIterations ?? 100,
      acceptableTolerance: options.acceptableTolerance ?? 1e-5,
      acceptableIterations: options.acceptableIterations ?? 10,
      hessian: options.hessian ?? "gauss_newton",
      armijo: options.armijo ?? 1e-4,
      minStep: options.minStep ?? 1e-10,
      admm: { ...ADMM_DEFAULTS, ...(options.admm ?? {}) },
      scaling: options.scaling ?? "bounds",
      convexify: options.convexify ?? "mirror",
    };
    if (this.options.hessian === "exact" && model.integrator.kind !== "discrete" && !model.dynamicsHessian) throw new TypeError("hessian: exact needs model.dynamicsHessian");
    const nh = (this.nh = model.constraint?.size ?? 0);
    const nhN = (this.nhN = model.terminalConstraint?.size ?? 0);
    const ns = (this.ns = model.softConstraint?.fn.size ?? 0);
    const nsN = (this.nsN = model.terminalSoftConstraint?.fn.size ?? 0);
    this.nr = model.residual?.size ?? 0;
    this.nrN = model.terminalResidual?.size ?? 0;
    const check = (a: Float64Array, len: number, name: string): void => {
      if (a.length !== len) throw new TypeError(`${name} has length ${a.length}, expected ${len}`);
    };
    check(model.xLower, (N + 1) * nx, "xLower");
    check(model.xUpper, (N + 1) * nx, "xUpper");
    check(model.uLower, N * nu, "uLower");
    check(model.uUpper, N * nu, "uUpper");
    const n = (this.n = (N + 1) * nx + N * nu + N * ns + nsN);
    const xOff = (k: number): number => k * nx;
    const uOff = (k: number): number => (N + 1) * nx + k * nu;
    const sOff = (k: number): number => (N + 1) * nx + N * nu + k * ns;
    this.rowDyn = nx;
    this.rowHard = nx + N * nx;
    this.rowHardN = this.rowHard + N * nh;
    this.rowSoft = this.rowHardN + nhN;
    this.rowSoftN = this.rowSoft + N * ns;
    this.rowBound = this.rowSoftN + nsN;
    // bound rows
    const bv: number[] = [];
    const bl: number[] = [];
    const bu: number[] = [];
    const bKind: number[] = [];
    const bStage: number[] = [];
    const rowU0 = new Int32Array(nu);
    for (let k = 1; k <= N; k++)
      for (let i = 0; i < nx; i++) {
        const lo = model.xLower[k * nx + i];
        const hi = model.xUpper[k * nx + i];
        if (lo > -Infinity || hi < Infinity) {
          bv.push(xOff(k) + i);
          bl.push(lo);
          bu.push(hi);
          bKind.push(K_XB);
          bStage.push(k);
        }
      }
    for (let k = 0; k < N; k++)
      for (let i = 0; i < nu; i++) {
        const lo = model.uLower[k * nu + i];
        const hi = model.uUpper[k * nu + i];
        if (k === 0 || lo > -Infinity || hi < Infinity) {
          if (k === 0) rowU0[i] = this.rowBound + bv.length;
          bv.push(uOff(k) + i);
          bl.push(lo);
          bu.push(hi);
          bKind.push(K_UB);
          bStage.push(k);
        }
      }
    for (let k = 0; k < N; k++)
      for (let i = 0; i < ns; i++) {
        bv.push(sOff(k) + i);
        bl.push(0);
        bu.push(Infinity);
        bKind.push(K_SB);
        bStage.push(k);
      }
    // eps_N >= 0 (stage N: the shift keeps these rows where they are)
    for (let i = 0; i < nsN; i++) {
      bv.push(sOff(N) + i);
      bl.push(0);
      bu.push(Infinity);
      bKind.push(K_SBN);
      bStage.push(N);
    }
    this.rowU0 = rowU0;
    this.boundVar = Int32Array.from(bv);
    const m = (this.m = this.rowBound + bv.length);
    this.lc = new Float64Array(m);
    this.uc = new Float64Array(m);
    this.rowKind = new Int8Array(m);
    this.rowStage = new Int32Array(m);
    for (let i = 0; i < nx; i++) this.rowKind[i] = K_PIN;
    for (let k = 0; k < N; k++)
      for (let i = 0; i < nx; i++) {
        const r = this.rowDyn + k * nx + i;
        this.rowKind[r] = K_DYN;
        this.rowStage[r] = k;
      }
    // hard rows: h <= 0, or h = 0 where constraintLower is 0
    const hardLower = (lower: ArrayLike<number> | undefined, size: number, what: string): ((j: number) => number) => {
      if (lower === undefined) return () => -Infinity;
      if (lower.length !== size) throw new TypeError(`${what}: ${lower.length} entries, expected ${size}`);
      for (let j = 0; j < size; j++) if (!(lower[j] === 0 || lower[j] === -Infinity)) throw new TypeError(`${what}[${j}] = ${lower[j]}: must be 0 (an equality) or -Infinity`);
      return (j) => lower[j];
    };
    const pathLower = hardLower(model.constraintLower, N * nh, "constraintLower");
    const termLower = hardLower(model.terminalConstraintLower, nhN, "terminalConstraintLower");
    for (let k = 0; k < N; k++)
      for (let i = 0; i < nh; i++) {
        const r = this.rowHard + k * nh + i;
        this.lc[r] = pathLower(k * nh + i);
        this.rowKind[r] = K_HARD;
        this.rowStage[r] = k;
      }
    for (let i = 0; i < nhN; i++) {
      this.lc[this.rowHardN + i] = termLower(i);
      this.rowKind[this.rowHardN + i] = K_HARDN;
      this.rowStage[this.rowHardN + i] = N;
    }
    for (let k = 0; k < N; k++)
      for (let i = 0; i < ns; i++) {
        const r = this.rowSoft + k * ns + i;
        this.lc[r] = -Infinity;
        this.rowKind[r] = K_SOFT;
        this.rowStage[r] = k;
      }
    for (let i = 0; i < nsN; i++) {
      const r = this.rowSoftN + i;
      this.lc[r] = -Infinity;
      this.rowKind[r] = K_SOFTN;
      this.rowStage[r] = N;
    }
    for (let b = 0; b < bv.length; b++) {
      const r = this.rowBound + b;
      this.lc[r] = bl[b];
      this.uc[r] = bu[b];
      this.rowKind[r] = bKind[b];
      this.rowStage[r] = bStage[b];
    }
    // shift map: row of stage k takes the value of the same row at stage k+1 (last stage: itself)
    const key = (kind: number, stage: number, local: number): string => `${kind}:${stage}:${local}`;
    const where = new Map<string, number>();
    const localOf = new Int32Array(m);
    for (let r = 0; r < m; r++) {
      const kind = this.rowKind[r];
      let local: number;
      if (kind === K_XB || kind === K_UB || kind === K_SB) {
        const v = this.boundVar[r - this.rowBound];
        local = kind === K_XB ? v - xOff(this.rowStage[r]) : kind === K_UB ? v - uOff(this.rowStage[r]) : v - sOff(this.rowStage[r]);
      } else if (kind === K_DYN) local = r - this.rowDyn - this.rowStage[r] * nx;
      else if (kind === K_HARD) local = r - this.rowHard - this.rowStage[r] * nh;
      else if (kind === K_SOFT) local = r - this.rowSoft - this.rowStage[r] * ns;
      else local = r;
      localOf[r] = local;
      where.set(key(kind, this.rowStage[r], local), r);
    }
    this.shiftSrc = new Int32Array(m);
    for (let r = 0; r < m; r++) {
      const kind = this.rowKind[r];
      if (kind === K_PIN || kind === K_HARDN || kind === K_SOFTN || kind === K_SBN) {
        this.shiftSrc[r] = r;
        continue;
      }
      const next = where.get(key(kind, this.rowStage[r] + 1, localOf[r]));
      this.shiftSrc[r] = next ?? (kind === K_XB ? -1 : r);
    }
    // ---- A pattern
    const ai: number[] = [];
    const aj: number[] = [];
    const reg = (r: number, c: number): number => {
      ai.push(r);
      aj.push(c);
      return ai.length - 1;
    };
    const constOnes: number[] = [];
    const constMinus: number[] = [];
    for (let i = 0; i < nx; i++) constOnes.push(reg(i, xOff(0) + i));
    const dynFx: number[][] = [];
    const dynFu: number[][] = [];
    const hx: number[][] = [];
    const hu: number[][] = [];
    const sx: number[][] = [];
    const su: number[][] = [];
    for (let k = 0; k < N; k++) {
      const r0 = this.rowDyn + k * nx;
      const fx: number[] = [];
      const fu: number[] = [];
      for (let i = 0; i < nx; i++) {
        for (let j = 0; j < nx; j++) fx.push(reg(r0 + i, xOff(k) + j));
        for (let j = 0; j < nu; j++) fu.push(reg(r0 + i, uOff(k) + j));
        constOnes.push(reg(r0 + i, xOff(k + 1) + i));
      }
      dynFx.push(fx);
      dynFu.push(fu);
      const h0 = this.rowHard + k * nh;
      const hxk: number[] = [];
      const huk: number[] = [];
      for (let i = 0; i < nh; i++) {
        for (let j = 0; j < nx; j++) hxk.push(reg(h0 + i, xOff(k) + j));
        for (let j = 0; j < nu; j++) huk.push(reg(h0 + i, uOff(k) + j));
      }
      hx.push(hxk);
      hu.push(huk);
      const s0 = this.rowSoft + k * ns;
      const sxk: number[] = [];
      const suk: number[] = [];
      for (let i = 0; i < ns; i++) {
        for (let j = 0; j < nx; j++) sxk.push(reg(s0 + i, xOff(k) + j));
        for (let j = 0; j < nu; j++) suk.push(reg(s0 + i, uOff(k) + j));
        constMinus.push(reg(s0 + i, sOff(k) + i));
      }
      sx.push(sxk);
      su.push(suk);
    }
    const hN: number[] = [];
    for (let i = 0; i < nhN; i++) for (let j = 0; j < nx; j++) hN.push(reg(this.rowHardN + i, xOff(N) + j));
    const sN: number[] = [];
    for (let i = 0; i < nsN; i++) {
      for (let j = 0; j < nx; j++) sN.push(reg(this.rowSoftN + i, xOff(N) + j));
      constMinus.push(reg(this.rowSoftN + i, sOff(N) + i));
    }
    for (let b = 0; b < bv.length; b++) constOnes.push(reg(this.rowBound + b, bv[b]));
    const A = buildCsc(m, n, ai, aj);
    const amap = (list: number[]): Int32Array => Int32Array.from(list, (t) => A.map[t]);
    this.aDynFx = dynFx.map(amap);
    this.aDynFu = dynFu.map(amap);
    this.aHx = hx.map(amap);
    this.aHu = hu.map(amap);
    this.aSx = sx.map(amap);
    this.aSu = su.map(amap);
    this.aHN = amap(hN);
    this.aSN = amap(sN);
    const aValues = new Float64Array(A.nnz);
    for (const t of constOnes) aValues[A.map[t]] = 1;
    for (const t of constMinus) aValues[A.map[t]] = -1;
    // ---- P pattern (upper triangle)
    const pi: number[] = [];
    const pj: number[] = [];
    const nxu = nx + nu;
    const stageT: number[][] = [];
    for (let k = 0; k < N; k++) {
      const g = (a: number): number => (a < nx ? xOff(k) + a : uOff(k) + a - nx);
      const t: number[] = [];
      for (let a = 0; a < nxu; a++)
        for (let b = 0; b < nxu; b++) {
          if (a <= b) {
            pi.push(g(a));
            pj.push(g(b));
            t.push(pi.length - 1);
          } else t.push(-1);
        }
      stageT.push(t);
    }
    const termT: number[] = [];
    for (let a = 0; a < nx; a++)
      for (let b = 0; b < nx; b++) {
        if (a <= b) {
          pi.push(xOff(N) + a);
          pj.push(xOff(N) + b);
          termT.push(pi.length - 1);
        } else termT.push(-1);
      }
    const slackT: number[] = [];
    for (let k = 0; k < N; k++)
      for (let i = 0; i < ns; i++) {
        pi.push(sOff(k) + i);
        pj.push(sOff(k) + i);
        slackT.push(pi.length - 1);
      }
    // terminal slacks after the path slacks: pSlack[N * ns + i]
    for (let i = 0; i < nsN; i++) {
      pi.push(sOff(N) + i);
      pj.push(sOff(N) + i);
      slackT.push(pi.length - 1);
    }
    const P = buildCsc(n, n, pi, pj);
    const pmap = (list: number[]): Int32Array => Int32Array.from(list, (t) => (t < 0 ? -1 : P.map[t]));
    this.pStage = stageT.map(pmap);
    this.pTerm = pmap(termT);
    this.pSlack = pmap(slackT);
    const Pcsc: Csc = { ...P.pattern, values: new Float64Array(P.nnz) };
    const Acsc: Csc = { ...A.pattern, values: aValues };
    this.qp = { n, m, P: Pcsc, q: new Float64Array(n), A: Acsc, l: new Float64Array(m), u: new Float64Array(m) };
    // ---- column scaling of the QPs (SqpOptions.scaling)
    const D = (this.colScale = new Float64Array(n).fill(1));
    if (this.options.scaling === "bounds") {
      const big = (a: number, b: number): number => Math.max(Number.isFinite(a) ? Math.abs(a) : 0, Number.isFinite(b) ? Math.abs(b) : 0);
      const xs = new Float64Array(nx);
      const us = new Float64Array(nu);
      for (let k = 1; k <= N; k++) for (let i = 0; i < nx; i++) xs[i] = Math.max(xs[i], big(model.xLower[k * nx + i], model.xUpper[k * nx + i]));
      for (let k = 0; k < N; k++) for (let i = 0; i < nu; i++) us[i] = Math.max(us[i], big(model.uLower[k * nu + i], model.uUpper[k * nu + i]));
      const carriedIdx = Array.from(model.carriedInputs ?? []);
      carriedIdx.forEach((c, j) => {
        const i = nx - carriedIdx.length + j;
        if (xs[i] === 0) xs[i] = us[c];
      });
      for (let k = 0; k <= N; k++) for (let i = 0; i < nx; i++) D[xOff(k) + i] = xs[i] > 0 ? xs[i] : 1;
      for (let k = 0; k < N; k++) for (let i = 0; i < nu; i++) D[uOff(k) + i] = us[i] > 0 ? us[i] : 1;
    }
    this.scaled = D.some((v) => v !== 1);
    this.pFac = new Float64Array(P.nnz);
    for (let j = 0; j < n; j++) for (let p = Pcsc.colPtr[j]; p < Pcsc.colPtr[j + 1]; p++) this.pFac[p] = D[Pcsc.rowIdx[p]] * D[j];
    this.aFac = new Float64Array(A.nnz);
    for (let j = 0; j < n; j++) for (let p = Acsc.colPtr[j]; p < Acsc.colPtr[j + 1]; p++) this.aFac[p] = D[j];
    this.pS = this.scaled ? new Float64Array(P.nnz) : Pcsc.values;
    this.qS = this.scaled ? new Float64Array(n) : this.qp.q;
    this.aS = this.scaled ? new Float64Array(A.nnz) : aValues;
    this.qpS = this.scaled ? { n, m, P: { ...P.pattern, values: this.pS }, q: this.qS, A: { ...A.pattern, values: this.aS }, l: this.qp.l, u: this.qp.u } : this.qp;
    // strict multiplier signs (1e-12 relative to |y|): the default 1e-9 accepts a wrong-sign
    // multiplier of 1e-9 |y|_inf as 0, which leaves a stationarity error of that size times the
    // row's Jacobian (large for soft rows with heavy penalties); the default one is the fallback
    this.asqp = new ActiveSetQp(P.pattern, A.pattern, { maxSets: 200, tolerance: 1e-12 });
    this.asqpRelaxed = new ActiveSetQp(P.pattern, A.pattern, { maxSets: 200 });
    this.active = new Int8Array(m);
    // ---- iterate and stage storage
    this.z = new Float64Array(n);
    this.y = new Float64Array(m);
    this.theta = new Float64Array(nTheta);
    this.rt = new Float64Array(this.nRuntime);
    this.c = new Float64Array(m);
    this.grad = new Float64Array(n);
    this.integ = [];
    const carried = model.carriedInputs ?? [];
    const nxm = nx - carried.length;
    if (nxm < 1) throw new TypeError(`carriedInputs: ${carried.length} carried inputs leave no model state (nx = ${nx})`);
    const delayed = model.dynamicsReadsCarried === true && carried.length > 0;
    for (let k = 0; k < N; k++) {
      // an input delay: the carried previous inputs enter F as inputs constant over the interval
      const dyn = delayed ? delayedDynamics(model.dynamics.bind(model), model.dynamicsHessian?.bind(model), nxm, carried.length, nu, nTheta) : undefined;
      const inner = dyn
        ? new StepIntegrator(nxm, nu + carried.length, nTheta, dyn.f, model.integrator, dyn.hessian)
        : new StepIntegrator(nxm, nu, nTheta, model.dynamics.bind(model), model.integrator, model.dynamicsHessian?.bind(model));
      // the iterations need no dF/dtheta: `linearizeTheta` adds it at the solution
      inner.thetaColumns = false;
      this.integ.push(carried.length > 0 ? new CarryIntegrator(inner, carried, delayed) : inner);
    }
    this.resOut = [];
    this.conOut = [];
    this.softOut = [];
    this.softW = [];
    this.genOut = [];
    const nsW = model.softConstraint?.weight !== undefined ? ns : 0;
    const nsWN = model.terminalSoftConstraint?.weight !== undefined ? nsN : 0;
    for (const [fn, size, what] of [
      [model.softConstraint?.weight, ns, "softConstraint.weight"],
      [model.terminalSoftConstraint?.weight, nsN, "terminalSoftConstraint.weight"],
    ] as const) {
      if (fn !== undefined && fn.size !== size) throw new TypeError(`${what} has ${fn.size} rows, expected ${size}`);
    }
    for (let k = 0; k < N; k++) {
      this.resOut.push(stageOut(this.nr, nx, nu, nTheta));
      this.conOut.push(stageOut(nh, nx, nu, nTheta));
      this.softOut.push(stageOut(ns, nx, nu, nTheta));
      this.softW.push(stageOut(nsW, nx, nu, nTheta));
      this.genOut.push({ gx: new Float64Array(nx), gu: new Float64Array(nu), gtheta: new Float64Array(nTheta) });
    }
    this.resN = stageOut(this.nrN, nx, 0, nTheta);
    this.conN = stageOut(nhN, nx, 0, nTheta);
    this.softN = stageOut(nsN, nx, 0, nTheta);
    this.softWN = stageOut(nsWN, nx, 0, nTheta);
    this.l2Eff = new Float64Array(N * ns + nsN);
    this.genN = { gx: new Float64Array(nx), gu: new Float64Array(0), gtheta: new Float64Array(nTheta) };
    this.genVal = new Float64Array(N);
    this.gamma = new Float64Array(N + 1);
    const disc = model.discount ?? 1;
    for (let k = 0; k <= N; k++) this.gamma[k] = disc ** k;
    this.zTrial = new Float64Array(n);
    this.evalZ = new Float64Array(n);
    this.evalTheta = new Float64Array(nTheta);
    this.evalRt = new Float64Array(this.nRuntime);
    this.zLin = new Float64Array(n);
    this.meritW = new Float64Array(m);
    this.d = new Float64Array(n);
    this.yQp = new Float64Array(m);
    this.jty = new Float64Array(n);
    const nv = nxu + nTheta;
    this.blk = new Float64Array(nv * nv);
    this.blkL = new Float64Array(nxu * nxu);
    this.eigV = new Float64Array(nxu * nxu);
    this.eigVal = new Float64Array(nxu);
    this.hsTmp = new Float64Array(nv * nv);
    this.wRes = new Float64Array(this.nr);
    this.wResN = new Float64Array(this.nrN);
    this.wDyn = new Float64Array(nx);
    this.wHard = new Float64Array(nh);
    this.wHardN = new Float64Array(nhN);
    this.wSoft = new Float64Array(ns);
    this.wSoftN = new Float64Array(nsN);
    this.xv = new Float64Array(nx);
    this.uv = new Float64Array(nu);
    this.work = new Float64Array(nxu * nxu);
    this.shiftTmp = new Float64Array(Math.max(n, m));
    this.shiftTmpA = new Int8Array(m);
  }

  xOff(k: number): number {
    return k * this.nx;
  }
  uOff(k: number): number {
    return (this.N + 1) * this.nx + k * this.nu;
  }
  sOff(k: number): number {
    return (this.N + 1) * this.nx + this.N * this.nu + k * this.ns;
  }

  /** Sets the measured state (rows x_0 = xhat). */
  setInitialState(xhat: ArrayLike<number>): void {
    for (let i = 0; i < this.nx; i++) this.lc[i] = this.uc[i] = xhat[i];
  }

  /** Fixes u_0 (Q function) or restores its boxes (input undefined). */
  fixFirstInput(input: ArrayLike<number> | undefined): void {
    for (let i = 0; i < this.nu; i++) {
      const r = this.rowU0[i];
      if (input === undefined) {
        this.lc[r] = this.model.uLower[i];
        this.uc[r] = this.model.uUpper[i];
      } else this.lc[r] = this.uc[r] = input[i];
    }
  }

  /** Cold initial guess: x = xhat on every node, u = 0 clipped to its boxes, slacks 0, y = 0. */
  coldStart(xhat: ArrayLike<number>): void {
    const { nx, nu, N, z } = this;
    z.fill(0);
    for (let k = 0; k <= N; k++) for (let i = 0; i < nx; i++) z[this.xOff(k) + i] = xhat[i];
    for (let k = 0; k < N; k++)
      for (let i = 0; i < nu; i++) z[this.uOff(k) + i] = Math.min(Math.max(0, this.model.uLower[k * nu + i]), this.model.uUpper[k * nu + i]);
    this.y.fill(0);
    this.active.fill(0);
    this.initialized = true;
  }

  /**
   * Shifts the iterate by one stage: x_k <- x_{k+1}, u_k <- u_{k+1}, eps_k <- eps_{k+1}, the last
   * input kept, x_N <- F(x_N, u_{N-1}) (re-simulated); multipliers and working set likewise.
   */
  shift(): boolean {
    const { nx, nu, ns, N, z, y, active, m } = this;
    this.thetaFresh = false;
    this.evalValid = false;
    z.copyWithin(0, nx, (N + 1) * nx);
    const u0 = this.uOff(0);
    z.copyWithin(u0, u0 + nu, u0 + N * nu);
    if (ns > 0) {
      const s0 = this.sOff(0);
      z.copyWithin(s0, s0 + ns, s0 + N * ns);
    }
    // last node
    for (let i = 0; i < nx; i++) this.xv[i] = z[this.xOff(N - 1) + i];
    for (let i = 0; i < nu; i++) this.uv[i] = z[this.uOff(N - 1) + i];
    const out = this.integ[N - 1].step(this.xv, this.uv, this.theta, this.rt);
    let finite = true;
    for (let i = 0; i < nx; i++) {
      z[this.xOff(N) + i] = out.f[i];
      if (!Number.isFinite(out.f[i])) finite = false;
    }
    const ty = this.shiftTmp;
    const ta = this.shiftTmpA;
    for (let r = 0; r < m; r++) {
      const s = this.shiftSrc[r];
      ty[r] = s < 0 ? 0 : y[s];
      ta[r] = s < 0 ? 0 : active[s];
    }
    for (let r = 0; r < m; r++) {
      y[r] = ty[r];
      active[r] = ta[r] as -1 | 0 | 1;
    }
    return finite;
  }

  // ---------------------------------------------------------------- evaluation

  /** Evaluates f(z) and c(z) (and, with `linearize`, gradient, Jacobian values and Hessian) at z.
   *  Returns f; `evalOk` is false after a non-finite value. */
  private evalOk = true;
  private evaluate(z: Float64Array, linearize: boolean): number {
    const { model, nx, nu, N, nh, ns, theta, rt, c, xv, uv } = this;
    this.thetaFresh = false;
    let f = 0;
    let ok = true;
    for (let k = 0; k <= N; k++) {
      const g = this.gamma[k];
      for (let i = 0; i < nx; i++) xv[i] = z[this.xOff(k) + i];
      const uk = k < N ? uv : this.uEmpty;
      if (k < N) for (let i = 0; i < nu; i++) uv[i] = z[this.uOff(k) + i];
      const res = k < N ? model.residual : model.terminalResidual;
      const ro = k < N ? this.resOut[k] : this.resN;
      if (res) {
        res.eval(k, xv, uk, theta, rt, ro);
        let s = 0;
        for (let i = 0; i < res.size; i++) s += ro.value[i] * ro.value[i];
        f += g * s;
      }
      const gen = k < N ? model.general : model.terminalGeneral;
      if (gen) {
        const v = gen.eval(k, xv, uk, theta, rt, k < N ? this.genOut[k] : this.genN);
        if (k < N) this.genVal[k] = v;
        else this.genValN = v;
        f += g * v;
      }
      if (k < N) {
        const out = this.integ[k].step(xv, uv, theta, rt);
        const r0 = this.rowDyn + k * nx;
        for (let i = 0; i < nx; i++) c[r0 + i] = z[this.xOff(k + 1) + i] - out.f[i];
        if (model.constraint) {
          model.constraint.eval(k, xv, uv, theta, rt, this.conOut[k]);
          c.set(this.conOut[k].value, this.rowHard + k * nh);
        }
        if (model.softConstraint) {
          const so = this.softOut[k];
          model.softConstraint.fn.eval(k, xv, uv, theta, rt, so);
          const { l1, l2, weight } = model.softConstraint;
          if (weight) weight.eval(k, xv, uv, theta, rt, this.softW[k]);
          const w = this.softW[k].value;
          for (let i = 0; i < ns; i++) {
            const s = z[this.sOff(k) + i];
            const q = weight ? l2[i] * w[i] : l2[i];
            this.l2Eff[k * ns + i] = q;
            c[this.rowSoft + k * ns + i] = so.value[i] - s;
            f += g * (l1[i] * s + q * s * s);
          }
        }
      } else {
        if (model.terminalConstraint) {
          model.terminalConstraint.eval(k, xv, uk, theta, rt, this.conN);
          c.set(this.conN.value, this.rowHardN);
        }
        if (model.terminalSoftConstraint) {
          const so = this.softN;
          model.terminalSoftConstraint.fn.eval(k, xv, uk, theta, rt, so);
          const { l1, l2, weight } = model.terminalSoftConstraint;
          if (weight) weight.eval(k, xv, uk, theta, rt, this.softWN);
          const w = this.softWN.value;
          for (let i = 0; i < this.nsN; i++) {
            const s = z[this.sOff(N) + i];
            const q = weight ? l2[i] * w[i] : l2[i];
            this.l2Eff[N * ns + i] = q;
            c[this.rowSoftN + i] = so.value[i] - s;
            f += g * (l1[i] * s + q * s * s);
          }
        }
      }
    }
    for (let i = 0; i < nx; i++) c[i] = z[i];
    for (let b = 0; b < this.boundVar.length; b++) c[this.rowBound + b] = z[this.boundVar[b]];
    if (!Number.isFinite(f)) ok = false;
    for (let r = 0; r < this.m && ok; r++) if (!Number.isFinite(c[r])) ok = false;
    if (linearize && ok) this.fillLinearization(z);
    this.evalOk = ok;
    this.evalZ.set(z);
    this.evalTheta.set(theta);
    this.evalRt.set(rt);
    this.evalF = f;
    this.evalValid = true;
    return f;
  }

  /** Fills grad, A values and P values from the stage outputs of the last `evaluate`. */
  private fillLinearization(z: Float64Array): void {
    const { model, nx, nu, N, nh, ns, qp, grad, nTheta } = this;
    const Av = qp.A.values;
    const Pv = qp.P.values;
    grad.fill(0);
    Pv.fill(0);
    const nxu = nx + nu;
    const nv = nxu + nTheta;
    const exact = this.options.hessian === "exact";
    for (let k = 0; k < N; k++) {
      const g = this.gamma[k];
      const out = this.integ[k].out;
      const fxm = this.aDynFx[k];
      const fum = this.aDynFu[k];
      for (let t = 0; t < nx * nx; t++) Av[fxm[t]] = -out.fx[t];
      for (let t = 0; t < nx * nu; t++) Av[fum[t]] = -out.fu[t];
      if (model.constraint) {
        const co = this.conOut[k];
        const hxm = this.aHx[k];
        const hum = this.aHu[k];
        for (let t = 0; t < nh * nx; t++) Av[hxm[t]] = co.jx[t];
        for (let t = 0; t < nh * nu; t++) Av[hum[t]] = co.ju[t];
      }
      if (model.softConstraint) {
        const so = this.softOut[k];
        const sxm = this.aSx[k];
        const sum = this.aSu[k];
        for (let t = 0; t < ns * nx; t++) Av[sxm[t]] = so.jx[t];
        for (let t = 0; t < ns * nu; t++) Av[sum[t]] = so.ju[t];
        const { l1 } = model.softConstraint;
        const l2 = this.l2Eff;
        for (let i = 0; i < ns; i++) {
          const v = this.sOff(k) + i;
          grad[v] = g * (l1[i] + 2 * l2[k * ns + i] * z[v]);
          Pv[this.pSlack[k * ns + i]] = g * 2 * l2[k * ns + i];
        }
      }
      // gradient of the stage cost
      const ro = this.resOut[k];
      if (model.residual) {
        const nr = model.residual.size;
        for (let i = 0; i < nr; i++) {
          const ri = 2 * g * ro.value[i];
          for (let j = 0; j < nx; j++) grad[this.xOff(k) + j] += ri * ro.jx[i * nx + j];
          for (let j = 0; j < nu; j++) grad[this.uOff(k) + j] += ri * ro.ju[i * nu + j];
        }
      }
      if (model.general) {
        const go = this.genOut[k];
        for (let j = 0; j < nx; j++) grad[this.xOff(k) + j] += g * go.gx[j];
        for (let j = 0; j < nu; j++) grad[this.uOff(k) + j] += g * go.gu[j];
      }
      // Hessian block
      const blk = this.blk;
      this.stageHessian(k, exact, blk);
      this.convexifyInto(blk, nxu, nv, this.pStage[k], Pv, exact || model.general !== undefined);
    }
    // terminal
    {
      const g = this.gamma[N];
      if (model.terminalResidual) {
        const ro = this.resN;
        for (let i = 0; i < model.terminalResidual.size; i++) {
          const ri = 2 * g * ro.value[i];
          for (let j = 0; j < nx; j++) grad[this.xOff(N) + j] += ri * ro.jx[i * nx + j];
        }
      }
      if (model.terminalGeneral) for (let j = 0; j < nx; j++) grad[this.xOff(N) + j] += g * this.genN.gx[j];
      if (model.terminalConstraint) {
        const co = this.conN;
        for (let t = 0; t < this.nhN * nx; t++) Av[this.aHN[t]] = co.jx[t];
      }
      if (model.terminalSoftConstraint) {
        const so = this.softN;
        for (let t = 0; t < this.nsN * nx; t++) Av[this.aSN[t]] = so.jx[t];
        const { l1 } = model.terminalSoftConstraint;
        const l2 = this.l2Eff;
        for (let i = 0; i < this.nsN; i++) {
          const v = this.sOff(N) + i;
          grad[v] = g * (l1[i] + 2 * l2[N * this.ns + i] * z[v]);
          Pv[this.pSlack[N * this.ns + i]] = g * 2 * l2[N * this.ns + i];
        }
      }
      const nvN = nx + nTheta;
      this.stageHessian(N, exact, this.blk);
      this.convexifyInto(this.blk, nx, nvN, this.pTerm, Pv, exact || model.terminalGeneral !== undefined);
    }
  }

  private readonly eigV: Float64Array;
  private readonly eigVal: Float64Array;

  /** Copies the leading nb x nb block of blk (row stride nv), convexified, into P through map. */
  private convexifyInto(blk: Float64Array, nb: number, nv: number, map: Int32Array, Pv: Float64Array, convexify: boolean): void {
    const w = this.work;
    let needs = false;
    for (let a = 0; a < nb; a++) for (let b = 0; b < nb; b++) w[a * nb + b] = blk[a * nv + b];
    // fast path: diagonal dominance with nonnegative diagonal is PSD (Gauss-Newton blocks: PSD by construction)
    for (let a = 0; a < nb && convexify && !needs; a++) {
      let off = 0;
      for (let b = 0; b < nb; b++) if (b !== a) off += Math.abs(w[a * nb + b]);
      if (w[a * nb + a] < off) needs = true;
    }
    let tau = 0;
    if (needs && this.options.convexify !== "identity") {
      // only the eigenvalues below eps change (the block's positive curvature is kept)
      convexifyEigen(w, nb, this.blkL, this.eigV, this.eigVal, this.options.convexify);
    } else if (needs) {
      // Cholesky with added identity (N&W Alg. 3.3); tau = 0 when the block is positive definite
      tau = choleskyAddedIdentity(w, nb, this.blkL, 1e-8);
      if (!Number.isFinite(tau)) tau = 0;
      if (tau > 0) {
        let scale = 0;
        for (let a = 0; a < nb; a++) scale = Math.max(scale, Math.abs(w[a * nb + a]));
        tau = Math.max(tau, 1e-8 * scale);
      }
    }
    for (let a = 0; a < nb; a++)
      for (let b = a; b < nb; b++) {
        const p = map[a * nb + b];
        Pv[p] += w[a * nb + b] + (a === b ? tau : 0);
      }
  }

  /**
   * Hessian of stage k's part of the Lagrangian w.r.t. (x_k, u_k, theta) (nv x nv, row-major;
   * u absent at k = N): Gauss-Newton 2 gamma^k J'J (exact = false) or the exact one with the
   * multipliers y (dynamics rows of stage k, hard and soft rows of stage k). At the last
   * linearization's point.
   */
  stageHessian(k: number, exact: boolean, out: Float64Array): void {
    const { model, nx, nu, N, nTheta, theta, rt, xv, uv, y } = this;
    const nuk = k < N ? nu : 0;
    const nv = nx + nuk + nTheta;
    out.fill(0, 0, nv * nv);
    const g = this.gamma[k];
    const ro = k < N ? this.resOut[k] : this.resN;
    const res = k < N ? model.residual : model.terminalResidual;
    for (let i = 0; i < nx; i++) xv[i] = this.z[this.xOff(k) + i];
    const uk = k < N ? uv : this.uEmpty;
    if (k < N) for (let i = 0; i < nu; i++) uv[i] = this.z[this.uOff(k) + i];
    if (res) {
      const nr = res.size;
      // 2 g J'J with J = [jx ju jtheta]
      for (let i = 0; i < nr; i++) {
        for (let a = 0; a < nv; a++) {
          const ja = a < nx ? ro.jx[i * nx + a] : a < nx + nuk ? ro.ju[i * nuk + a - nx] : ro.jtheta[i * nTheta + a - nx - nuk];
          if (ja === 0) continue;
          for (let b = 0; b < nv; b++) {
            const jb = b < nx ? ro.jx[i * nx + b] : b < nx + nuk ? ro.ju[i * nuk + b - nx] : ro.jtheta[i * nTheta + b - nx - nuk];
            out[a * nv + b] += 2 * g * ja * jb;
          }
        }
      }
      if (exact && res.hessian) {
        const w = k < N ? this.wRes : this.wResN;
        for (let i = 0; i < nr; i++) w[i] = 2 * g * ro.value[i];
        res.hessian(k, xv, uk, theta, rt, w, this.hsTmp);
        for (let t = 0; t < nv * nv; t++) out[t] += this.hsTmp[t];
      }
    }
    const gen = k < N ? model.general : model.terminalGeneral;
    if (gen) {
      gen.hessian(k, xv, uk, theta, rt, g, this.hsTmp);
      for (let t = 0; t < nv * nv; t++) out[t] += this.hsTmp[t];
    }
    if (!exact) return;
    if (k < N) {
      // dynamics rows c = x_{k+1} - F: -y'F
      const wd = this.wDyn;
      for (let i = 0; i < nx; i++) wd[i] = -y[this.rowDyn + k * nx + i];
      this.integ[k].hessian(wd, out);
      if (model.constraint?.hessian) {
        const wh = this.wHard;
        for (let i = 0; i < this.nh; i++) wh[i] = y[this.rowHard + k * this.nh + i];
        model.constraint.hessian(k, xv, uv, theta, rt, wh, this.hsTmp);
        for (let t = 0; t < nv * nv; t++) out[t] += this.hsTmp[t];
      }
      if (model.softConstraint?.fn.hessian) {
        const ws = this.wSoft;
        for (let i = 0; i < this.ns; i++) ws[i] = y[this.rowSoft + k * this.ns + i];
        model.softConstraint.fn.hessian(k, xv, uv, theta, rt, ws, this.hsTmp);
        for (let t = 0; t < nv * nv; t++) out[t] += this.hsTmp[t];
      }
    } else {
      if (model.terminalConstraint?.hessian) {
        const wn = this.wHardN;
        for (let i = 0; i < this.nhN; i++) wn[i] = y[this.rowHardN + i];
        model.terminalConstraint.hessian(k, xv, uk, theta, rt, wn, this.hsTmp);
        for (let t = 0; t < nv * nv; t++) out[t] += this.hsTmp[t];
      }
      if (model.terminalSoftConstraint?.fn.hessian) {
        const ws = this.wSoftN;
        for (let i = 0; i < this.nsN; i++) ws[i] = y[this.rowSoftN + i];
        model.terminalSoftConstraint.fn.hessian(k, xv, uk, theta, rt, ws, this.hsTmp);
        for (let t = 0; t < nv * nv; t++) out[t] += this.hsTmp[t];
      }
    }
  }

  /** Re-evaluates everything (values, Jacobians, Hessian) at the current iterate. */
  linearize(): boolean {
    if (this.evalValid && sameValues(this.evalZ, this.z) && sameValues(this.evalTheta, this.theta) && sameValues(this.evalRt, this.rt)) {
      this.objective = this.evalF;
      if (this.evalOk) this.fillLinearization(this.z);
    } else this.objective = this.evaluate(this.z, true);
    this.zLin.set(this.z);
    return this.evalOk;
  }

  /** The point of the last linearization (an RTI feedback moves z past it). */
  private readonly zLin: Float64Array;

  /** Whether the intervals' theta derivatives belong to the current iterate. */
  private thetaFresh = false;
  /** The point, theta and runtime values of the last evaluation whose model outputs (the
   *  intervals', residuals', costs' and constraints') are still in place, its objective and
   *  verdict: linearize() at that point reuses them instead of evaluating again (the line search's
   *  accepted trial point is the next iterate). Invariant: only evaluate() writes those outputs
   *  and `c`; any other code that steps an integrator or evaluates a model function into them
   *  (shift(), linearizeTheta()) clears evalValid. */
  private evalValid = false;
  private evalF = NaN;
  private readonly evalZ: Float64Array;
  private readonly evalTheta: Float64Array;
  private readonly evalRt: Float64Array;

  /**
   * The dynamics' theta derivatives (each interval's ftheta and the theta part of its Hessian) at
   * the point of the last linearization (zLin; z itself after a solve), so that they match the
   * other derivatives the sensitivities read there: the iterations run
   * without them (StepIntegrator.thetaColumns: nx + nu sensitivity columns instead of nx + nu +
   * nTheta), so the learning derivatives (sensitivity.ts) ask for them once, at the solution.
   */
  linearizeTheta(): void {
    if (this.thetaFresh) return;
    this.evalValid = false;
    const { nx, nu, N, theta, rt, xv, uv, zLin: z } = this;
    for (let k = 0; k < N; k++) {
      for (let i = 0; i < nx; i++) xv[i] = z[this.xOff(k) + i];
      for (let i = 0; i < nu; i++) uv[i] = z[this.uOff(k) + i];
      const it = this.integ[k];
      it.thetaColumns = true;
      it.step(xv, uv, theta, rt);
      it.thetaColumns = false;
    }
    this.thetaFresh = true;
  }

  /** QP bounds from the NLP bounds and c(z). */
  private fillBounds(): void {
    const { qp, lc, uc, c } = this;
    for (let r = 0; r < this.m; r++) {
      qp.l[r] = lc[r] - c[r];
      qp.u[r] = uc[r] - c[r];
    }
  }

  /** Scaled KKT residual at (z, y) from the last linearization. */
  kktResidual(): number {
    const { qp, grad, c, lc, uc, y, jty, n } = this;
    const A = qp.A;
    jty.fill(0);
    for (let j = 0; j < n; j++) for (let p = A.colPtr[j]; p < A.colPtr[j + 1]; p++) jty[j] += A.values[p] * y[A.rowIdx[p]];
    let stat = 0;
    let gmax = 1;
    for (let j = 0; j < n; j++) {
      stat = Math.max(stat, Math.abs(grad[j] + jty[j]));
      gmax = Math.max(gmax, Math.abs(grad[j]), Math.abs(jty[j]));
    }
    let prim = 0;
    let cmax = 1;
    let comp = 0;
    for (let r = 0; r < this.m; r++) {
      const v = c[r];
      cmax = Math.max(cmax, Math.abs(v));
      prim = Math.max(prim, lc[r] - v, v - uc[r]);
      if (lc[r] === uc[r]) continue;
      const yr = y[r];
      if (yr > 0) comp = Math.max(comp, uc[r] < Infinity ? yr * Math.max(0, uc[r] - v) : yr * cmax);
      else if (yr < 0) comp = Math.max(comp, lc[r] > -Infinity ? -yr * Math.max(0, v - lc[r]) : -yr * cmax);
    }
    return Math.max(stat / gmax, prim / cmax, comp / gmax);
  }

  /** Solves the current QP into d / yQp. Returns a status. */
  private solveQp(): "ok" | "qp_failed" | "infeasible" {
    // the scaled QP (SqpOptions.scaling): P~ = D P D, q~ = D q, A~ = A D (rows as they are: the
    // active-set solver's multiplier tests are tuned to them); d = D d~, the same y
    if (this.scaled) {
      const { qp, pS, qS, aS, pFac, aFac, colScale } = this;
      const Pv = qp.P.values;
      const Av = qp.A.values;
      for (let p = 0; p < pS.length; p++) pS[p] = Pv[p] * pFac[p];
      for (let p = 0; p < aS.length; p++) aS[p] = Av[p] * aFac[p];
      for (let j = 0; j < qS.length; j++) qS[j] = qp.q[j] * colScale[j];
    }
    const st = this.solveScaledQp();
    if (st === "ok" && this.scaled) for (let j = 0; j < this.n; j++) this.d[j] *= this.colScale[j];
    return st;
  }

  private solveScaledQp(): "ok" | "qp_failed" | "infeasible" {
    const { asqp, active } = this;
    const qp = this.qpS;
    // 1. the strict active-set solver from the previous working set; 2. the default-tolerance
    // one from where the first stopped
    if (this.tryActiveSet(asqp) || this.tryActiveSet(this.asqpRelaxed)) return "ok";
    // 3. ADMM (created on first use), then exact from its active set
    this.fallbacks++;
    if (this.admm === undefined) this.admm = new QpSolver(qp, this.options.admm);
    const admm = this.admm;
    admm.updatePValues(qp.P.values);
    admm.updateAValues(qp.A.values);
    admm.updateQ(qp.q);
    admm.updateBounds(qp.l, qp.u);
    const res = admm.solve();
    if (res.status === "primal_infeasible") return "infeasible";
    if (res.status !== "solved" && res.status !== "solved_inaccurate") {
      this.lastMessage = `QP: active set did not settle, ADMM ${res.status}`;
      return "qp_failed";
    }
    for (let r = 0; r < this.m; r++) active[r] = res.y[r] > 1e-9 ? 1 : res.y[r] < -1e-9 ? -1 : 0;
    if (this.tryActiveSet(asqp) || this.tryActiveSet(this.asqpRelaxed)) return "ok";
    if (res.status === "solved" && res.polishStatus === "success") {
      this.d.set(res.x);
      this.yQp.set(res.y);
      return "ok";
    }
    this.lastMessage = `QP: active set did not settle, ADMM ${res.status} (polish ${res.polishStatus})`;
    return "qp_failed";
  }

  private tryActiveSet(solver: ActiveSetQp): boolean {
    const { active } = this;
    const qp = this.qpS;
    const st = solver.solve(qp.P.values, qp.q, qp.A.values, qp.l, qp.u, active);
    if (st !== "solved") return false;
    this.d.set(solver.x);
    this.yQp.set(solver.y);
    return true;
  }

  /** Weighted l1 norm of the constraint violation at c (weights meritW). */
  private violation(): number {
    const { c, lc, uc, meritW } = this;
    let v = 0;
    for (let r = 0; r < this.m; r++) v += meritW[r] * (Math.max(0, lc[r] - c[r]) + Math.max(0, c[r] - uc[r]));
    return v;
  }

  /**
   * Full SQP from the current iterate (call `coldStart` or `shift` first, and setInitialState).
   * Leaves the linearization at the returned point (for sensitivities).
   */
  solve(): NlpStats {
    const t0 = now();
    this.fallbacks = 0;
    this.lastMessage = "";
    const { n, z, y, d, yQp, zTrial } = this;
    // x_0 at the measured state (a feasible start for the pinned rows)
    for (let i = 0; i < this.nx; i++) z[i] = this.lc[i];
    let status: NlpStatus = "max_iterations";
    let residual = NaN;
    let it = 0;
    let acceptable = 0;
    let acceptStart = Infinity;
    const eta = this.options.armijo;
    for (;;) {
      if (!this.linearize()) {
        status = "invalid_input";
        this.lastMessage = "non-finite model value at the iterate";
        break;
      }
      residual = this.kktResidual();
      if (residual <= this.options.tolerance) {
        status = "solved";
        break;
      }
      // acceptable: below acceptableTolerance for acceptableIterations iterations without a tenfold
      // decrease over them (a solve still converging, even slowly, goes on to `tolerance`)
      if (residual <= this.options.acceptableTolerance) {
        if (acceptable === 0) acceptStart = residual;
        acceptable++;
      } else acceptable = 0;
      if (acceptable >= this.options.acceptableIterations && this.options.acceptableIterations > 0) {
        if (residual > 0.1 * acceptStart) {
          status = "acceptable";
          break;
        }
        acceptable = 0;
      }
      if (it >= this.options.maxIterations) break;
      this.fillBounds();
      this.qp.q.set(this.grad);
      const qs = this.solveQp();
      it++;
      if (qs !== "ok") {
        status = qs;
        break;
      }
      // merit weights per row (Powell 1978: nu_i = max(|y_i|, (nu_i + |y_i|) / 2)) and the
      // directional derivative D = grad f'd - sum nu_i viol_i (N&W eq. 18.29)
      const w = this.meritW;
      for (let r = 0; r < this.m; r++) {
        const a = Math.abs(yQp[r]);
        w[r] = it === 1 ? 1.5 * a : Math.max(1.5 * a, 0.5 * (w[r] + 1.5 * a));
      }
      const f0 = this.objective;
      const v0 = this.violation();
      const phi0 = f0 + v0;
      let gd = 0;
      for (let j = 0; j < n; j++) gd += this.grad[j] * d[j];
      const D = gd - v0;
      let alpha = 1;
      let accepted = false;
      while (alpha >= this.options.minStep) {
        for (let j = 0; j < n; j++) zTrial[j] = z[j] + alpha * d[j];
        const f = this.evaluate(zTrial, false);
        if (this.evalOk) {
          const phi = f + this.violation();
          if (phi <= phi0 + eta * alpha * Math.min(D, 0) + 1e-14 * Math.abs(phi0)) {
            accepted = true;
            break;
          }
        }
        alpha *= 0.5;
      }
      if (!accepted) {
        status = "line_search_failed";
        // restore the linearization at z
        this.linearize();
        residual = this.kktResidual();
        break;
      }
      z.set(zTrial);
      for (let r = 0; r < this.m; r++) y[r] += alpha * (yQp[r] - y[r]);
    }
    this.stats = { status, iterations: it, residual, time: now() - t0, admmFallbacks: this.fallbacks, ...(this.lastMessage ? { message: this.lastMessage } : {}) };
    return this.stats;
  }

  /** RTI preparation: shift (when `shift`), linearize and build the QP except the x_0 rows. */
  prepare(shift = true): boolean {
    const t0 = now();
    let ok = true;
    if (shift) ok = this.shift();
    ok = ok && this.linearize();
    if (ok) {
      this.fillBounds();
      this.qp.q.set(this.grad);
    }
    this.prepared = ok;
    this.prepTime = now() - t0;
    return ok;
  }

  /** RTI feedback: x_0 rows l = u = xhat - x_0, one QP, full step (z += d, y = y_QP). */
  feedback(xhat: ArrayLike<number>): NlpStats {
    const t0 = now();
    this.fallbacks = 0;
    this.lastMessage = "";
    if (!this.prepared) {
      this.stats = { status: "invalid_input", iterations: 0, residual: NaN, time: 0, admmFallbacks: 0, message: "feedback() without a successful prepare()" };
      return this.stats;
    }
    this.prepared = false;
    for (let i = 0; i < this.nx; i++) {
      this.lc[i] = this.uc[i] = xhat[i];
      this.qp.l[i] = this.qp.u[i] = xhat[i] - this.z[i];
    }
    const qs = this.solveQp();
    let status: NlpStatus = "rti";
    if (qs === "ok") {
      for (let j = 0; j < this.n; j++) this.z[j] += this.d[j];
      this.y.set(this.yQp);
    } else status = qs;
    this.stats = { status, iterations: 1, residual: NaN, time: now() - t0 + this.prepTime, admmFallbacks: this.fallbacks, ...(this.lastMessage ? { message: this.lastMessage } : {}) };
    return this.stats;
  }

  /** Objective f(z) at the current iterate (re-evaluated). */
  objectiveAt(): number {
    return this.evaluate(this.z, false);
  }
}
