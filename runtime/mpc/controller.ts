// The generic learnable MPC: a QpTemplate (from generated code or the compiler's in-process path)
// plus two QP solvers, one for V_theta(s) and one for Q_theta(s, a) (first input pinned), each
// keeping its own factorization (cold started by default: see defaultMpcSettings).
//
// Gradients of the optimal value come from the Lagrangian at the primal-dual optimum
// (envelope / sensitivity theorem, as used by Gros & Zanon 2020 for Q-learning with MPC):
//   L = 0.5 z'Pz + q'z + c + y'Az - max(y,0)'u - min(y,0)'l,
// with OSQP's sign convention (y > 0 at an active upper bound, y < 0 at an active lower bound):
//   dL/dP_ij = z_i z_j (off-diagonal upper entry standing for both (i,j) and (j,i)), 0.5 z_i^2 (diagonal)
//   dL/dq = z,  dL/dA_rc = y_r z_c,  dL/dl = -min(y,0),  dL/du = -max(y,0),  dL/dc = 1,
// and dV/dtheta = J' dL/dd where J = dd/dtheta is the template's Jacobian.

import { QpSolver } from "../qp/osqp.js";
import { ActiveSetQp } from "../qp/active_set.js";
import { DEFAULT_SHARPEN_ITERATIONS, InteriorPointQp } from "../qp/ipm.js";
import { QpSensitivity } from "../qp/sensitivity.js";
import { ActiveKkt } from "../qp/kkt.js";
import { CONVEXITY_TOL, INFTY } from "../qp/settings.js";
import type { QpProblem, QpResult, QpSettings, QpStatus } from "../qp/types.js";
import type { ActResult, GradResult, LearnableMpc, ParamLayout, PreviousInputSlot, RuntimeValues, SensitivityResult, ValueResult } from "./types.js";
import { dataLayout, type DataLayout, type QpTemplate } from "./template.js";
import { assertMpcOptions, assertRuntimeShape, assertVector, describeValue, isVector } from "./arguments.js";
import { assertThetaInBoxes, entryName, nonFiniteDerivative, nonFiniteEntry, runtimeValueViolation, tooLargeEntry } from "./bounds.js";
import { learnSplit, rowStages, shiftHead, shiftWorkingSet, stageShift } from "./shift.js";
import { linearStructure, type LinearStructure } from "./structure.js";
import { sameValues } from "../linalg/dense.js";

/** Whether Q(s, a) keeps the declared bounds on u_0 unless told otherwise (one default for the
 *  controller, the train block and the compiler). "kept": an action outside them has no Q value. */
export const DEFAULT_FIRST_INPUT_BOUNDS: "removed" | "kept" = "kept";

/** Working sets tried from the warm start before the interior-point method takes over (bench:scale:
 *  30 or 50 made N = 80 ten times slower, since an IPM answer whose crossover does not settle leaves
 *  a worse guess for the next step; 100 keeps N <= 80 as before and helps N >= 160). */
const WARM_SETS = 100;
/** Working sets for a warm start after theta changed (a learning update, the validator's
 *  candidate): the set then often swings through the discounted tail and fails anyway, and the
 *  interior-point method costs about 25 sets (bench:scale, Q-learning at N = 160: 4 x 100 steps,
 *  25 instead of 100 sets gave 37 instead of 59 sets and 9.5 instead of 13 ms per step on average;
 *  walks that settle take at most 16 sets in 9 of 10 cases). */
const WARM_SETS_CHANGED = 25;
/** Such a walk (25 sets) also stops once it corrects one row per set with more violated
 *  conditions than GIVE_UP_RATIO x its sets left (active_set.ts `giveUpRatio`): after a change of theta that moved
 *  the whole discounted tail (150 to 200 violated conditions at N = 160) the walk cannot settle in
 *  25 sets, and the interior-point method starts at once (bench:scale, Q-learning at N = 160, 4 x
 *  100 steps: 37.4 -> 25.1 sets and 0.59 -> 0.52 interior-point solves per step; ratios 2 and 0.5
 *  gave 31.6 and 25.6 sets; walks without a change of theta keep their budget: act unchanged). */
const GIVE_UP_RATIO = 1;
/** After WARM_FAILURES consecutive solves whose warm working sets did not settle, the warm start gets
 *  only WARM_SETS_SHORT sets before the interior-point method, and likewise the crossover from the
 *  interior-point answer (long discounted horizons, where the walks rarely settle: a choice by
 *  problem shape, measured by the walks themselves); one that settles restores the full budget.
 *  bench:scale (load 5): factorizations per act at N = 160 81.7 -> 37.8, at N = 320 216 -> 32;
 *  N <= 80 unchanged (their walks settle). */
const WARM_FAILURES = 3;
const WARM_SETS_SHORT = 8;
/** When both the warm walks and the crossovers keep failing (WARM_FAILURES each), they are skipped
 *  and only tried again as probes, at the 4th, 8th, 16th, 32nd consecutive failure of their kind and
 *  then every PROBE_MAX-th: the interior-point answer is the answer then (bench:scale: the failed
 *  walks were a quarter of the time of an act at N = 160). The probes back off because where the
 *  walks fail for good (Q-learning at N = 320) a probe every 8th solve was 28 failed walks of about
 *  2.3 ms in 60 steps, 6 % of the time; a regime where the walks settle again is still found
 *  within PROBE_MAX solves. */
export const PROBE_MAX = 64;
/** Weight of the older solves in the choice of how many stages of a warm set to shift (shift.ts
 *  `learnSplit`; bench:scale at N = 160, 4 x 100 steps: 0.8 keeps act at the full shift's 14.4
 *  sets per step, 0.5 and 0 (the last solve alone) gave 19 and 20). */
const SPLIT_DECAY = 0.8;
/** Working sets of the crossover from the interior-point solution (and after ADMM). */
const CROSSOVER_SETS = 100;
/** Corrections of a walk that may change every violated row at once (the primal-dual active set
 *  step of Hintermueller, Ito & Kunisch 2002) while they reduce the number of violations, when at
 *  least BLOCK_MIN are violated; then, or with fewer violations (a nearly right set, where a block
 *  step overshoots), one row per set (active_set.ts, `blockSteps`, `blockMin`). Measured on the
 *  Gros & Zanon controller: cold solves at N = 20 take 543 factorizations for 150 solves instead of
 *  6295, warm ones 278 instead of 321 (runtime/mpc/test/shift.test.ts); at N = 160, where a nearly
 *  right guess leaves 100 to 200 rows violated at its first set (the tail, whose cost weights are
 *  0.9^k, swings far with one wrong row), 200 Q-learning steps take 13.9k factorizations instead of
 *  23.4k (median step 30 -> 14 ms), act about as before; BLOCK_MIN 1 to 3 overshoot near the
 *  answer (Q-learning at N = 160: 17k). */
const BLOCK_STEPS = 10;
const BLOCK_MIN = 8;

export interface MpcControllerOptions {
  /** QP solver settings (defaults: tight tolerances with polishing, what learning needs). */
  readonly settings?: Partial<QpSettings>;
  /** Bounds of the first input in the Q-function: "removed" or "kept" (DEFAULT_FIRST_INPUT_BOUNDS). */
  readonly firstInputBounds?: "removed" | "kept";
  /** Input applied when the MPC fails and no previous plan is left (default: 0 clipped to bounds). */
  readonly fallbackInput?: ArrayLike<number>;
  /** Accept "solved_inaccurate" as a success (default false). */
  readonly acceptInaccurate?: boolean;
  /** Initial theta (default: the template's); refused (ThetaBoxError) outside the boxes or of magnitude >= 1e20. */
  readonly theta?: ArrayLike<number>;
  /** Tolerance of the one re-solve when polishing fails or the KKT check fails (0 disables; default 1e-7). */
  readonly refineTolerance?: number;
  /** Relative tolerance of the controller's own KKT check of each solution, and of the active-set
   *  solver's verification of a working set (feasibility of its inactive rows, signs of its
   *  multipliers; default 1e-6). */
  readonly kktTolerance?: number;
  /** rho of the one cold re-solve after max_iterations / solved_inaccurate (0 disables; default 1). */
  readonly retryRho?: number;
  /**
   * Solve each QP first from the previous solution's active set (qp/active_set.ts: one KKT
   * factorization, the set's solution exact to round-off, the set verified to kktTolerance), falling back to ADMM + polishing when the set
   * does not settle; an ADMM solution is then made exact from its own active set. Default true.
   */
  readonly activeSet?: boolean;
  /**
   * Derivative calls (`gradValue`, `gradQvalue`, `policySensitivity`) at the state (and input),
   * theta and runtime values of the mode's last solve reuse that solve (keyed by theta's values: also
   * across setTheta calls that come back to them), and `policySensitivity`
   * hands the active-set solver's final factorization (of the same active set) to QpSensitivity
   * instead of factoring again. Default true; false re-solves and re-factors (same results to
   * round-off; for tests and benches).
   */
  readonly reuseFactorization?: boolean;
}

/** OSQP's default ADMM tolerances plus polishing: a successful polish gives the exact active-set
 *  solution (what derivatives need) in few iterations. Every accepted solution is also checked
 *  by the controller itself (KKT residuals, `kktTolerance`); when polishing or that check fails,
 *  the controller re-solves once at `refineTolerance`; after the iteration cap it re-solves once
 *  cold with rho = `retryRho`. Measured on the first 2000 recorded states of the Gros & Zanon
 *  nominal run (one controller, in sequence): adaptive rho (OSQP's default) 318 iterations per
 *  solve and 11 not solved; fixed rho 0.3: 171 iterations, 1 not solved; fixed rho 1: 311, 0.
 *  Without the KKT check the solver returned "solved" with wrong inputs on a few states (up to
 *  0.48 off, with warm starts). Warm starting is off: it gave no fewer iterations here. */
export const defaultMpcSettings: Partial<QpSettings> = {
  epsAbs: 1e-3,
  epsRel: 1e-3,
  epsPrimInf: 1e-6,
  epsDualInf: 1e-6,
  maxIter: 20000,
  rho: 0.3,
  adaptiveRho: false,
  polish: true,
  polishRefineIter: 5,
  warmStart: false,
};

type Mode = "V" | "Q";

interface SolverSlot {
  solver: QpSolver | undefined;
  /** Exact active-set solver and its working set (the last solution's active set). */
  active: ActiveSetQp | undefined;
  /** Interior-point solver (runtime/qp/ipm.ts) for the working sets that do not settle quickly. */
  ipm: InteriorPointQp | undefined;
  readonly guess: Int8Array;
  /** The last solve's final set and its shift by one stage, kept until the next solve that started
   *  from them ends exact: the split of shift.ts `learnSplit` is learned from them. */
  readonly unshifted: Int8Array;
  readonly shifted: Int8Array;
  /** Rows of stages below `split` start from the shifted set, the later ones from the unshifted one. */
  split: number;
  readonly splitCost: Float64Array;
  /** Theta of the slot's last solve (or of the solve its guess came from): a warm set after a change
   *  of theta gets a shorter walk. Runtime values are not compared: they move every step (prev(u)),
   *  as the state does. */
  readonly thetaSeen: Float64Array;
  shiftPending: boolean;
  /** x_0 and x_1 of the slot's last solution (hasPlan: one exists): a state near x_1 is the next
   *  closed-loop step, whose guess is the working set shifted by one stage (shift.ts). */
  readonly planX0: Float64Array;
  readonly planX1: Float64Array;
  hasPlan: boolean;
  pVersion: number;
  qVersion: number;
  aVersion: number;
  readonly l: Float64Array;
  readonly u: Float64Array;
  /** Consecutive solves whose warm working sets did not settle within their budget. */
  warmFailures: number;
  /** Consecutive interior-point answers whose crossover did not settle. */
  crossoverFailures: number;
  /** The last solve of this mode, when the active-set solver (exact) or the interior-point method
   *  (to the tolerance) answered it. */
  readonly last: LastSolve;
}

