// A nonlinear MPC controller with the module API of runtime/mpc/controller.ts (`MpcController`):
// act, value, qvalue, gradValue, gradQvalue, policySensitivity, setTheta/getTheta,
// resetWarmStart, per-call statistics. Mode "sqp": a full SQP to the KKT tolerance per step
// (sqp.ts), warm-started from the previous solution shifted by one stage (last node re-simulated
// with the last input) with x_0 set to the measured state. Mode "rti": the real-time iteration
// (Diehl et al. 2002/2005; Gros et al. 2020): `act` runs the feedback phase (one QP) and then the
// preparation phase of the next step (shift, linearize), so the next call only waits for its QP;
// the first call starts cold (x = state on every node, u = 0 clipped) or from a converged SQP.
// value/qvalue and the derivatives always use converged SQP solves (their own solver objects,
// V: u_0 free; Q: u_0 fixed by its box rows), so an RTI controller still learns from exact
// derivatives (sensitivity.ts); an unconverged or degenerate point gives a status, never a number.
// Statuses: those of sqp.ts ("solved", "acceptable", "rti", "max_iterations", "qp_failed", "infeasible",
// "line_search_failed", "invalid_input"); no exceptions except RangeError from setTheta for a
// theta entry that is not finite or has magnitude >= 1e20 (as MpcController) and TypeError for a
// wrongly sized model.

import { lagrangianThetaGradient, NlpSensitivity, type NlpSensitivityStatus } from "./sensitivity.js";
import { MultipleShootingSqp, nlpConverged, type SqpOptions } from "./sqp.js";
import type { NlpStats, NlpStatus, OcpModel } from "./types.js";
import { nowSeconds as now } from "../clock.js";
import { nonFiniteDerivative, nonFiniteEntry, runtimeVectorViolation, thetaVectorViolation } from "../mpc/bounds.js";
import type { ParamLayout } from "../mpc/types.js";

export interface NmpcControllerOptions {
  /** "sqp" (default) or "rti". */
  readonly mode?: "sqp" | "rti";
  /** RTI: the first step from a cold guess (default, as acados) or from a converged SQP. */
  readonly rtiInit?: "cold" | "converged";
  readonly sqp?: SqpOptions;
  /** Initial theta (default zeros: pass the model's). */
  readonly theta?: ArrayLike<number>;
  /** Runtime values (default zeros). */
  readonly runtime?: ArrayLike<number>;
  /** The parameter layout, to name the entry of a non-finite derivative in messages (default: theta[j]). */
  readonly params?: readonly ParamLayout[];
}

export interface NmpcActResult {
  /** First input u_0 (fresh array). */
  readonly u: Float64Array;
  readonly status: NlpStatus;
  /** status is "solved" or "acceptable" (SQP) or "rti" (RTI QP solved). */
  readonly ok: boolean;
  /** Objective of the returned iterate (the optimal cost for a solved SQP). */
  readonly value: number;
  /** Predicted states x_0..x_N ((N+1)*nx) and inputs (N*nu) of the iterate (fresh arrays). */
  readonly x: Float64Array;
  readonly uPlan: Float64Array;
  readonly slack: Float64Array;
  readonly stats: NlpStats;
  /** RTI: seconds of the feedback phase of this call and of the preparation phase run after it. */
  readonly feedbackTime?: number;
  readonly preparationTime?: number;
}

export interface NmpcValueResult {
  readonly value: number;
  readonly status: NlpStatus;
  readonly ok: boolean;
  readonly stats: NlpStats;
  readonly message?: string;
}

export interface NmpcGradResult extends NmpcValueResult {
  /** dV/dtheta (or dQ/dtheta): dL/dtheta at the converged primal-dual point (length nTheta). */
  readonly grad: Float64Array;
}

export interface NmpcSensitivityResult {
  readonly u: Float64Array;
  /** du_0/dtheta, nu x nTheta row-major. */
  readonly jacobian: Float64Array;
  readonly status: NlpStatus | NlpSensitivityStatus;
  readonly ok: boolean;
  readonly message?: string;
  /** The status of the SQP solve the Jacobian was taken at ("solved" or "acceptable" when ok). */
  readonly solveStatus?: NlpStatus;
}

/** Null when `v` has `len` finite entries, else why not (naming the first entry that is not finite). */
function vectorViolation(what: "state" | "input", v: ArrayLike<number>, len: number): string | null {
  if (v.length !== len) return `${what} has length ${v.length}, expected ${len}`;
  return nonFiniteEntry(what, v);
}

