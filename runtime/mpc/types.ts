// The face of a compiled controller as learners see it: an MPC parametrized by a flat vector
// theta of learnable parameters. Generated modules (compiler/) implement it through the generic
// runtime controller (mpc/controller.ts) driven by a QpTemplate (mpc/template.ts).

import type { QpStatus } from "../qp/types.js";
import type { LinearStructure } from "./structure.js";

export interface ParamLayout {
  readonly name: string;
  /** rows x cols as declared (a vector of n is n x 1, a scalar 1 x 1). */
  readonly rows: number;
  readonly cols: number;
  /** Offset of the parameter's first entry in theta; entries are stored row-major. */
  readonly offset: number;
  /** Number of entries in theta (rows*cols, or fewer for diag / factor structures). */
  readonly size: number;
  readonly structure: "scalar" | "vector" | "matrix" | "diag" | "factor" | "psd";
  /** Box bounds per theta entry (-Infinity / Infinity when absent). */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

export interface ActResult {
  /** First input u_0 (fresh array). */
  readonly u: Float64Array;
  readonly status: QpStatus;
  readonly iterations: number;
  /** Optimal cost V_theta(s). NaN if not solved. */
  readonly value: number;
  /** Predicted states x_0..x_N, row k = x_k (flattened, (N+1)*nx). */
  readonly x: Float64Array;
  /** Planned inputs u_0..u_{N-1} (flattened, N*nu). */
  readonly uPlan: Float64Array;
  /** Slack values of soft constraints (flattened, possibly empty). */
  readonly slack: Float64Array;
  /** True when the MPC failed and the declared fallback (shifted plan / safe action) was used. */
  readonly fallback: boolean;
  /** Why the call was refused or failed (e.g. a runtime value outside its declared range), or why
   *  an answer is only `solved_inaccurate` (also when the controller accepts such answers). */
  readonly message?: string;
}

export interface ValueResult {
  readonly value: number;
  readonly status: QpStatus;
  readonly iterations: number;
  /** status is solved (or solved_inaccurate when accepted). */
  readonly ok: boolean;
  /** Why the call was refused or failed (e.g. a runtime value outside its declared range); on
   *  value / qvalue also why an accepted answer is only `solved_inaccurate`. */
  readonly message?: string;
}

export interface GradResult extends ValueResult {
  /** d value / d theta (length nTheta), from the Lagrangian at the primal-dual optimum. NaN, with
   *  `message` saying why, where a solved value has no derivative in theta (an active row on the
   *  pinned x_0 / u_0 that moves with theta, linear or nonlinear controller); learners skip such a sample.
   *  Any other non-finite entry makes the result `ok: false` with a message naming the entry
   *  (runtime/mpc/bounds.ts `nonFiniteDerivative`). */
  readonly grad: Float64Array;
}

export interface SensitivityResult {
  readonly u: Float64Array;
  /** d u_0 / d theta, row-major nu x nTheta; finite whenever `ok` (a non-finite entry is
   *  `not_differentiable` with a message, the Jacobian NaN). */
  readonly jacobian: Float64Array;
  readonly status: QpStatus | "not_differentiable";
  readonly ok: boolean;
  readonly message?: string;
}

/** A runtime value that stands for prev(v) at stage 0: the input block v at u[offset .. offset+size). */
export interface PreviousInputSlot {
  /** Name of the runtime value (e.g. `prev_u`). */
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  /** Value before the first applied input (the declared default, 0 unless declared). */
  readonly initial: Float64Array;
}

/** Runtime values given at each call: previous input, references, forecasts (by declared name). */
export type RuntimeValues = Readonly<Record<string, number | ArrayLike<number>>>;

export interface LearnableMpc {
  readonly nx: number;
  readonly nu: number;
  readonly horizon: number;
  readonly discount: number;
  readonly nTheta: number;
  readonly params: readonly ParamLayout[];
  /** Concatenated lower/upper bounds of theta. */
  readonly thetaLower: Float64Array;
  readonly thetaUpper: Float64Array;
  /**
   * Runtime values standing for prev(v) at stage 0 (optional: controllers without prev() may omit
   * it). Rollouts feed them the input applied at the previous step.
   */
  readonly previousInputs?: readonly PreviousInputSlot[];
  /** A copy of the current theta. */
  getTheta(): Float64Array;
  /** Sets theta; throws a RangeError naming the entry when theta is not finite or leaves its boxes. */
  setTheta(theta: ArrayLike<number>): void;
  act(state: ArrayLike<number>, runtime?: RuntimeValues): ActResult;
  value(state: ArrayLike<number>, runtime?: RuntimeValues): ValueResult;
  /** Q_theta(s, a): the same MPC with the first input fixed to a. */
  qvalue(state: ArrayLike<number>, input: ArrayLike<number>, runtime?: RuntimeValues): ValueResult;
  gradValue(state: ArrayLike<number>, runtime?: RuntimeValues): GradResult;
  gradQvalue(state: ArrayLike<number>, input: ArrayLike<number>, runtime?: RuntimeValues): GradResult;
  policySensitivity(state: ArrayLike<number>, runtime?: RuntimeValues): SensitivityResult;
  /** Forget warm starts (e.g. at the start of an episode). */
  resetWarmStart(): void;
  /**
   * Whether, with the current parameters, an exact Q(s, input) may stand for V(s) in Q-learning's
   * eager check of an update (runtime/learn/q_learning.ts): Q solves start from scratch (the
   * warm-started working sets keep failing and the interior-point method answers: long discounted
   * horizons), so the next step reuses the check's solve, and Q solvable implies V solvable (the
   * input inside the first input's finite declared bounds). Optional: absent means false.
   */
  qCheckSuffices?(input: ArrayLike<number>): boolean;
  /**
   * The one-step model and first-stage state bounds as functions of theta (structure.ts), for
   * identification for control (runtime/learn/identify.ts); optional: undefined or absent when the
   * controller is not a linear MPC whose stage-0 dynamics can be read off its QP.
   */
  linearStructure?(): LinearStructure | undefined;
}