/** Key of a mode's last solve (exact, or the interior-point method's to the tolerance): theta's
 *  values, the runtime values' epoch, state, input, and the version of the solver state its x and
 *  y live in (the active-set solver's factorization, or the interior-point solver's solve count). */
interface LastSolve {
  valid: boolean;
  epoch: number;
  readonly theta: Float64Array;
  readonly state: Float64Array;
  readonly input: Float64Array;
  hasInput: boolean;
  result: QpResult | undefined;
  /** the active-set solver's factorization version (-1: an interior-point answer) */
  kktVersion: number;
  /** the interior-point solver's solve count (-1: an active-set answer) */
  ipmSolve: number;
}

function lastSolve(nx: number, nu: number, nTheta: number): LastSolve {
  return { valid: false, epoch: -1, theta: new Float64Array(nTheta), state: new Float64Array(nx), input: new Float64Array(nu), hasInput: false, result: undefined, kktVersion: -1, ipmSolve: -1 };
}

export class MpcController implements LearnableMpc {
  readonly nx: number;
  readonly nu: number;
  readonly horizon: number;
  readonly discount: number;
  readonly nTheta: number;
  readonly params: readonly ParamLayout[];
  readonly thetaLower: Float64Array;
  readonly thetaUpper: Float64Array;
  readonly previousInputs: readonly PreviousInputSlot[];
  readonly template: QpTemplate;
  readonly layout: DataLayout;

  private readonly settings: Partial<QpSettings>;
  private readonly firstInputBounds: "removed" | "kept";
  private readonly fallbackInput: Float64Array | undefined;
  private readonly acceptInaccurate: boolean;
  private readonly refineTolerance: number;
  private readonly kktTolerance: number;
  private readonly retryRho: number;
  private readonly useActiveSet: boolean;
  /**
   * Counters since construction: solves answered by the active-set path alone, ADMM solves,
   * active-set factorizations, solves warm started from the shifted working set; derivative calls that reused the mode's last solve, sensitivity
   * analyses that adopted the active-set factorization, and factorizations QpSensitivity made itself.
   */
  readonly stats = { activeSet: 0, interiorPoint: 0, admm: 0, factorizations: 0, shiftedGuesses: 0, reusedSolves: 0, reusedFactorizations: 0, sensitivityFactorizations: 0 };
  private readonly reuse: boolean;
  /** Increases whenever a runtime value changes (with theta's values, the key of `SolverSlot.last`). */
  private dataEpoch = 0;
  private readonly azBuf: Float64Array;
  /** Per row, sum_j |A_ij z_j| of the point in azBuf; per variable, its largest stationarity term
   *  (`scaleViolation`). */
  private readonly termBuf: Float64Array;
  private readonly colBuf: Float64Array;
  private readonly rowScaleBuf: Float64Array;
  private readonly gradBuf: Float64Array;
  private readonly theta: Float64Array;
  private readonly runtimeVec: Float64Array;
  private readonly data: Float64Array;
  private readonly next: Float64Array;
  private readonly jac: Float64Array;
  private dataDirty = true;
  private jacDirty = true;
  private pVersion = 0;
  private qVersion = 0;
  private aVersion = 0;
  private readonly slots: Record<Mode, SolverSlot>;
  /** Row / column of each P and A value (CSC order). */
  private readonly pRow: Int32Array;
  private readonly pCol: Int32Array;
  private readonly aRow: Int32Array;
  private readonly aCol: Int32Array;
  /** Jacobian entries to skip: rows the controller overwrites (x0 rows always, u0 rows in Q mode). */
  private readonly jacX0: Uint8Array;
  private readonly jacU0: Uint8Array;
  /** The Jacobian entries of u_0's bounds (a subset of jacU0) and the input each bounds. */
  private readonly u0BoundEntries: Int32Array;
  private readonly u0BoundInputs: Int32Array;
  /** Rows other than the pins that touch only pinned variables (x_0; x_0 and u_0 in Q) and whose
   *  data move with theta: where one is active, the value has no derivative in theta (gradOf). */
  private readonly pinnedThetaRows: PinnedThetaRows;
  /** Jacobian entries grouped by theta column (for forward sensitivities). */
  private readonly jacByColPtr: Int32Array;
  private readonly jacByCol: Int32Array;
  private readonly sensProblem: QpProblem;
  private sens: QpSensitivity | undefined;
  private readonly dirBufs: { dP: Float64Array; dq: Float64Array; dA: Float64Array; dl: Float64Array; du: Float64Array };
  /** Scratch of `weakPieces`: another piece's du_0/dtheta, and the column scales of both pieces. */
  private readonly pieceJac: Float64Array;
  private readonly pieceScale: Float64Array;
  private readonly pieceScaleB: Float64Array;
  /** Scratch of `weakPieces`: the rows of the kink, and the rows of a singular piece's dependency. */
  private readonly pieceRows: Int32Array;
  private readonly pieceNulls: Int32Array;
  private readonly fwdOut: { dz: Float64Array; dy: Float64Array };
  private lastPlan: Float64Array | undefined;
  private planShift = 0;
  /** Row -> the row of the same role one stage later (shift.ts), and scratch for the shifted set. */
  private readonly rowShift: Int32Array;
  /**
   * Stage of each row: the order in which a walk adds violated rows (ActiveSetQp `rowOrder`: the
   * earliest stage among the rows violated by at least half the worst). A row at stage k moves the
   * optimal plan after k (through the dynamics) far more than before it, so corrections in stage
   * order settle an arc of active state bounds in one sweep where the most violated row first
   * walked back and forth along it. Gros & Zanon, 4 disturbance sequences x 100 steps: act at
   * N = 80 3.17 -> 0.44 ms, N = 160 8.25 -> 0.87 ms (working sets 56.5 -> 14.7 per step, IPM
   * fallbacks 0.62 -> 0.03); without the discount N = 320 1.7 ms; Q-learning at N = 160 about the
   * same (6 seeds: median 23.7 -> 27.5 ms, mean 26.7 -> 27.8 ms; its learning paths differ).
   */
  private readonly rowStage: Int32Array;
  private readonly splitWork: Int32Array;

  constructor(template: QpTemplate, options: MpcControllerOptions = {}) {
    const t = template;
    // a wrong key or value is a TypeError / RangeError here, not a surprise at the first solve
    assertMpcOptions(options, t.nu);
    this.template = t;
    this.layout = dataLayout(t);
    this.nx = t.nx;
    this.nu = t.nu;
    this.horizon = t.horizon;
    this.discount = t.discount;
    this.nTheta = t.nTheta;
    this.params = t.params;
    this.thetaLower = new Float64Array(t.nTheta);
    this.thetaUpper = new Float64Array(t.nTheta);
    for (const p of t.params) {
      this.thetaLower.set(p.lower, p.offset);
      this.thetaUpper.set(p.upper, p.offset);
    }
    this.settings = { ...defaultMpcSettings, ...options.settings };
    this.firstInputBounds = options.firstInputBounds ?? DEFAULT_FIRST_INPUT_BOUNDS;
    this.fallbackInput = options.fallbackInput === undefined ? undefined : Float64Array.from(options.fallbackInput);
    this.acceptInaccurate = options.acceptInaccurate ?? false;
    this.refineTolerance = options.refineTolerance ?? 1e-7;
    this.kktTolerance = options.kktTolerance ?? 1e-6;
    this.retryRho = options.retryRho ?? 1;
    this.useActiveSet = options.activeSet ?? true;
    this.reuse = options.reuseFactorization ?? true;
    this.azBuf = new Float64Array(t.m);
    this.termBuf = new Float64Array(t.m);
    this.colBuf = new Float64Array(t.n);
    this.rowScaleBuf = new Float64Array(t.m);
    const nP = this.layout.q - this.layout.P;
    const nA = this.layout.l - this.layout.A;
    this.dirBufs = { dP: new Float64Array(nP), dq: new Float64Array(t.n), dA: new Float64Array(nA), dl: new Float64Array(t.m), du: new Float64Array(t.m) };
    this.fwdOut = { dz: new Float64Array(t.n), dy: new Float64Array(t.m) };
    this.pieceJac = new Float64Array(t.nu * t.nTheta);
    this.pieceScale = new Float64Array(t.nTheta);
    this.pieceScaleB = new Float64Array(t.nTheta);
    this.pieceRows = new Int32Array(MAX_WEAK_ROWS + 1);
    this.pieceNulls = new Int32Array(t.m);
    this.sensProblem = {
      n: t.n,
      m: t.m,
      P: { rows: t.n, cols: t.n, colPtr: t.P.colPtr, rowIdx: t.P.rowIdx, values: new Float64Array(nP) },
      q: new Float64Array(t.n),
      A: { rows: t.m, cols: t.n, colPtr: t.A.colPtr, rowIdx: t.A.rowIdx, values: new Float64Array(nA) },
      l: new Float64Array(t.m),
      u: new Float64Array(t.m),
    };
    this.gradBuf = new Float64Array(t.n);
    this.theta = Float64Array.from(options.theta ?? t.theta0);
    // the proofs of `check` cover the boxes only: refuse initial parameters outside them (or of
    // magnitude >= 1e20, which the QP's data cannot hold)
    assertThetaInBoxes(t.params, this.theta, t.nTheta);
    this.previousInputs = previousInputSlots(t);
    this.runtimeVec = new Float64Array(t.nRuntime);
    for (const r of t.runtime) this.runtimeVec.set(r.defaultValue, r.offset);
    this.data = new Float64Array(this.layout.length);
    this.next = new Float64Array(this.layout.length);
    this.jac = new Float64Array(t.jacRow.length);
    this.slots = {
      V: this.newSlot(),
      Q: this.newSlot(),
    };
    this.rowShift = stageShift(t);
    // rows without a stage go last
    this.rowStage = rowStages(t).map((k) => (k >= 0 ? k : t.horizon + 1));
    this.splitWork = new Int32Array(2 * (t.horizon + 2));
    [this.pRow, this.pCol] = cscCoordinates(t.P.colPtr, t.P.rowIdx, t.P.cols);
    [this.aRow, this.aCol] = cscCoordinates(t.A.colPtr, t.A.rowIdx, t.A.cols);
    const x0Set = new Set<number>();
    // data index of a bound of u_0[j] -> j
    const u0Bound = new Map<number, number>();
    for (const r of t.x0Rows) {
      x0Set.add(this.layout.l + r);
      x0Set.add(this.layout.u + r);
    }
    t.u0Rows.forEach((r, j) => {
      u0Bound.set(this.layout.l + r, j);
      u0Bound.set(this.layout.u + r, j);
    });
    const nJ = t.jacRow.length;
    this.jacX0 = new Uint8Array(nJ);
    this.jacU0 = new Uint8Array(nJ);
    const boundEntries: number[] = [];
    const boundInputs: number[] = [];
    const counts = new Int32Array(t.nTheta + 1);
    for (let e = 0; e < nJ; e++) {
      if (x0Set.has(t.jacRow[e])) this.jacX0[e] = 1;
      const j = u0Bound.get(t.jacRow[e]);
      if (j !== undefined) {
        this.jacU0[e] = 1;
        boundEntries.push(e);
        boundInputs.push(j);
      }
      counts[t.jacCol[e] + 1]++;
    }
    this.u0BoundEntries = Int32Array.from(boundEntries);
    this.u0BoundInputs = Int32Array.from(boundInputs);
    for (let i = 0; i < t.nTheta; i++) counts[i + 1] += counts[i];
    this.pinnedThetaRows = pinnedThetaRows(t, this.layout, this.aRow, this.aCol);
    this.jacByColPtr = Int32Array.from(counts);
    this.jacByCol = new Int32Array(nJ);
    const fillPos = Int32Array.from(counts);
    for (let e = 0; e < nJ; e++) this.jacByCol[fillPos[t.jacCol[e]]++] = e;
    this.refresh();
  }