export class NmpcController {
  readonly model: OcpModel;
  readonly nx: number;
  readonly nu: number;
  readonly horizon: number;
  readonly nTheta: number;
  readonly mode: "sqp" | "rti";
  /** Statistics of the last call of each kind. */
  lastStats: NlpStats | undefined;
  private readonly options: NmpcControllerOptions;
  private readonly theta: Float64Array;
  private readonly rt: Float64Array;
  private actSolver: MultipleShootingSqp | undefined;
  private vSolver: MultipleShootingSqp | undefined;
  private qSolver: MultipleShootingSqp | undefined;
  private vSens: NlpSensitivity | undefined;
  /** RTI: the preparation for the next feedback has been done. */
  private rtiReady = false;
  /** SQP act: the act solver's iterate is the solution of the previous closed-loop step. */
  private actHasPlan = false;

  constructor(model: OcpModel, options: NmpcControllerOptions = {}) {
    this.model = model;
    this.nx = model.nx;
    this.nu = model.nu;
    this.horizon = model.N;
    this.nTheta = model.nTheta;
    this.mode = options.mode ?? "sqp";
    this.options = options;
    this.theta = new Float64Array(model.nTheta);
    if (options.theta) this.setTheta(options.theta);
    this.rt = new Float64Array(model.nRuntime ?? 0);
    if (options.runtime) this.setRuntime(options.runtime);
  }

  getTheta(): Float64Array {
    return Float64Array.from(this.theta);
  }

  /** Sets theta (RangeError naming the entry when one is not finite or has magnitude >= 1e20,
   *  bounds.ts `tooLargeTheta`, or the length is wrong; nothing written then); warm starts are kept. */
  setTheta(theta: ArrayLike<number>): void {
    const why = thetaVectorViolation(theta, this.nTheta, this.options.params);
    if (why !== null) throw new RangeError(why);
    this.theta.set(Array.from(theta));
    this.rtiReady = false;
  }

  /** Sets the runtime values (references, forecasts), all nRuntime of them by position. A wrong
   *  length, an entry that is not finite or one of magnitude >= 1e20 (bounds.ts `tooLargeRuntime`)
   *  is a RangeError naming it, and nothing is written. */
  setRuntime(values: ArrayLike<number>): void {
    const why = runtimeVectorViolation(values, this.rt.length);
    if (why !== null) throw new RangeError(why);
    this.rt.set(values);
    this.rtiReady = false;
  }

  /** Forget warm starts (start of an episode). */
  resetWarmStart(): void {
    for (const s of [this.actSolver, this.vSolver, this.qSolver]) if (s) s.initialized = false;
    this.rtiReady = false;
    this.actHasPlan = false;
  }

  private solver(kind: "act" | "v" | "q"): MultipleShootingSqp {
    const make = (): MultipleShootingSqp => new MultipleShootingSqp(this.model, this.options.sqp);
    let s: MultipleShootingSqp;
    if (kind === "q") s = this.qSolver ??= make();
    else if (kind === "v") s = this.vSolver ??= make();
    else s = this.actSolver ??= make();
    s.theta.set(this.theta);
    s.rt.set(this.rt);
    return s;
  }

  private invalid(message: string): NlpStats {
    return { status: "invalid_input", iterations: 0, residual: NaN, time: 0, admmFallbacks: 0, message };
  }

  /** Converged solve from the solver's own previous iterate (or cold), at `state`. */
  private solveAt(s: MultipleShootingSqp, state: ArrayLike<number>, shift: boolean, closedLoop = false): NlpStats {
    if (!s.initialized) s.coldStart(state);
    else if (shift) s.shift();
    s.setInitialState(state);
    const stats = s.solve();
    // a failed solve leaves an iterate that is no warm start (after a state far outside the domain
    // every later value / gradient solve from it failed): the next solve starts cold, as on a fresh
    // controller. Except a closed-loop step that ran into the iteration cap: its iterate is the
    // SQP's progress so far, and the next step continues from it (the swing-up in closed_loop.test.ts)
    if (!nlpConverged(stats.status) && !(closedLoop && stats.status === "max_iterations")) s.initialized = false;
    return stats;
  }