  getTheta(): Float64Array {
    return Float64Array.from(this.theta);
  }

  /** Sets theta; a non-finite entry, one outside its declared box or one of magnitude >= 1e20
   *  (bounds.ts `tooLargeTheta`) is refused (ThetaBoxError, a RangeError naming it); nothing is written then. */
  setTheta(theta: ArrayLike<number>): void {
    if (!isVector(theta)) throw new TypeError(`theta must be an array of ${this.nTheta} numbers, got ${describeValue(theta)}`);
    assertThetaInBoxes(this.params, theta, this.nTheta);
    this.theta.set(theta);
    this.dataDirty = true;
    this.jacDirty = true;
    // the modes' last solves stay keyed by theta's values (reusedOrSolve): a solve made with
    // candidate parameters serves a later call once they are set
  }

  resetWarmStart(): void {
    for (const s of [this.slots.V, this.slots.Q]) {
      s.solver?.coldStart();
      s.guess.fill(0);
      s.last.valid = false;
      s.hasPlan = false;
      s.split = this.template.horizon + 2;
      s.splitCost.fill(0);
      s.thetaSeen.set(this.theta);
    }
    this.lastPlan = undefined;
    this.planShift = 0;
  }

  /** LearnableMpc: the Q slot's warm walks and crossovers both keep failing (`hopeless` apart from
   *  its probes), so its solves are the interior-point method's from scratch; and `input` lies
   *  inside the first input's declared bounds at the current theta, all finite, so that Q's
   *  feasible set (u_0 pinned to it) lies inside V's, and V is bounded where Q is. */
  qCheckSuffices(input: ArrayLike<number>): boolean {
    if (!this.useActiveSet || !walksGivenUp(this.slots.Q)) return false;
    const t = this.template;
    if (input.length !== t.nu) return false;
    this.refresh();
    const L = this.layout;
    for (let j = 0; j < t.nu; j++) {
      const r = t.u0Rows[j];
      const lo = this.data[L.l + r], hi = this.data[L.u + r];
      if (!(Number.isFinite(lo) && Number.isFinite(hi) && input[j] >= lo && input[j] <= hi)) return false;
    }
    return true;
  }

  private structure: LinearStructure | undefined | null = null;

  /** The one-step model and stage-1 bounds read off the template (structure.ts), built on first use. */
  linearStructure(): LinearStructure | undefined {
    if (this.structure === null) this.structure = linearStructure(this.template);
    return this.structure;
  }

  /** The current data vector d (P values, q, A values, l, u, c) after the last call's runtime values. */
  currentData(): Float64Array {
    this.refresh();
    return this.data;
  }

  act(state: ArrayLike<number>, runtime?: RuntimeValues): ActResult {
    const res = this.solveMode("V", state, undefined, runtime);
    const t = this.template;
    const ok = this.isOk(res.status);
    const N = t.horizon;
    if (ok) {
      const z = res.x;
      const x = z.slice(t.stateOffset, t.stateOffset + (N + 1) * t.nx);
      const uPlan = z.slice(t.inputOffset, t.inputOffset + N * t.nu);
      const slack = z.slice(t.slackOffset, t.slackOffset + t.nSlack);
      this.lastPlan = Float64Array.from(uPlan);
      this.planShift = 0;
      return { u: uPlan.slice(0, t.nu), status: res.status, iterations: res.iterations, value: this.objective(z), x, uPlan, slack, fallback: false, ...(res.message !== undefined ? { message: res.message } : {}) };
    }
    const u = this.fallbackAction();
    return {
      u,
      status: res.status,
      iterations: res.iterations,
      value: NaN,
      x: new Float64Array((N + 1) * t.nx).fill(NaN),
      uPlan: new Float64Array(N * t.nu).fill(NaN),
      slack: new Float64Array(t.nSlack).fill(NaN),
      fallback: true,
      ...(res.message !== undefined ? { message: res.message } : {}),
    };
  }

  value(state: ArrayLike<number>, runtime?: RuntimeValues): ValueResult {
    return this.valueOf("V", state, undefined, runtime);
  }

  qvalue(state: ArrayLike<number>, input: ArrayLike<number>, runtime?: RuntimeValues): ValueResult {
    return this.valueOf("Q", state, input, runtime);
  }

  gradValue(state: ArrayLike<number>, runtime?: RuntimeValues): GradResult {
    return this.gradOf("V", state, undefined, runtime);
  }

  gradQvalue(state: ArrayLike<number>, input: ArrayLike<number>, runtime?: RuntimeValues): GradResult {
    return this.gradOf("Q", state, input, runtime);
  }

  policySensitivity(state: ArrayLike<number>, runtime?: RuntimeValues): SensitivityResult {
    const t = this.template;
    const res = this.reusedOrSolve("V", state, undefined, runtime);
    const jacobian = new Float64Array(t.nu * t.nTheta);
    if (!this.isOk(res.status)) {
      return { u: this.fallbackAction(false), jacobian: jacobian.fill(NaN), status: res.status, ok: false, ...(res.message !== undefined ? { message: res.message } : {}) };
    }
    const u = res.x.slice(t.inputOffset, t.inputOffset + t.nu);
    this.refreshJac();
    const L = this.layout;
    const slot = this.slots.V;
    // One analysis (factorization) of the KKT system, reused for every theta direction.
    const sp = this.sensProblem;
    (sp.P.values as Float64Array).set(this.data.subarray(L.P, L.q));
    sp.q.set(this.data.subarray(L.q, L.A));
    (sp.A.values as Float64Array).set(this.data.subarray(L.A, L.l));
    sp.l.set(slot.l);
    sp.u.set(slot.u);
    // the active-set solver's final factorization is of this solution's active set: QpSensitivity
    // adopts it when it matches entry by entry (else it factors its own)
    const last = slot.last;
    const handed = this.reuse && last.valid && last.result === res && slot.active !== undefined && slot.active.kkt.version === last.kktVersion ? slot.active.kkt : undefined;
    // an active-set answer is exact: its multipliers are judged on their own rows' scales
    const exact = slot.active !== undefined && res.x === slot.active.x;
    let own = 0;
    if (this.sens === undefined) this.sens = new QpSensitivity(sp, res.x, res.y, {}, handed, exact);
    else {
      own = this.sens.factorizations;
      this.sens.update(sp, res.x, res.y, handed, exact);
    }
    const sens = this.sens;
    if (sens.adopted) this.stats.reusedFactorizations++;
    const why = sens.status === "ok" ? null : sens.status === "not_differentiable" && sens.dependentCount === 0 ? this.weakPieces(sens, jacobian) : `KKT system: ${sens.status}${sens.message ? ` (${sens.message})` : ""}`;
    this.stats.sensitivityFactorizations += sens.factorizations - own;
    if (why !== null) return { u, jacobian: jacobian.fill(NaN), status: "not_differentiable", ok: false, message: why };
    if (sens.status === "ok") this.u0Jacobian(sens, jacobian, this.pieceScale);
    // a safety net: a non-finite entry is a failure with a message, never a successful result
    const bad = nonFiniteDerivative("du_0/dtheta", t.params, t.nTheta, jacobian);
    if (bad !== null) return { u, jacobian: jacobian.fill(NaN), status: "not_differentiable", ok: false, message: bad };
    return { u, jacobian, status: res.status, ok: true };
  }

  /**
   * du_0/dtheta (nu x nTheta, into `out`) on the piece of the solution map the sensitivity analysis
   * has factored, one forward solve per theta column; `scale[i]` gets the largest |dz|, |dy| of
   * column i (the size the solve's round-off is relative to). Allocates nothing.
   */
  private u0Jacobian(sens: QpSensitivity, out: Float64Array, scale: Float64Array): void {
    const t = this.template;
    const L = this.layout;
    const { dP, dq, dA, dl, du } = this.dirBufs;
    const fwd = this.fwdOut;
    out.fill(0);
    scale.fill(0);
    for (let i = 0; i < t.nTheta; i++) {
      const start = this.jacByColPtr[i];
      const end = this.jacByColPtr[i + 1];
      if (start === end) continue;
      // the direction buffers are all zero here; scatter this column of J, then clear it again
      for (let k = start; k < end; k++) {
        const e = this.jacByCol[k];
        if (this.jacX0[e]) continue;
        const row = t.jacRow[e];
        const v = this.jac[e];
        if (row < L.q) dP[row - L.P] += v;
        else if (row < L.A) dq[row - L.q] += v;
        else if (row < L.l) dA[row - L.A] += v;
        else if (row < L.u) dl[row - L.l] += v;
        else if (row < L.c) du[row - L.u] += v;
      }
      const d = sens.forward({ dP, dq, dA, dl, du }, fwd);
      for (let j = 0; j < t.nu; j++) out[j * t.nTheta + i] = d.dz[t.inputOffset + j];
      let big = 0;
      for (let j = 0; j < t.n; j++) big = Math.max(big, Math.abs(d.dz[j]));
      for (let r = 0; r < t.m; r++) big = Math.max(big, Math.abs(d.dy[r]));
      scale[i] = big;
      for (let k = start; k < end; k++) {
        const row = t.jacRow[this.jacByCol[k]];
        if (row < L.q) dP[row - L.P] = 0;
        else if (row < L.A) dq[row - L.q] = 0;
        else if (row < L.l) dA[row - L.A] = 0;
        else if (row < L.u) dl[row - L.l] = 0;
        else if (row < L.c) du[row - L.u] = 0;
      }
    }
  }

  /**
   * The solution has weakly active rows (on a bound with a zero multiplier): the solution map has a
   * kink there, made of one piece per subset of those rows (and of the active rows linearly
   * dependent with them, whose multipliers can move to each other) kept active. u_0 is
   * differentiable when its Jacobian is the same on every piece with a nonsingular KKT matrix, and
   * then `out` holds it and the result is null. (A piece with a singular one is skipped: either its
   * active rows are dependent, and it holds only for the directions that keep them consistent, a
   * set of measure zero where the directional derivative is the limit of its neighbours'; or its
   * primal solution is not unique, and it is no piece of this solution map.) Example: the Gros &
   * Zanon MPC at the state [1e6, 0], whose saturated inputs put x_4[1] exactly on its soft bound
   * (its slack at 0 with a zero multiplier, dependent with the soft row), while u_0 sits on its
   * bound with a large multiplier: du_0/dtheta = 0 on both pieces. Otherwise why not: the rows, and
   * the theta entry where the one-sided derivatives differ (e.g. u_0 just reaching its bound). At
   * most MAX_WEAK_ROWS rows (2^k pieces) are compared.
   */
  private weakPieces(sens: QpSensitivity, out: Float64Array): string | null {
    const t = this.template;
    const rows = this.pieceRows;
    const nulls = this.pieceNulls;
    let count = 0;
    const weak = sens.weaklyActiveRows;
    for (let r = 0; r < t.m && count <= MAX_WEAK_ROWS; r++) if (weak[r]) rows[count++] = r;
    const valueNote = "; the value's gradient (gradValue) needs only the multipliers and is not affected";
    const named = (): string => {
      const names: string[] = [];
      for (let k = 0; k < Math.min(count, 3); k++) names.push(this.rowName(rows[k]));
      const w = sens.weaklyActiveCount;
      return `${names.join(", ")}${count > names.length ? ` and ${count - names.length} more` : ""} ${count === 1 ? "is" : "are"} ${count > w ? "weakly active or dependent on one" : "weakly active"} (on a bound with a zero multiplier)`;
    };
    if (count > MAX_WEAK_ROWS) return `du_0/dtheta is not known to exist: ${named()}: too many rows to compare u_0's one-sided derivatives on every piece of the kink${valueNote}`;
    // the analysed piece (weak rows inactive)
    this.u0Jacobian(sens, out, this.pieceScale);
    const other = this.pieceJac;
    const otherScale = this.pieceScaleB;
    let why: string | null = null;
    let compared = 0;
    for (let bits = 1; bits < 2 ** count && why === null; bits++) {
      if (!sens.selectPiece(rows, count, bits)) {
        // a dependency among the active rows of this piece: its rows join the kink's rows (their
        // multipliers can move to each other, so each may leave the active set), and the
        // enumeration starts again; a piece singular for other reasons is skipped
        const n = sens.pieceNullRows(nulls);
        let added = 0;
        for (let q = 0; q < n; q++) {
          let known = false;
          for (let k = 0; k < count && !known; k++) known = rows[k] === nulls[q];
          if (!known && count < rows.length) {
            rows[count++] = nulls[q];
            added++;
          }
        }
        if (count > MAX_WEAK_ROWS) {
          why = `du_0/dtheta is not known to exist: ${named()}: too many rows to compare u_0's one-sided derivatives on every piece of the kink${valueNote}`;
          break;
        }
        if (added > 0) bits = 0;
        continue;
      }
      compared++;
      this.u0Jacobian(sens, other, otherScale);
      for (let i = 0; i < t.nTheta && why === null; i++) {
        const tol = PIECE_TOL * Math.max(this.pieceScale[i], otherScale[i]);
        for (let j = 0; j < t.nu; j++) {
          const a = out[j * t.nTheta + i];
          const b = other[j * t.nTheta + i];
          if (Math.abs(a - b) > tol) {
            let act = "";
            for (let k = 0; k < count; k++) if ((bits >>> k) & 1) act += `${act === "" ? "" : ", "}${this.rowName(rows[k])}`;
            why = `du_0/dtheta does not exist: ${named()}, and u_0's one-sided derivatives differ there (d u_0[${j}] / d ${thetaEntryName(t.params, i)} = ${a} on the analysed piece, ${b} with ${act} active)${valueNote}`;
            break;
          }
        }
      }
    }
    // back to the analysed piece (forward / adjoint callers of this.sens see what they saw)
    sens.restorePiece();
    if (why === null && compared === 0) why = `du_0/dtheta is not known to exist: ${named()}, and no other piece of the kink has a nonsingular KKT matrix${valueNote}`;
    return why;
  }

  // ------------------------------------------------------------------ internals

  private isOk(status: QpStatus): boolean {
    return status === "solved" || (this.acceptInaccurate && status === "solved_inaccurate");
  }

  private valueOf(mode: Mode, state: ArrayLike<number>, input: ArrayLike<number> | undefined, runtime?: RuntimeValues): ValueResult {
    const res = this.solveMode(mode, state, input, runtime);
    const ok = this.isOk(res.status);
    if (res.message !== undefined) return { value: ok ? this.objective(res.x) : NaN, status: res.status, iterations: res.iterations, ok, message: res.message };
    return { value: ok ? this.objective(res.x) : NaN, status: res.status, iterations: res.iterations, ok };
  }

  /**
   * The mode's last solve (active-set or interior-point answer) when made at this state, input,
   * theta and runtime values, with no solve in this mode since; else a new solve.
   */
  private reusedOrSolve(mode: Mode, state: ArrayLike<number>, input: ArrayLike<number> | undefined, runtime?: RuntimeValues): QpResult {
    this.assertArguments(mode, state, input, runtime);
    const last = this.slots[mode].last;
    if (this.reuse && last.valid && last.result !== undefined && this.applyRuntime(runtime) === null && last.epoch === this.dataEpoch && sameValues(last.theta, this.theta)) {
      const t = this.template;
      // (the lengths were checked by assertArguments)
      let same = (input === undefined) === !last.hasInput;
      for (let i = 0; same && i < t.nx; i++) same = state[i] === last.state[i];
      if (same && input !== undefined) for (let j = 0; same && j < t.nu; j++) same = input[j] === last.input[j];
      const { active, ipm } = this.slots[mode];
      // x and y are still the solver's: no solve in this mode since
      const current = last.ipmSolve >= 0 ? ipm !== undefined && ipm.solves === last.ipmSolve : active !== undefined && active.kkt.version === last.kktVersion;
      if (same && current) {
        this.stats.reusedSolves++;
        return last.result;
      }
    }
    return this.solveAndRecord(mode, state, input, runtime);
  }