  /** The first input of the MPC at `state` (closed-loop step: warm start from the shifted plan). */
  act(state: ArrayLike<number>): NmpcActResult {
    const { nx } = this;
    const bad = vectorViolation("state", state, nx);
    if (bad !== null) return this.actResult(undefined, this.invalid(bad));
    if (this.mode === "sqp") {
      const s = this.solver("act");
      const stats = this.solveAt(s, state, this.actHasPlan, true);
      this.actHasPlan = true;
      return this.actResult(s, stats);
    }
    const s = this.solver("act");
    let prepTime = 0;
    if (!this.rtiReady || !s.initialized) {
      const t0 = now();
      if (this.options.rtiInit === "converged") {
        this.solveAt(s, state, false);
        s.prepare(false);
      } else {
        s.coldStart(state);
        s.prepare(false);
      }
      prepTime = now() - t0;
    }
    const stats = s.feedback(state);
    const result = this.actResult(s, stats, stats.time - s.preparationTime);
    // preparation of the next step (before its state is known)
    const t1 = now();
    this.rtiReady = stats.status === "rti" && s.prepare(true);
    const preparationTime = now() - t1 + prepTime;
    return { ...result, preparationTime };
  }

  private actResult(s: MultipleShootingSqp | undefined, stats: NlpStats, feedbackTime?: number): NmpcActResult {
    this.lastStats = stats;
    const { nx, nu, horizon: N } = this;
    if (s === undefined) {
      const u = new Float64Array(nu);
      return { u, status: stats.status, ok: false, value: NaN, x: new Float64Array((N + 1) * nx), uPlan: new Float64Array(N * nu), slack: new Float64Array(0), stats };
    }
    const ok = nlpConverged(stats.status) || stats.status === "rti";
    const u0 = s.uOff(0);
    const u = Float64Array.from(s.z.subarray(u0, u0 + nu));
    // inputs inside their boxes (a QP step is feasible for the linear boxes up to round-off)
    for (let i = 0; i < nu; i++) u[i] = Math.min(Math.max(u[i], this.model.uLower[i]), this.model.uUpper[i]);
    return {
      u,
      status: stats.status,
      ok,
      value: nlpConverged(stats.status) ? s.objective : s.objectiveAt(),
      x: Float64Array.from(s.z.subarray(0, (N + 1) * nx)),
      uPlan: Float64Array.from(s.z.subarray(u0, u0 + N * nu)),
      slack: Float64Array.from(s.z.subarray(s.sOff(0), s.n)),
      stats,
      ...(feedbackTime !== undefined ? { feedbackTime } : {}),
    };
  }

  private valueOf(kind: "v" | "q", state: ArrayLike<number>, input?: ArrayLike<number>): { s: MultipleShootingSqp | undefined; result: NmpcValueResult } {
    const { nx, nu, model } = this;
    const badState = vectorViolation("state", state, nx);
    if (badState !== null) {
      const stats = this.invalid(badState);
      return { s: undefined, result: { value: NaN, status: "invalid_input", ok: false, stats, message: stats.message } };
    }
    if (kind === "q") {
      const badInput = input === undefined ? `input must be ${nu} finite numbers` : vectorViolation("input", input, nu);
      if (input === undefined || badInput !== null) {
        const stats = this.invalid(badInput ?? "");
        return { s: undefined, result: { value: NaN, status: "invalid_input", ok: false, stats, message: stats.message } };
      }
      for (let i = 0; i < nu; i++)
        if (input[i] < model.uLower[i] || input[i] > model.uUpper[i]) {
          const stats = this.invalid(`input ${i} = ${input[i]} is outside its bounds [${model.uLower[i]}, ${model.uUpper[i]}]: no Q value`);
          return { s: undefined, result: { value: NaN, status: "invalid_input", ok: false, stats, message: stats.message } };
        }
    }
    const s = this.solver(kind);
    s.fixFirstInput(kind === "q" ? input : undefined);
    const stats = this.solveAt(s, state, false);
    this.lastStats = stats;
    const ok = nlpConverged(stats.status);
    return { s, result: { value: ok ? s.objective : NaN, status: stats.status, ok, stats, ...(stats.message ? { message: stats.message } : {}) } };
  }

  /** V(s): the optimal cost (converged SQP). */
  value(state: ArrayLike<number>): NmpcValueResult {
    return this.valueOf("v", state).result;
  }

  /** Q(s, a): the optimal cost with u_0 = a (a inside the input boxes). */
  qvalue(state: ArrayLike<number>, input: ArrayLike<number>): NmpcValueResult {
    return this.valueOf("q", state, input).result;
  }

  private gradOf(kind: "v" | "q", state: ArrayLike<number>, input?: ArrayLike<number>): NmpcGradResult {
    const { s, result } = this.valueOf(kind, state, input);
    const grad = new Float64Array(this.nTheta);
    if (s === undefined || !result.ok) return { ...result, grad, message: result.message ?? `not converged (${result.status})` };
    lagrangianThetaGradient(s, grad);
    const pinned = pinnedThetaRow(s, kind === "q");
    if (pinned !== null) return { ...result, grad: grad.fill(NaN), message: pinned };
    // a safety net: a non-finite entry without the reason above is a failure, never ok with NaN
    const bad = nonFiniteDerivative(kind === "q" ? "dQ/dtheta" : "dV/dtheta", this.options.params ?? [], this.nTheta, grad);
    if (bad !== null) return { ...result, ok: false, grad: grad.fill(NaN), message: bad };
    return { ...result, grad };
  }