  private gradOf(mode: Mode, state: ArrayLike<number>, input: ArrayLike<number> | undefined, runtime?: RuntimeValues): GradResult {
    const res = this.reusedOrSolve(mode, state, input, runtime);
    const ok = this.isOk(res.status);
    const grad = new Float64Array(this.nTheta);
    if (!ok) return { value: NaN, status: res.status, iterations: res.iterations, ok, grad: grad.fill(NaN), ...(res.message !== undefined ? { message: res.message } : {}) };
    this.refreshJac();
    const t = this.template;
    const L = this.layout;
    const z = res.x;
    const y = res.y;
    const skipU0 = mode === "Q";
    for (let e = 0; e < t.jacRow.length; e++) {
      if (this.jacX0[e] || (skipU0 && this.jacU0[e])) continue;
      const row = t.jacRow[e];
      let g: number;
      if (row < L.q) {
        const k = row - L.P;
        const i = this.pRow[k];
        const j = this.pCol[k];
        g = i === j ? 0.5 * z[i] * z[i] : z[i] * z[j];
      } else if (row < L.A) g = z[row - L.q];
      else if (row < L.l) {
        const k = row - L.A;
        g = y[this.aRow[k]] * z[this.aCol[k]];
      } else if (row < L.u) g = -Math.min(y[row - L.l], 0);
      else if (row < L.c) g = -Math.max(y[row - L.u], 0);
      else g = 1;
      grad[t.jacCol[e]] += this.jac[e] * g;
    }
    if (mode === "Q" && this.firstInputBounds === "kept" && input !== undefined) {
      // a kept bound of u_0 that moves with theta, with a at it: Q(s, a) is infinite on one side
      // (the bound moved past a), so it has no derivative in theta there
      for (let k = 0; k < this.u0BoundEntries.length; k++) {
        const e = this.u0BoundEntries[k];
        if (this.jac[e] === 0) continue;
        const j = this.u0BoundInputs[k];
        const b = this.data[t.jacRow[e]];
        if (Math.abs(input[j] - b) <= PINNED_ACTIVE_TOL * Math.max(1, Math.abs(b))) {
          return this.notDifferentiable(res, grad, `not differentiable in theta: u_0[${j}] = ${input[j]} is at its kept bound ${b}, which moves with theta (Q(s, a) is infinite once the bound moves past it)`);
        }
      }
    }
    const pinned = this.pinnedThetaRows;
    const rows = pinned[mode];
    // a multiplier counts when it is clearly nonzero, and a value at a bound when it is there to the
    // answer's accuracy: exact active-set answers leave 0 on inactive rows and polished ADMM answers
    // ~1e-14; an interior-point answer (to kktTolerance) leaves multipliers up to ~1e-9 relative on
    // rows well inside their bounds (discounted soft N = 320 MPC: 1.4e-9), read as active at 1e-9
    const answerTol = this.slots[mode].ipm !== undefined && z === this.slots[mode].ipm.x ? Math.max(PINNED_ACTIVE_TOL, this.kktTolerance) : PINNED_ACTIVE_TOL;
    let yMax = 0;
    if (rows.length > 0) for (let i = 0; i < y.length; i++) yMax = Math.max(yMax, Math.abs(y[i]));
    const yTol = answerTol * Math.max(1, yMax);
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      // active (an equality, a multiplier, or the value at a bound): dependent on the pins, so the
      // multiplier split is the QP's choice (or, at a bound, the derivative is one-sided)
      const lo = this.data[L.l + r];
      const hi = this.data[L.u + r];
      let v = 0;
      for (let p = pinned.ptr[r]; p < pinned.ptr[r + 1]; p++) {
        const e = pinned.entry[p];
        v += this.data[L.A + e] * z[this.aCol[e]];
      }
      if (Math.abs(y[r]) > yTol || lo === hi || nearBound(v, lo, answerTol) || nearBound(v, hi, answerTol)) {
        return this.notDifferentiable(res, grad, `not differentiable in theta: constraint row ${r} touches only the pinned ${mode === "Q" ? "x_0 and u_0" : "x_0"}, moves with theta and is active, so its multiplier is not unique`);
      }
    }
    // a safety net: a non-finite entry without a reason above is a failure, never ok with NaN
    const bad = nonFiniteDerivative(mode === "Q" ? "dQ/dtheta" : "dV/dtheta", t.params, t.nTheta, grad);
    if (bad !== null) return { value: this.objective(z), status: res.status, iterations: res.iterations, ok: false, grad: grad.fill(NaN), message: bad };
    return { value: this.objective(z), status: res.status, iterations: res.iterations, ok, grad };
  }

  /** A solved value without a derivative in theta: the value, a NaN gradient and why. */
  private notDifferentiable(res: QpResult, grad: Float64Array, message: string): GradResult {
    return { value: this.objective(res.x), status: res.status, iterations: res.iterations, ok: true, grad: grad.fill(NaN), message };
  }

  /** 0.5 z'Pz + q'z + c with the current data. */
  private objective(z: Float64Array): number {
    const t = this.template;
    const L = this.layout;
    const d = this.data;
    let v = d[L.c];
    for (let k = 0; k < L.q - L.P; k++) {
      const i = this.pRow[k];
      const j = this.pCol[k];
      v += (i === j ? 0.5 : 1) * d[L.P + k] * z[i] * z[j];
    }
    for (let i = 0; i < t.n; i++) v += d[L.q + i] * z[i];
    return v;
  }

  /** The shifted previous plan (advancing the shift when `advance`), else the clipped safe input. */
  private fallbackAction(advance = true): Float64Array {
    const t = this.template;
    const u = new Float64Array(t.nu);
    if (this.lastPlan !== undefined && this.planShift + 1 < t.horizon) {
      const shift = this.planShift + 1;
      if (advance) this.planShift = shift;
      u.set(this.lastPlan.subarray(shift * t.nu, (shift + 1) * t.nu));
      return u;
    }
    if (this.fallbackInput !== undefined) u.set(this.fallbackInput);
    // Clip to the declared bounds of u_0.
    for (let j = 0; j < t.nu; j++) {
      const r = t.u0Rows[j];
      u[j] = Math.min(Math.max(u[j], this.data[this.layout.l + r]), this.data[this.layout.u + r]);
    }
    return u;
  }

  /**
   * Writes the call's runtime values. Returns null, or why they are refused (not finite, or outside
   * a declared range: the checker's proofs assume the ranges), in which case nothing is written.
   * Wrong lengths throw (a programming error, like a wrong state length). No allocation when accepted.
   */
  private applyRuntime(runtime: RuntimeValues | undefined): string | null {
    if (runtime === undefined) return null;
    const layouts = this.template.runtime;
    for (let k = 0; k < layouts.length; k++) {
      const r = layouts[k];
      const v = runtime[r.name];
      if (v === undefined) continue;
      const why = runtimeValueViolation(r, v);
      if (why !== null) return why;
    }
    for (let k = 0; k < layouts.length; k++) {
      const r = layouts[k];
      const v = runtime[r.name];
      if (v === undefined) continue;
      if (typeof v === "number") {
        if (this.runtimeVec[r.offset] !== v) {
          this.runtimeVec[r.offset] = v;
          this.dataDirty = true;
          this.jacDirty = true;
          this.dataEpoch++;
        }
      } else {
        for (let i = 0; i < r.size; i++) {
          if (this.runtimeVec[r.offset + i] !== v[i]) {
            this.runtimeVec[r.offset + i] = v[i];
            this.dataDirty = true;
            this.jacDirty = true;
            this.dataEpoch++;
          }
        }
      }
    }
    return null;
  }

  /** A programming error in a call's arguments (TypeError / RangeError, thrown before anything is
   *  written): the state (and Q's input) arrays of the right length, runtime values by declared name. */
  private assertArguments(mode: Mode, state: unknown, input: unknown, runtime: unknown): void {
    assertVector("state", state, this.nx);
    if (mode === "Q" || input !== undefined) assertVector("input", input, this.nu);
    if (runtime !== undefined) assertRuntimeShape(runtime, this.template.runtime);
  }

  /** Re-fills d if theta or runtime values changed, bumping the version of each changed block. */
  private refresh(): void {
    if (!this.dataDirty) return;
    const L = this.layout;
    const next = this.next;
    this.template.fill(this.theta, this.runtimeVec, next);
    if (!sameRange(this.data, next, L.P, L.q)) this.pVersion++;
    if (!sameRange(this.data, next, L.q, L.A) || this.data[L.c] !== next[L.c]) this.qVersion++;
    if (!sameRange(this.data, next, L.A, L.l)) this.aVersion++;
    this.data.set(next);
    this.dataDirty = false;
  }

  private refreshJac(): void {
    if (!this.jacDirty) return;
    this.template.jacValues(this.theta, this.runtimeVec, this.jac);
    this.jacDirty = false;
  }

  private problemFrom(l: Float64Array, u: Float64Array): QpProblem {
    const t = this.template;
    const L = this.layout;
    return {
      n: t.n,
      m: t.m,
      P: { rows: t.n, cols: t.n, colPtr: t.P.colPtr, rowIdx: t.P.rowIdx, values: this.data.slice(L.P, L.q) },
      q: this.data.slice(L.q, L.A),
      A: { rows: t.m, cols: t.n, colPtr: t.A.colPtr, rowIdx: t.A.rowIdx, values: this.data.slice(L.A, L.l) },
      l: Float64Array.from(l),
      u: Float64Array.from(u),
    };
  }

  /** `solveAndRecord` after the arguments' shapes are checked (a call's entry point). */
  private solveMode(mode: Mode, state: ArrayLike<number>, input: ArrayLike<number> | undefined, runtime?: RuntimeValues): QpResult {
    this.assertArguments(mode, state, input, runtime);
    return this.solveAndRecord(mode, state, input, runtime);
  }

  /** Solves the mode's QP and records the solve as the mode's last one (kept when the active-set
   *  solver or the interior-point method answered; not an ADMM answer). The arguments' shapes are checked. */
  private solveAndRecord(mode: Mode, state: ArrayLike<number>, input: ArrayLike<number> | undefined, runtime?: RuntimeValues): QpResult {
    const slot = this.slots[mode];
    const last = slot.last;
    last.valid = false;
    last.result = undefined;
    slot.shiftPending = false;
    const res = this.solveModeFresh(mode, state, input, runtime);
    if (res.status === "solved") this.recordPlan(slot, res.x);
    const { active, ipm } = slot;
    const byActiveSet = res.status === "solved" && active !== undefined && res.x === active.x;
    // answered by the interior-point method (its x; crossover skipped or failed): to the tolerance
    const byIpm = res.status === "solved" && ipm !== undefined && res.x === ipm.x;
    // slot.guess is the optimal set: how much of the shift it kept decides the next guess
    if (byActiveSet && slot.shiftPending) slot.split = learnSplit(slot.guess, slot.unshifted, slot.shifted, this.rowStage, this.splitWork, slot.splitCost, SPLIT_DECAY);
    if (byActiveSet || byIpm) {
      last.valid = true;
      last.epoch = this.dataEpoch;
      last.theta.set(this.theta);
      last.state.set(state);
      last.hasInput = input !== undefined;
      if (input !== undefined) last.input.set(input);
      last.result = res;
      // the active-set solver's factorization is of the final active set (policySensitivity adopts it)
      last.kktVersion = byActiveSet ? active.kkt.version : -1;
      last.ipmSolve = byIpm ? ipm.solves : -1;
    }
    return res;
  }

  private solveModeFresh(mode: Mode, state: ArrayLike<number>, input: ArrayLike<number> | undefined, runtime?: RuntimeValues): QpResult {
    const res = this.solveChain(mode, state, input, runtime);
    // a numeric breakdown of the ADMM solver (`breakdown`: it tests P itself before it says
    // non_convex) or a non_convex answer of another solver with P positive semidefinite
    if (!(res.breakdown === true || (res.status === "non_convex" && this.pIsConvex()))) return res;
    // A solver called the QP non-convex while P itself is positive semidefinite (P, like A, does not
    // depend on the state: the QP is convex at every state, and the verdict is numeric). Seen below
    // the 1e20 limit of tooLargeEntry: at a Gros & Zanon state of 7.9e19 the trajectory and ADMM's
    // residuals pass 1e20, which OSQP's divergence test (and a failed factorization after a rho
    // update) read as non-convexity. Reported as invalid_input, like a state over the limit: this
    // state is what the solvers cannot handle with these data (the same controller solves others);
    // the message blames the state's size only where it is large (no such breakdown is known at
    // ordinary states).
    let stateMax = 0;
    for (let i = 0; i < state.length; i++) stateMax = Math.max(stateMax, Math.abs(state[i]));
    const head = stateMax >= LARGE_STATE ? `the state is too large for the solver (largest entry ${stateMax.toExponential(2)})` : `the solvers' arithmetic broke down at this state (largest entry ${stateMax.toExponential(2)})`;
    const why =
      `${head}: a solver broke down on the QP at this state (${res.message ?? "non_convex"}), ` +
      `but P is positive semidefinite, so the QP is convex (its values at this state left the range the solvers handle in double precision; the QP format reads |values| >= ${INFTY.toExponential(0)} as infinite)`;
    return { ...failedResult("invalid_input", this.template.n, this.template.m, why), iterations: res.iterations };
  }

  private pCheck: ActiveKkt | undefined;
  private pCheckedVersion = -1;
  private pConvex = true;

  /** Whether P (current data) is positive semidefinite: P + shift I, shift = CONVEXITY_TOL * max|P_ij|
   *  as the solvers' own checks (active_set.ts `convexP`), has n positive pivots. Cached per P. */
  private pIsConvex(): boolean {
    if (this.pCheckedVersion === this.pVersion) return this.pConvex;
    const t = this.template;
    const pv = this.data.subarray(this.layout.P, this.layout.q);
    let pmax = 0;
    for (let k = 0; k < pv.length; k++) pmax = Math.max(pmax, Math.abs(pv[k]));
    this.pCheckedVersion = this.pVersion;
    if (!(pmax < Infinity)) return (this.pConvex = false);
    if (pmax === 0) return (this.pConvex = true);
    this.pCheck ??= new ActiveKkt(t.P, { rows: 0, cols: t.n, colPtr: new Int32Array(t.n + 1), rowIdx: new Int32Array(0) });
    this.pConvex = this.pCheck.factor(pv, NO_VALUES, NO_VALUES, Math.max(1e-10, CONVEXITY_TOL * pmax)) && this.pCheck.positivePivots === t.n;
    return this.pConvex;
  }

  /** The solve itself: the warm-started active set, the interior-point method, ADMM (`solveModeFresh`). */
  private solveChain(mode: Mode, state: ArrayLike<number>, input: ArrayLike<number> | undefined, runtime?: RuntimeValues): QpResult {
    const t = this.template;
    // the one entry point of every solve (act, value, qvalue, the gradients, the sensitivity; the
    // shapes were checked by assertArguments): runtime values, the measured state and the pinned
    // input are checked here, before any QP sees them
    // A state (or pinned input) entry of magnitude >= 1e20 is refused like a non-finite one, with
    // status invalid_input (bounds.ts `tooLargeEntry`): the QP format reads such a pin as an infinite
    // bound, so there is no QP of this state to give a verdict on. Not `non_convex` (what the ADMM
    // solver used to answer at 1e300: P is as convex as at any other state; P and A do not depend on
    // the state), nor an infeasibility or iteration status: each would be a claim about a problem
    // that was never posed. Below 1e20 the QP is posed and solved; an answer that meets the solvers'
    // tolerances only relative to the QP's largest values, not on the scale of each row and variable
    // (double precision beside a state of 1e9 and more in the Gros & Zanon MPC: inputs of +-1,
    // penalties of 50 per unit of slack), is `solved_inaccurate` with why (`scaleViolation`;
    // runtime/test/api_redteam.test.ts).
    const refused =
      nonFiniteEntry("state", state) ??
      (input !== undefined ? nonFiniteEntry("input", input) : null) ??
      tooLargeEntry("state", state) ??
      (input !== undefined ? tooLargeEntry("input", input) : null) ??
      this.applyRuntime(runtime);
    if (refused !== null) return failedResult("invalid_input", t.n, t.m, refused);
    this.refresh();
    const L = this.layout;
    const slot = this.slots[mode];
    slot.l.set(this.data.subarray(L.l, L.u));
    slot.u.set(this.data.subarray(L.u, L.c));
    for (let i = 0; i < t.nx; i++) {
      slot.l[t.x0Rows[i]] = state[i];
      slot.u[t.x0Rows[i]] = state[i];
    }
    if (mode === "Q" && input !== undefined) {
      for (let j = 0; j < t.nu; j++) {
        const r = t.u0Rows[j];
        if (this.firstInputBounds === "kept" && (input[j] < slot.l[r] - 1e-9 || input[j] > slot.u[r] + 1e-9)) {
          return failedResult("primal_infeasible", t.n, t.m, "the pinned first input violates its declared bounds (first_input_bounds kept)");
        }
        slot.l[r] = input[j];
        slot.u[r] = input[j];
      }
    }
    if (this.useActiveSet && slot.hasPlan && this.nextStep(slot, state)) {
      slot.unshifted.set(slot.guess);
      shiftWorkingSet(slot.unshifted, this.rowShift, slot.shifted);
      shiftHead(slot.unshifted, slot.shifted, this.rowStage, slot.split, slot.guess);
      slot.shiftPending = true;
      slot.hasPlan = false;
      this.stats.shiftedGuesses++;
    }
    if (this.useActiveSet) {
      // the warm-started working set; when it does not settle, the interior-point method (about a
      // dozen factorizations whatever changed) instead of ADMM
      const changed = !sameValues(slot.thetaSeen, this.theta);
      slot.thetaSeen.set(this.theta);
      const budget = slot.warmFailures >= WARM_FAILURES ? WARM_SETS_SHORT : changed ? WARM_SETS_CHANGED : WARM_SETS;
      // a walk after a change of theta from the slot's last optimal set (no shift: the V check of
      // Q-learning's validator, at the state of the last solve) chooses its corrections by the
      // homotopy from the last solution (ActiveSetQp's `homotopy`; runtime/mpc/test/homotopy.test.ts:
      // 88 instead of 73 of 100 such walks settle within the 25 sets at N = 160); walks from a
      // shifted set keep the one-row heuristic (a homotopy from the shifted solution: act at N = 160,
      // median 7 sets, not 3)
      const exact = this.hopeless(slot, slot.warmFailures) ? null : this.solveActiveSet(slot, 0, budget, budget === WARM_SETS_CHANGED ? GIVE_UP_RATIO : Infinity, changed && !slot.shiftPending);
      if (exact !== null) {
        this.stats.activeSet++;
        slot.warmFailures = 0;
        return exact;
      }
      slot.warmFailures++;
      this.ipmMissedScale = false;
      const ipm = this.solveInteriorPoint(slot);
      if (ipm !== null) {
        this.stats.interiorPoint++;
        return ipm;
      }
    }
    this.stats.admm++;
    if (slot.solver === undefined) {
      slot.solver = new QpSolver(this.problemFrom(slot.l, slot.u), this.settings);
      slot.pVersion = this.pVersion;
      slot.qVersion = this.qVersion;
      slot.aVersion = this.aVersion;
    } else {
      const s = slot.solver;
      if (slot.pVersion !== this.pVersion) {
        s.updatePValues(this.data.subarray(L.P, L.q));
        slot.pVersion = this.pVersion;
      }
      if (slot.aVersion !== this.aVersion) {
        s.updateAValues(this.data.subarray(L.A, L.l));
        slot.aVersion = this.aVersion;
      }
      if (slot.qVersion !== this.qVersion) {
        s.updateQ(this.data.subarray(L.q, L.A));
        slot.qVersion = this.qVersion;
      }
      s.updateBounds(slot.l, slot.u);
    }
    let res = slot.solver.solve();
    if ((res.status === "max_iterations" || res.status === "solved_inaccurate") && this.retryRho > 0) res = this.retry(slot.solver, res);
    if (this.useActiveSet && (res.status === "solved" || res.status === "solved_inaccurate")) {
      // the ADMM solution's active set, made exact (and kept as the next solve's guess)
      const y = res.y;
      let yMax = 0;
      for (let i = 0; i < t.m; i++) yMax = Math.max(yMax, Math.abs(y[i]));
      const thr = 1e-7 * yMax;
      // (a multiplier that is not finite reads no active set: yMax NaN or infinite, no crossover).
      // Nor is there one when the interior-point method answered this QP, its crossover failed and
      // its point missed a row's or variable's own scale (`ipmMissedScale`): the QP's values are
      // then too large for any working set to be verified in double precision (a state of 1e9 to
      // 1e14 in the Gros & Zanon MPC: in a sweep of 1e0 to 1e19 over three examples, none of 1100
      // such crossovers from ADMM's answer settled; each took its full 100 sets). Never at ordinary
      // states, where the interior-point answers pass scaleViolation (solveInteriorPoint)
      if (thr < Infinity && !this.ipmMissedScale) {
        for (let i = 0; i < t.m; i++) slot.guess[i] = y[i] > thr ? 1 : y[i] < -thr ? -1 : 0;
        const exact = this.solveActiveSet(slot, res.iterations);
        if (exact !== null) return exact;
      }
    }
    if (res.status === "solved" && this.refineTolerance > 0 && (res.polishStatus !== "success" || !this.kktOk(res.x, res.y, slot))) {
      res = this.refine(slot.solver, res, slot);
    }
    if (res.status === "solved") {
      // the last solver's answer, checked on each constraint's own scale (scaleViolation): when it
      // misses one, it is solved only relative to the QP's largest values, i.e. inaccurate
      const why = this.scaleViolation(res.x, res.y, slot);
      if (why !== null) return { ...res, status: "solved_inaccurate", message: why };
    }
    if (res.message === undefined && res.status !== "solved") {
      // every answer that is not `solved` says why (the ADMM solver's own statuses carry none)
      const admm = `ADMM (${this.useActiveSet ? "after the working sets and the interior-point method did not give an answer, " : ""}${res.iterations} iterations)`;
      let why: string;
      if (res.status === "solved_inaccurate") why = this.scaleViolation(res.x, res.y, slot) ?? `${admm} met only ten times its tolerances, or its answer failed the controller's KKT check at the tolerance ${this.kktTolerance}`;
      else if (res.status === "max_iterations") why = `${admm} reached its iteration limit without meeting its tolerances`;
      else if (res.status === "time_limit") why = `${admm} reached its time limit without meeting its tolerances`;
      else if (res.status === "primal_infeasible") why = `the QP is primal infeasible: ${admm} found a certificate (A'y = 0, u'y+ + l'y- < 0)`;
      else if (res.status === "dual_infeasible") why = `the QP is unbounded below: ${admm} found a certificate (P d = 0, q'd < 0, A d in the recession cone of [l, u])`;
      else why = `${admm}: ${res.status}`;
      return { ...res, message: why };
    }
    return res;
  }

  /**
   * Null when the point (z, y) satisfies every constraint row of the slot's QP to kktTolerance, and
   * stationarity (P z + q + A'y = 0) in every variable and complementarity (a multiplier that
   * matters sits at its bound) to sqrt(kktTolerance) (gross errors only: the interior-point answers
   * of long discounted horizons miss by up to 15x kktTolerance there, within the method's own
   * tolerance), on each row's or variable's own scale; else why not, naming what misses the most. A row's scale is max(1,
   * |its bound|, sum_j |A_ij z_j|) (its value cannot be known better than its terms), a pin of x_0
   * (Q: of u_0) that of the whole pinned vector; a variable's is max(1, its largest term). The
   * solvers' tolerances are relative to the QP's largest values instead (kktOk, the interior-point
   * method, ADMM): at a state of [1e10, 0] those let u_0 miss its bounds of +-1 by 1e-2 (the
   * interior-point answer), or leave the slacks of the soft constraints 9e9 above their optimum with
   * zero multipliers (ADMM's, where each costs 50 per unit: 4.5e11 of a value of 6.6e20). Exact
   * active-set answers pass the stricter checks of the active-set solver and are not checked again.
   * Allocates only the message.
   */
  private scaleViolation(z: Float64Array, y: Float64Array, slot: SolverSlot): string | null {
    const t = this.template;
    const L = this.layout;
    const d = this.data;
    const az = this.azBuf;
    const terms = this.termBuf;
    const g = this.gradBuf;
    const col = this.colBuf;
    this.kktProducts(z, y, true);
    // the pins hold the pinned vectors: their scale is the vector's largest entry
    let stateMax = 0;
    for (let i = 0; i < t.nx; i++) {
      const r = t.x0Rows[i];
      stateMax = Math.max(stateMax, Math.abs(slot.l[r]));
      terms[r] = -1;
    }
    let inputMax = 0;
    if (slot === this.slots.Q) {
      for (let j = 0; j < t.nu; j++) {
        const r = t.u0Rows[j];
        inputMax = Math.max(inputMax, Math.abs(slot.l[r]));
        terms[r] = -2;
      }
    }
    // the worst miss relative to its tolerance: a row (>= 0) or a variable (-1 - j)
    let worst = 1;
    let at = 0;
    let excess = 0;
    let tolAt = 0;
    let found = false;
    for (let i = 0; i < t.m; i++) {
      const lo = slot.l[i];
      const hi = slot.u[i];
      const v = az[i];
      const miss = v > hi ? v - hi : v < lo ? lo - v : Number.isNaN(v) ? Infinity : 0;
      if (!(miss > 0)) continue;
      const scale = terms[i] === -1 ? stateMax : terms[i] === -2 ? inputMax : Math.max(Math.abs(v > hi ? hi : lo), terms[i]);
      const tol = this.kktTolerance * Math.max(1, scale);
      if (miss / tol > worst) {
        worst = miss / tol;
        at = i;
        excess = miss;
        tolAt = tol;
        found = true;
      }
    }
    // stationarity on the variable's own scale to sqrt(kktTolerance) only: the interior-point answers
    // of a discounted N = 320 MPC (tail curvature 0.9^k) miss by up to 5x kktTolerance there, within
    // the method's tolerance on the QP's scale; an answer that misses by 100% (the slacks at 1e10)
    // is caught either way
    const stationarityTol = Math.sqrt(this.kktTolerance);
    for (let j = 0; j < t.n; j++) {
      const miss = Number.isNaN(g[j]) ? Infinity : Math.abs(g[j]);
      const tol = stationarityTol * Math.max(1, col[j]);
      if (miss / tol > worst) {
        worst = miss / tol;
        at = -1 - j;
        excess = miss;
        tolAt = tol;
        found = true;
      }
    }
    // complementarity: a multiplier that matters on its own scale (above sqrt(kktTolerance) x the
    // smallest col_j / |A_ij| of its row, the size at which it moves some variable's balance) sits
    // on a row at the bound of its sign, to sqrt(kktTolerance) on the row's scale (an interior-point
    // answer at the state [3.2e7, 0.1] put y = -1.06 on a soft row 0.86 away from its bound; those
    // of the N = 320 MPC stay within 15x kktTolerance)
    const mScale = this.rowScaleBuf;
    mScale.fill(Infinity);
    for (let j = 0; j < t.n; j++) {
      for (let k = t.A.colPtr[j]; k < t.A.colPtr[j + 1]; k++) {
        const a = Math.abs(d[L.A + k]);
        const r = t.A.rowIdx[k];
        if (a > 0) mScale[r] = Math.min(mScale[r], col[j] / a);
      }
    }
    for (let i = 0; i < t.m; i++) {
      const lo = slot.l[i];
      const hi = slot.u[i];
      if (lo === hi || y[i] === 0 || !(Math.abs(y[i]) > stationarityTol * Math.max(1, mScale[i]))) continue;
      // y > 0 belongs at the upper bound, y < 0 at the lower one
      const b = y[i] > 0 ? hi : lo;
      const gap = Math.abs(az[i] - b);
      const scale = terms[i] < 0 ? (terms[i] === -1 ? stateMax : inputMax) : Math.max(Number.isFinite(b) ? Math.abs(b) : 0, terms[i]);
      const tol = stationarityTol * Math.max(1, scale);
      const miss = Number.isFinite(b) ? gap : Infinity;
      if (miss / tol > worst) {
        worst = miss / tol;
        at = -1 - t.n - i;
        excess = miss;
        tolAt = tol;
        found = true;
      }
    }
    if (!found) return null;
    let zMax = 0;
    for (let j = 0; j < t.n; j++) zMax = Math.max(zMax, Math.abs(z[j]));
    const what =
      at >= 0
        ? `the answer misses ${this.rowName(at)} (bounds [${slot.l[at]}, ${slot.u[at]}]) by ${excess.toExponential(2)}, more than the tolerance ${tolAt.toExponential(2)} on that row's own scale`
        : at >= -t.n
          ? `the answer's stationarity in ${this.variableName(-1 - at)} is off by ${excess.toExponential(2)}, more than the tolerance ${tolAt.toExponential(2)} on that variable's own scale`
          : `the answer puts a multiplier of ${y[-1 - t.n - at].toExponential(2)} on ${this.rowName(-1 - t.n - at)} (bounds [${slot.l[-1 - t.n - at]}, ${slot.u[-1 - t.n - at]}]), ${excess.toExponential(2)} away from the bound it belongs to, more than the tolerance ${tolAt.toExponential(2)} on that row's own scale`;
    return `${what}: the solvers met their tolerances only relative to the QP's largest values (${zMax.toExponential(2)}; the state's largest entry is ${stateMax.toExponential(2)}), too large beside it for double precision`;
  }

  /** A readable name of decision variable j: x_k[i], u_k[i] or a slack. */
  private variableName(j: number): string {
    const t = this.template;
    const { nx, nu, horizon } = t;
    if (j >= t.stateOffset && j < t.stateOffset + (horizon + 1) * nx) return `x_${Math.floor((j - t.stateOffset) / nx)}[${(j - t.stateOffset) % nx}]`;
    if (j >= t.inputOffset && j < t.inputOffset + horizon * nu) return `u_${Math.floor((j - t.inputOffset) / nu)}[${(j - t.inputOffset) % nu}]`;
    if (j >= t.slackOffset && j < t.slackOffset + t.nSlack) return `slack ${j - t.slackOffset}`;
    return `variable ${j}`;
  }

  /** A readable name of constraint row r: a pin of x_0 / u_0, a bound of u_0, or a row and its stage. */
  private rowName(r: number): string {
    const t = this.template;
    for (let i = 0; i < t.nx; i++) if (t.x0Rows[i] === r) return `the pin of x_0[${i}] to the state`;
    for (let j = 0; j < t.nu; j++) if (t.u0Rows[j] === r) return `the row of u_0[${j}]`;
    const k = this.rowStage[r];
    return k <= t.horizon ? `constraint row ${r} (stage ${k})` : `constraint row ${r}`;
  }

  /** The exact solution from the slot's working set (updated to the optimal active set), a
   *  non_convex / dual_infeasible verdict, or null (the set did not settle). */
  private solveActiveSet(slot: SolverSlot, admmIterations: number, maxSets = CROSSOVER_SETS, giveUpRatio = Infinity, homotopy = false): QpResult | null {
    const t = this.template;
    const L = this.layout;
    const d = this.data;
    // a working set is accepted when its KKT conditions hold to the controller's own tolerance
    // (kktTolerance, as every other solution): a walk no longer chases the violations of 1e-9 to
    // 1e-7 that the degenerate arcs of a discounted horizon leave (x_k at a bound on many stages,
    // its optimum a zigzag of weakly active rows). bench:scale's act loop, 300 steps from the same
    // states against the old 1e-9: u_0 within 4e-9 and V within 1.2e-10 (relative) at N = 40 to
    // 160; median act at N = 80 0.29 -> 0.15 ms, at N = 160 0.63 -> 0.32 ms, p90 9.1 -> 1.2 ms;
    // N = 10 unchanged (runtime/mpc/test/tolerance.test.ts checks the agreement at N = 80)
    if (slot.active === undefined) slot.active = new ActiveSetQp(t.P, t.A, { blockSteps: BLOCK_STEPS, blockMin: BLOCK_MIN, rowOrder: this.rowStage, homotopy: true, tolerance: this.kktTolerance });
    const as = slot.active;
    as.maxSets = maxSets;
    as.giveUpRatio = giveUpRatio;
    const status = as.solve(d.subarray(L.P, L.q), d.subarray(L.q, L.A), d.subarray(L.A, L.l), slot.l, slot.u, slot.guess, homotopy);
    this.stats.factorizations += as.iterations;
    // non_convex from the final set's inertia with P positive semidefinite (the controller's own
    // test) is the arithmetic's, not a verdict on the QP: as a set that did not settle, the next
    // solver answers (ADMM's answer stands after its crossover)
    if (status === "non_convex" && this.pIsConvex()) return null;
    // a verified verdict on the QP itself (not a set that failed to settle): no ADMM fallback
    if (status === "non_convex" || status === "dual_infeasible") return { ...failedResult(status, t.n, t.m, as.message), iterations: admmIterations + as.iterations };
    if (status !== "solved") return null;
    if (slot === this.slots.V) {
      // Q(s, a) usually follows V(s) at the same state (a Q-learning step): it starts from V's
      // active set, with its own (pinned) first-input rows
      const Q = this.slots.Q;
      const q = Q.guess;
      for (let i = 0; i < t.m; i++) q[i] = slot.guess[i];
      for (let j = 0; j < t.nu; j++) q[t.u0Rows[j]] = 1;
      Q.thetaSeen.set(this.theta);
      this.recordPlan(Q, as.x);
    }
    return {
      status: "solved",
      x: as.x,
      y: as.y,
      objective: this.objective(as.x) - d[L.c],
      iterations: admmIterations + as.iterations,
      primalResidual: 0,
      dualResidual: as.residual,
      polishStatus: "not_run",
      rhoUpdates: 0,
      setupTime: 0,
      solveTime: 0,
    };
  }

  /**
   * The interior-point method (runtime/qp/ipm.ts: Mehrotra, one factorization of the fixed KKT
   * pattern per iteration, O(N) each) and the crossover: its active set verified (and corrected) by
   * the active-set solver, so the answer is exact and the sensitivities reuse its factorization.
   * When the crossover does not settle (degenerate tails: multipliers below round-off under a
   * discount), the IPM's own point, which meets its KKT tolerance, is the answer. A certified
   * infeasibility / unboundedness or a non-convex P is the verdict; null sends the caller to ADMM.
   */
  private solveInteriorPoint(slot: SolverSlot): QpResult | null {
    const t = this.template;
    const L = this.layout;
    const d = this.data;
    // to the controller's own tolerance, as every other answer (its duality-gap test makes the
    // objective as accurate: ipm.ts); the crossover's exactness comes from the sharpening instead
    // (it was the solver's 1e-9; bench:scale's Q-learning at N = 320, 60 steps: 10 -> 3 ADMM
    // fallbacks, 11.0 -> 6.1 to 7.7 s)
    slot.ipm ??= new InteriorPointQp(t.P, t.A, { tolerance: this.kktTolerance });
    const ipm = slot.ipm;
    // the sharpening iterations only serve the crossover's active set: none when it is skipped
    // (bench:scale at N = 160: 15 -> 12 iterations; the answer still meets the IPM's tolerance)
    const crossover = !this.hopeless(slot, slot.crossoverFailures);
    ipm.sharpenIterations = crossover ? DEFAULT_SHARPEN_ITERATIONS : 0;
    const status = ipm.solve(d.subarray(L.P, L.q), d.subarray(L.q, L.A), d.subarray(L.A, L.l), slot.l, slot.u);
    this.stats.factorizations += ipm.factorizations;
    if (status === "primal_infeasible" || status === "dual_infeasible" || status === "non_convex") {
      return { ...failedResult(status, t.n, t.m, ipm.message), iterations: ipm.iterations };
    }
    if (status !== "solved") return null;
    ipm.activeSet(slot.guess);
    const exact = !crossover ? null : this.solveActiveSet(slot, ipm.iterations, slot.crossoverFailures >= WARM_FAILURES ? WARM_SETS_SHORT : CROSSOVER_SETS);
    if (exact !== null) {
      slot.crossoverFailures = 0;
      return exact;
    }
    slot.crossoverFailures++;
    ipm.activeSet(slot.guess);
    // the interior-point point meets its tolerance relative to the QP's largest values; where those
    // dwarf a constraint's own scale (a state of 1e10 beside input bounds of +-1: u_0 = -1.0107 was
    // answered `solved`, at 1e12 u_0 = -236) it is no answer: ADMM (polished) answers instead, and
    // is checked the same way (never at ordinary states: none of the interior-point answers of this
    // repository's tests fails the check; their rows hold to 2e-13 relative)
    if (this.scaleViolation(ipm.x, ipm.y, slot) !== null) {
      this.ipmMissedScale = true;
      return null;
    }
    return {
      status: "solved",
      x: ipm.x,
      y: ipm.y,
      objective: this.objective(ipm.x) - d[L.c],
      iterations: ipm.iterations,
      primalResidual: ipm.residual,
      dualResidual: ipm.residual,
      polishStatus: "not_run",
      rhoUpdates: 0,
      setupTime: 0,
      solveTime: 0,
    };
  }

  /** Set by `solveInteriorPoint` when the interior-point method solved the QP but its point, its
   *  crossover having failed, missed a row's or variable's own scale (`scaleViolation`); reset
   *  before each call of it. The ADMM answer that follows gets no crossover then (`solveChain`). */
  private ipmMissedScale = false;

  /** Whether this attempt of an active-set walk is skipped: warm walks and crossovers have both
   *  failed WARM_FAILURES times in a row, and `failures` (the attempt's own count) is not at a probe. */
  private hopeless(slot: SolverSlot, failures: number): boolean {
    return walksGivenUp(slot) && !isProbe(failures);
  }

  private newSlot(): SolverSlot {
    const { m, nx, nu, horizon } = this.template;
    return {
      solver: undefined,
      active: undefined,
      ipm: undefined,
      warmFailures: 0,
      crossoverFailures: 0,
      guess: new Int8Array(m),
      unshifted: new Int8Array(m),
      shifted: new Int8Array(m),
      split: horizon + 2,
      splitCost: new Float64Array(horizon + 3),
      thetaSeen: Float64Array.from(this.theta),
      shiftPending: false,
      planX0: new Float64Array(nx),
      planX1: new Float64Array(nx),
      hasPlan: false,
      pVersion: -1,
      qVersion: -1,
      aVersion: -1,
      l: new Float64Array(m),
      u: new Float64Array(m),
      last: lastSolve(nx, nu, this.nTheta),
    };
  }

  private recordPlan(slot: SolverSlot, z: Float64Array): void {
    const { stateOffset: o, nx } = this.template;
    for (let i = 0; i < nx; i++) {
      slot.planX0[i] = z[o + i];
      slot.planX1[i] = z[o + nx + i];
    }
    slot.hasPlan = true;
  }

  /** Whether `state` is the next closed-loop state of the slot's last plan: nearer its x_1 than its x_0. */
  private nextStep(slot: SolverSlot, state: ArrayLike<number>): boolean {
    let d0 = 0;
    let d1 = 0;
    for (let i = 0; i < this.template.nx; i++) {
      d0 += (state[i] - slot.planX0[i]) ** 2;
      d1 += (state[i] - slot.planX1[i]) ** 2;
    }
    return d1 < d0;
  }

  /** azBuf = A z and gradBuf = P z + q + A'y (stationarity) for the current data; with `terms`,
   *  also termBuf[r] = sum_j |A_rj z_j| and colBuf[j] = the largest |term| of stationarity row j
   *  (the own scales of `scaleViolation`). Allocates nothing. */
  private kktProducts(z: Float64Array, y: Float64Array, terms: boolean): void {
    const t = this.template;
    const L = this.layout;
    const d = this.data;
    const az = this.azBuf;
    const g = this.gradBuf;
    const tm = this.termBuf;
    const col = this.colBuf;
    az.fill(0);
    if (terms) tm.fill(0);
    for (let j = 0; j < t.n; j++) {
      g[j] = d[L.q + j];
      if (terms) col[j] = Math.abs(d[L.q + j]);
    }
    for (let k = 0; k < L.q - L.P; k++) {
      const i = this.pRow[k];
      const j = this.pCol[k];
      const v = d[L.P + k];
      g[i] += v * z[j];
      if (terms) col[i] = Math.max(col[i], Math.abs(v * z[j]));
      if (i !== j) {
        g[j] += v * z[i];
        if (terms) col[j] = Math.max(col[j], Math.abs(v * z[i]));
      }
    }
    for (let j = 0; j < t.n; j++) {
      const zj = z[j];
      for (let k = t.A.colPtr[j]; k < t.A.colPtr[j + 1]; k++) {
        const r = t.A.rowIdx[k];
        const a = d[L.A + k];
        az[r] += a * zj;
        g[j] += a * y[r];
        if (terms) {
          tm[r] += Math.abs(a * zj);
          col[j] = Math.max(col[j], Math.abs(a * y[r]));
        }
      }
    }
  }

  /** Independent check of an accepted solution: primal feasibility, stationarity and complementary
   *  slackness within kktTolerance (relative to the data's scale). Derivatives rely on it. */
  private kktOk(z: Float64Array, y: Float64Array, slot: SolverSlot): boolean {
    const t = this.template;
    const az = this.azBuf;
    const g = this.gradBuf;
    this.kktProducts(z, y, false);
    let scale = 1;
    for (let i = 0; i < t.n; i++) scale = Math.max(scale, Math.abs(z[i]));
    for (let r = 0; r < t.m; r++) scale = Math.max(scale, Math.abs(y[r]));
    const tol = this.kktTolerance * scale;
    for (let i = 0; i < t.n; i++) if (!(Math.abs(g[i]) <= tol)) return false;
    for (let r = 0; r < t.m; r++) {
      const lo = slot.l[r];
      const hi = slot.u[r];
      const v = az[r];
      if (v < lo - tol || v > hi + tol) return false;
      // y > 0 only at the upper bound, y < 0 only at the lower bound
      if (y[r] > tol && hi - v > tol * Math.max(1, Math.abs(hi))) return false;
      if (y[r] < -tol && v - lo > tol * Math.max(1, Math.abs(lo))) return false;
    }
    return true;
  }

  /** One cold re-solve with another (fixed) step size after the iteration cap. */
  private retry(solver: QpSolver, first: QpResult): QpResult {
    const rho = solver.settings.rho;
    solver.updateSettings({ rho: this.retryRho });
    solver.coldStart();
    const second = solver.solve();
    const out: QpResult = { ...second, iterations: first.iterations + second.iterations };
    solver.updateSettings({ rho });
    return out;
  }

  /** One tighter re-solve (warm started) after a failed polish; keeps the first result if it fails. */
  private refine(solver: QpSolver, first: QpResult, slot: SolverSlot): QpResult {
    const kept: QpResult = { ...first, x: Float64Array.from(first.x), y: Float64Array.from(first.y) };
    const eps = { epsAbs: this.settings.epsAbs, epsRel: this.settings.epsRel };
    solver.updateSettings({ epsAbs: this.refineTolerance, epsRel: this.refineTolerance });
    solver.warmStart(kept.x, kept.y);
    const second = solver.solve();
    solver.updateSettings(eps);
    const iterations = first.iterations + second.iterations;
    if (second.status === "solved") {
      // accepted if polished, or if the KKT conditions hold at the tight tolerance
      if (second.polishStatus === "success" || this.kktOk(second.x, second.y, slot)) return { ...second, iterations };
      return { ...second, status: "solved_inaccurate", iterations };
    }
    // the first answer failed its own check: report it as inaccurate (callers may accept it)
    return { ...kept, status: "solved_inaccurate", iterations };
  }
}