  /** dV/dtheta = dL/dtheta at the converged primal-dual point. */
  gradValue(state: ArrayLike<number>): NmpcGradResult {
    return this.gradOf("v", state);
  }

  /** dQ/dtheta = dL/dtheta at the converged primal-dual point of the Q problem. */
  gradQvalue(state: ArrayLike<number>, input: ArrayLike<number>): NmpcGradResult {
    return this.gradOf("q", state, input);
  }

  /** du_0/dtheta from the KKT system of the converged NLP (exact Lagrangian Hessian). */
  policySensitivity(state: ArrayLike<number>): NmpcSensitivityResult {
    const { s, result } = this.valueOf("v", state);
    const jacobian = new Float64Array(this.nu * this.nTheta);
    if (s === undefined || !result.ok) return { u: new Float64Array(this.nu), jacobian, status: result.status === "solved" ? "not_converged" : result.status, ok: false, message: result.message };
    this.vSens ??= new NlpSensitivity(s);
    const pj = this.vSens.policyJacobian(jacobian);
    const u0 = s.uOff(0);
    const u = Float64Array.from(s.z.subarray(u0, u0 + this.nu));
    // a safety net: a non-finite entry is a failure with a message, never a successful result
    const bad = pj.status === "ok" ? nonFiniteDerivative("du_0/dtheta", this.options.params ?? [], this.nTheta, jacobian) : null;
    if (bad !== null) return { u, jacobian: jacobian.fill(NaN), status: "not_differentiable", ok: false, solveStatus: result.status, message: bad };
    return { u, jacobian, status: pj.status, ok: pj.status === "ok", solveStatus: result.status, ...(pj.message ? { message: pj.message } : {}) };
  }
}

/** A hard row whose value is within this of its bound counts as active (the SQP's default KKT tolerance). */
const ACTIVE_TOL = 1e-8;

/**
 * Why dL/dtheta is not the derivative of the value (null when it is): an active hard row of stage 0
 * that touches only pinned variables (x_0 always; u_0 too in Q(s, a)) and moves with theta. Such a
 * row is linearly dependent on the pins, so its multiplier is not unique (the QP splits it with the
 * pins' as it pleases) and the value is not differentiable in theta there: moving theta one way
 * makes the pinned point infeasible (an equality), or the row is exactly at its bound (an
 * inequality: a one-sided derivative). The caller reports NaN with this message instead of a number
 * that depends on the split. Needs `linearizeTheta` (lagrangianThetaGradient calls it) and the
 * stage-0 Jacobians of the converged point.
 */
function pinnedThetaRow(s: MultipleShootingSqp, inputPinned: boolean): string | null {
  const { nh, nu, nTheta, y, c, lc } = s;
  if (nh === 0) return null;
  const out = s.conOut[0];
  // a multiplier counts when clearly nonzero (the SQP's damped multiplier update can leave a
  // trace): above 1e-9 max(1, max |y|), computed for the first candidate row only
  let yTol = -1;
  for (let i = 0; i < nh; i++) {
    const r = s.rowHard + i;
    let movesWithTheta = false;
    for (let j = 0; j < nTheta; j++) if (out.jtheta[i * nTheta + j] !== 0) movesWithTheta = true;
    if (!movesWithTheta) continue;
    let free = false;
    if (!inputPinned) for (let j = 0; j < nu; j++) if (out.ju[i * nu + j] !== 0) free = true;
    if (free) continue;
    if (yTol < 0) {
      let yMax = 0;
      for (let k = 0; k < y.length; k++) yMax = Math.max(yMax, Math.abs(y[k]));
      yTol = 1e-9 * Math.max(1, yMax);
    }
    // active: an equality row, a nonzero multiplier, or the value at its bound (h <= 0)
    const active = lc[r] === 0 || Math.abs(y[r]) > yTol || Math.abs(c[r]) <= ACTIVE_TOL;
    if (!active) continue;
    return `not differentiable in theta: hard row ${i} of stage 0 depends only on the pinned ${inputPinned ? "x_0 and u_0" : "x_0"}, moves with theta and is active (h = ${c[r].toExponential(2)}), so its multiplier is not unique`;
  }
  return null;
}