function sameRange(a: Float64Array, b: Float64Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (a[i] !== b[i]) return false;
  return true;
}

function cscCoordinates(colPtr: Int32Array, rowIdx: Int32Array, cols: number): [Int32Array, Int32Array] {
  const nnz = colPtr[cols];
  const r = new Int32Array(nnz);
  const c = new Int32Array(nnz);
  for (let j = 0; j < cols; j++) {
    for (let k = colPtr[j]; k < colPtr[j + 1]; k++) {
      r[k] = rowIdx[k];
      c[k] = j;
    }
  }
  return [r, c];
}

/**
 * The slots of prev(v) at stage 0: those the template declares (`previousInput`); a template that
 * declares none (emitted before the field existed) has its slot recognized by the compiler's name
 * `prev_<v>` when it covers all nu inputs (the only input block).
 */
function previousInputSlots(t: QpTemplate): PreviousInputSlot[] {
  const out: PreviousInputSlot[] = [];
  const declared = t.runtime.some((r) => r.previousInput !== undefined);
  for (const r of t.runtime) {
    let offset = r.previousInput;
    if (!declared && r.name.startsWith("prev_") && r.size === t.nu) offset = 0;
    if (offset === undefined) continue;
    if (!(Number.isInteger(offset) && offset >= 0 && offset + r.size <= t.nu)) {
      throw new RangeError(`runtime value ${r.name}: previousInput offset ${offset} does not fit ${r.size} entries in the ${t.nu} inputs`);
    }
    out.push({ name: r.name, offset, size: r.size, initial: Float64Array.from(r.defaultValue) });
  }
  return out;
}

function failedResult(status: QpStatus, n: number, m: number, message: string): QpResult {
  return {
    status,
    x: new Float64Array(n).fill(NaN),
    y: new Float64Array(m).fill(NaN),
    objective: NaN,
    iterations: 0,
    primalResidual: NaN,
    dualResidual: NaN,
    polishStatus: "not_run",
    rhoUpdates: 0,
    setupTime: 0,
    solveTime: 0,
    message,
  };
}

/** A state whose largest entry is at least this is "large" in the messages of a numeric breakdown
 *  (the Gros & Zanon MPC is solved to its tolerance on every row's own scale up to about 1e7). */
const LARGE_STATE = 1e8;

/** Weakly active rows whose pieces (2^k) `weakPieces` compares: 4 rows, 15 more factorizations. */
const MAX_WEAK_ROWS = 4;
/** Two pieces give the same du_0/dtheta when their entries differ by at most this times the largest
 *  |dz|, |dy| of the direction (the scale of the derivative's round-off). */
const PIECE_TOL = 1e-9;

/** Readable name of theta entry i (its parameter and entry). */
function thetaEntryName(params: readonly ParamLayout[], i: number): string {
  const p = params.find((q) => i >= q.offset && i < q.offset + q.size);
  if (p === undefined) return `theta[${i}]`;
  return p.size === 1 ? `\`${p.name}\`` : `\`${p.name}\` entry ${entryName(p, i - p.offset)}`;
}

/** The values of a matrix without rows (the convexity check of P alone). */
const NO_VALUES = new Float64Array(0);

/** A row of `MpcController.pinnedThetaRows` counts as active within this of its bound, or with a
 *  multiplier above this times max(1, max |y|) (relative). */
const PINNED_ACTIVE_TOL = 1e-9;

/** Whether the attempt after `failures` consecutive failures is a probe (see PROBE_MAX): a power
 *  of two up to PROBE_MAX, then every multiple of it. */
export function isProbe(failures: number): boolean {
  return failures >= PROBE_MAX ? failures % PROBE_MAX === 0 : (failures & (failures - 1)) === 0;
}

/** Whether a slot's warm walks and crossovers have both failed WARM_FAILURES times in a row (its
 *  solves are then the interior-point method's, apart from probes). */
function walksGivenUp(slot: SolverSlot): boolean {
  return slot.warmFailures >= WARM_FAILURES && slot.crossoverFailures >= WARM_FAILURES;
}

/** Whether a row's value v sits at a finite bound b (within tol, relative). */
function nearBound(v: number, b: number, tol: number): boolean {
  return Number.isFinite(b) && Math.abs(v - b) <= tol * Math.max(1, Math.abs(b));
}

interface PinnedThetaRows {
  /** For V (x_0 pinned) and Q (x_0 and u_0 pinned). */
  readonly V: Int32Array;
  readonly Q: Int32Array;
  /** The A entries (indices into A's values) of row r: entry[ptr[r] .. ptr[r + 1]) (rows of Q only). */
  readonly ptr: Int32Array;
  readonly entry: Int32Array;
}

/** The rows of `MpcController.pinnedThetaRows`, with their A entries. */
function pinnedThetaRows(t: QpTemplate, L: DataLayout, aRow: Int32Array, aCol: Int32Array): PinnedThetaRows {
  const { m } = t;
  const movesWithTheta = new Uint8Array(m);
  for (let e = 0; e < t.jacRow.length; e++) {
    const d = t.jacRow[e];
    if (d >= L.A && d < L.l) movesWithTheta[aRow[d - L.A]] = 1;
    else if (d >= L.l && d < L.u) movesWithTheta[d - L.l] = 1;
    else if (d >= L.u && d < L.c) movesWithTheta[d - L.u] = 1;
  }
  const isX0 = (j: number) => j >= t.stateOffset && j < t.stateOffset + t.nx;
  const isU0 = (j: number) => j >= t.inputOffset && j < t.inputOffset + t.nu;
  // per row: 0 no entries, 1 only x_0, 2 only x_0 and u_0 (some u_0), 3 other columns
  const kind = new Uint8Array(m);
  for (let k = 0; k < aRow.length; k++) {
    const r = aRow[k];
    const c = isX0(aCol[k]) ? 1 : isU0(aCol[k]) ? 2 : 3;
    if (c > kind[r]) kind[r] = c;
  }
  const pins = new Set<number>([...t.x0Rows, ...t.u0Rows]);
  const V: number[] = [];
  const Q: number[] = [];
  for (let r = 0; r < m; r++) {
    if (pins.has(r) || !movesWithTheta[r]) continue;
    if (kind[r] === 1) V.push(r);
    if (kind[r] === 1 || kind[r] === 2) Q.push(r);
  }
  const inQ = new Uint8Array(m);
  for (const r of Q) inQ[r] = 1;
  const ptr = new Int32Array(m + 1);
  for (let k = 0; k < aRow.length; k++) if (inQ[aRow[k]]) ptr[aRow[k] + 1]++;
  for (let r = 0; r < m; r++) ptr[r + 1] += ptr[r];
  const entry = new Int32Array(ptr[m]);
  const at = Int32Array.from(ptr);
  for (let k = 0; k < aRow.length; k++) if (inQ[aRow[k]]) entry[at[aRow[k]]++] = k;
  return { V: Int32Array.from(V), Q: Int32Array.from(Q), ptr, entry };
}
