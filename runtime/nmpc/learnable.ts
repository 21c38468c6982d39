// A nonlinear MPC as learners see every controller (runtime/mpc/types.ts, `LearnableMpc`): the
// NmpcController (controller.ts: SQP or real-time iteration on the multiple-shooting NLP) with the
// compiled controller's parameter layout, boxes and named runtime values, so Q-learning, DPG,
// Bayesian optimization, offline learning, rollouts and the run folders work unchanged.
//  - theta outside its declared boxes, or of magnitude >= 1e20, is refused (ThetaBoxError), as for
//    linear controllers: the checker's convexity proof of the QP subproblems ranges over the boxes
//    only, and a QP's data cannot hold such a value (bounds.ts `tooLargeTheta`);
//  - runtime values are given by name and refused (status invalid_input) outside their ranges;
//  - NLP statuses map onto the QP statuses learners know: "solved" (and "rti", the policy by design)
//    -> solved; "acceptable" -> solved_inaccurate (a solve, to the acceptable tolerance); "infeasible" -> primal_infeasible; "max_iterations", "line_search_failed" and
//    "qp_failed" -> max_iterations (the NLP status is kept in `message`); an act that fails takes the
//    shifted previous plan, else the declared fallback input clipped to the bounds (`fallback: true`);
//  - `prev(u)`: the model carries the previous inputs as extra states (OcpModel.carriedInputs); their
//    value at stage 0 is the runtime slot `prev_<u>` (`previousInputs`, fed by the rollouts with the
//    input applied at the previous step), appended here to the measured state of every call. The
//    learners see the plant's nx; predicted states are returned without the carried entries.

import type { QpStatus } from "../qp/types.js";
import { assertNonlinearOptions, assertRuntimeShape, assertVector, describeValue, isVector } from "../mpc/arguments.js";
import { assertThetaInBoxes, nonFiniteEntry, runtimeValueViolation } from "../mpc/bounds.js";
import type { RuntimeLayout } from "../mpc/template.js";
import type { ActResult, GradResult, LearnableMpc, ParamLayout, PreviousInputSlot, RuntimeValues, SensitivityResult, ValueResult } from "../mpc/types.js";
import { NmpcController, type NmpcActResult, type NmpcGradResult } from "./controller.js";
import { nlpConverged, type SqpOptions } from "./sqp.js";
import type { NlpStatus, OcpModel } from "./types.js";

/** What a compiled nonlinear controller declares (the emitted module's `nlpTemplate`). */
export interface NlpTemplate {
  readonly name: string;
  readonly model: OcpModel;
  /** The `discount` setting (for learners; discounting in the cost is explicit). */
  readonly discount: number;
  readonly method: "sqp" | "rti";
  readonly hessian: "gauss_newton" | "exact";
  readonly maxIterations?: number;
  readonly tolerance?: number;
  readonly params: readonly ParamLayout[];
  readonly theta0: Float64Array;
  readonly runtime: readonly RuntimeLayout[];
}

export interface NonlinearMpcOptions {
  /** Initial theta (default: the template's theta0); must lie in the boxes, each entry of magnitude below 1e20. */
  readonly theta?: ArrayLike<number>;
  /** Input applied when the NLP fails and no previous plan is left (clipped to u_0's bounds; default 0). */
  readonly fallbackInput?: ArrayLike<number>;
  /** Overrides the spec's `solver` method. */
  readonly mode?: "sqp" | "rti";
  /** RTI: the first step from a cold guess (default) or from a converged SQP (NmpcControllerOptions). */
  readonly rtiInit?: "cold" | "converged";
  /** Overrides of the SQP settings. */
  readonly sqp?: SqpOptions;
}

function qpStatusOf(s: NlpStatus): QpStatus {
  switch (s) {
    case "solved":
    case "rti":
      return "solved";
    case "acceptable":
      return "solved_inaccurate";
    case "infeasible":
      return "primal_infeasible";
    case "invalid_input":
      return "invalid_input";
    default:
      return "max_iterations";
  }
}

export class NonlinearMpc implements LearnableMpc {
  readonly template: NlpTemplate;
  readonly nlp: NmpcController;
  readonly nx: number;
  readonly nu: number;
  readonly horizon: number;
  readonly discount: number;
  readonly nTheta: number;
  readonly params: readonly ParamLayout[];
  readonly thetaLower: Float64Array;
  readonly thetaUpper: Float64Array;
  readonly previousInputs: readonly PreviousInputSlot[];
  private readonly rt: Float64Array;
  /** Per carried state (OcpModel.carriedInputs), the entry of the runtime vector holding its value at stage 0. */
  private readonly carrySource: Int32Array;
  /** The measured state followed by the carried previous inputs (the OcpModel's x_0). */
  private readonly xAug: Float64Array;
  /** Runtime entries read only through x_0 (carrySource). */
  private readonly carriedRt: Set<number>;
  private readonly fallbackInput: Float64Array;
  private lastPlan: Float64Array | undefined;
  /** The NLP controller's result of the last `act` (statistics, RTI feedback and preparation times). */
  lastAct: NmpcActResult | undefined;
  private planShift = 0;

  constructor(template: NlpTemplate, options: NonlinearMpcOptions = {}) {
    const m = template.model;
    // a wrong key or value is a TypeError / RangeError here, not a surprise at the first solve
    assertNonlinearOptions(options, m.nu);
    this.template = template;
    const carried = Array.from(m.carriedInputs ?? []);
    this.nx = m.nx - carried.length;
    this.nu = m.nu;
    this.horizon = m.N;
    this.discount = template.discount;
    this.nTheta = m.nTheta;
    this.params = template.params;
    this.thetaLower = new Float64Array(this.nTheta).fill(-Infinity);
    this.thetaUpper = new Float64Array(this.nTheta).fill(Infinity);
    for (const p of template.params) {
      this.thetaLower.set(p.lower, p.offset);
      this.thetaUpper.set(p.upper, p.offset);
    }
    const theta = options.theta ?? template.theta0;
    assertThetaInBoxes(this.params, theta, this.nTheta);
    this.rt = new Float64Array(m.nRuntime ?? 0);
    for (const r of template.runtime) this.rt.set(r.defaultValue, r.offset);
    const slots: PreviousInputSlot[] = [];
    for (const r of template.runtime) {
      const off = r.previousInput;
      if (off === undefined) continue;
      if (!(Number.isInteger(off) && off >= 0 && off + r.size <= this.nu)) throw new TypeError(`runtime value ${r.name}: previousInput offset ${off} does not fit ${r.size} entries in the ${this.nu} inputs`);
      slots.push({ name: r.name, offset: off, size: r.size, initial: Float64Array.from(r.defaultValue) });
    }
    this.previousInputs = slots;
    this.carrySource = Int32Array.from(carried, (c) => {
      const r = template.runtime.find((q) => q.previousInput !== undefined && c >= q.previousInput && c < q.previousInput + q.size);
      if (r === undefined) throw new TypeError(`the model carries the previous value of input ${c} but no runtime value is its previousInput slot`);
      return r.offset + c - r.previousInput!;
    });
    this.xAug = new Float64Array(m.nx);
    this.carriedRt = new Set(this.carrySource);
    this.fallbackInput = new Float64Array(this.nu);
    if (options.fallbackInput !== undefined) this.fallbackInput.set(Array.from(options.fallbackInput));
    const sqp: SqpOptions = {
      hessian: template.hessian,
      ...(template.maxIterations !== undefined ? { maxIterations: template.maxIterations } : {}),
      ...(template.tolerance !== undefined ? { tolerance: template.tolerance } : {}),
      ...options.sqp,
    };
    this.nlp = new NmpcController(m, { mode: options.mode ?? template.method, sqp, theta, runtime: this.rt, params: template.params, ...(options.rtiInit !== undefined ? { rtiInit: options.rtiInit } : {}) });
  }

  getTheta(): Float64Array {
    return this.nlp.getTheta();
  }

  /** Sets theta: a ThetaBoxError when not finite, outside the declared boxes or of magnitude >= 1e20. */
  setTheta(theta: ArrayLike<number>): void {
    if (!isVector(theta)) throw new TypeError(`theta must be an array of ${this.nTheta} numbers, got ${describeValue(theta)}`);
    assertThetaInBoxes(this.params, theta, this.nTheta);
    this.nlp.setTheta(theta);
  }

  resetWarmStart(): void {
    this.nlp.resetWarmStart();
    this.lastPlan = undefined;
    this.planShift = 0;
  }

  /** Applies named runtime values (null, or why they are refused; nothing written then). */
  private applyRuntime(runtime: RuntimeValues | undefined): string | null {
    if (runtime === undefined) return null;
    for (const r of this.template.runtime) {
      const v = runtime[r.name];
      if (v === undefined) continue;
      const why = runtimeValueViolation(r, v);
      if (why !== null) return why;
    }
    let changed = false;
    for (const r of this.template.runtime) {
      const v = runtime[r.name];
      if (v === undefined) continue;
      for (let i = 0; i < r.size; i++) {
        const x = typeof v === "number" ? v : v[i];
        if (this.rt[r.offset + i] !== x) {
          this.rt[r.offset + i] = x;
          // a carried previous input enters through x_0 only: no new problem (the RTI keeps its preparation)
          if (!this.carriedRt.has(r.offset + i)) changed = true;
        }
      }
    }
    if (changed) this.nlp.setRuntime(this.rt);
    return null;
  }

  /**
   * The one entry point of every call: wrong lengths throw (a programming error); a non-finite
   * state or input entry, or runtime values outside their ranges, are refused (null, or why: the
   * caller returns status invalid_input; nothing is written then). Accepted runtime values are applied.
   */
  private admit(state: ArrayLike<number>, input: ArrayLike<number> | undefined, runtime: RuntimeValues | undefined, q = false): string | null {
    assertVector("state", state, this.nx);
    if (q || input !== undefined) assertVector("input", input, this.nu);
    if (runtime !== undefined) assertRuntimeShape(runtime, this.template.runtime);
    return nonFiniteEntry("state", state) ?? (input !== undefined ? nonFiniteEntry("input", input) : null) ?? this.applyRuntime(runtime);
  }

  /** The OcpModel's x_0: the measured state and the carried previous inputs (runtime slots). */
  private x0(state: ArrayLike<number>): ArrayLike<number> {
    const src = this.carrySource;
    if (src.length === 0) return state;
    const xa = this.xAug;
    for (let i = 0; i < this.nx; i++) xa[i] = state[i];
    for (let j = 0; j < src.length; j++) xa[this.nx + j] = this.rt[src[j]];
    return xa;
  }

  /** Predicted states without the carried entries ((N+1) nx). */
  private modelStates(x: Float64Array): Float64Array {
    const nc = this.carrySource.length;
    if (nc === 0) return x;
    const { nx, horizon: N } = this;
    const out = new Float64Array((N + 1) * nx);
    for (let k = 0; k <= N; k++) for (let i = 0; i < nx; i++) out[k * nx + i] = x[k * (nx + nc) + i];
    return out;
  }

  private fallbackAction(): Float64Array {
    const { nu, horizon } = this;
    const u = new Float64Array(nu);
    if (this.lastPlan !== undefined && this.planShift + 1 < horizon) {
      this.planShift++;
      u.set(this.lastPlan.subarray(this.planShift * nu, (this.planShift + 1) * nu));
      return u;
    }
    u.set(this.fallbackInput);
    const m = this.template.model;
    for (let j = 0; j < nu; j++) u[j] = Math.min(Math.max(u[j], m.uLower[j]), m.uUpper[j]);
    return u;
  }

  act(state: ArrayLike<number>, runtime?: RuntimeValues): ActResult {
    const refused = this.admit(state, undefined, runtime);
    const { nx, nu, horizon: N } = this;
    if (refused !== null) {
      return { u: this.fallbackAction(), status: "invalid_input", iterations: 0, value: NaN, x: new Float64Array((N + 1) * nx), uPlan: new Float64Array(N * nu), slack: new Float64Array(0), fallback: true, message: refused };
    }
    const r = (this.lastAct = this.nlp.act(this.x0(state)));
    const status = qpStatusOf(r.status);
    const x = this.modelStates(r.x);
    if (r.ok) {
      this.lastPlan = Float64Array.from(r.uPlan);
      this.planShift = 0;
      return { u: r.u, status, iterations: r.stats.iterations, value: r.value, x, uPlan: r.uPlan, slack: r.slack, fallback: false };
    }
    return { u: this.fallbackAction(), status, iterations: r.stats.iterations, value: NaN, x, uPlan: r.uPlan, slack: r.slack, fallback: true, message: `NLP ${r.status}${r.stats.message ? `: ${r.stats.message}` : ""}` };
  }

  private valueResult(r: { value: number; status: NlpStatus; ok: boolean; stats: { iterations: number; message?: string } }): ValueResult {
    const message = r.ok ? undefined : `NLP ${r.status}${r.stats.message ? `: ${r.stats.message}` : ""}`;
    return { value: r.ok ? r.value : NaN, status: qpStatusOf(r.status), iterations: r.stats.iterations, ok: r.ok, ...(message !== undefined ? { message } : {}) };
  }

  /** A converged solve whose value has no derivative in theta keeps ok (the value is right) and
   *  says why its gradient is NaN (NmpcController.gradOf). */
  private gradResult(r: NmpcGradResult): GradResult {
    const base = this.valueResult(r);
    const undefinedGrad = r.ok && r.message !== undefined && r.grad.some((g) => Number.isNaN(g));
    // a converged solve whose gradient failed the finiteness check (NmpcController.gradOf): its reason
    const failedGrad = !r.ok && nlpConverged(r.status) && r.message !== undefined;
    return { ...base, grad: r.ok ? r.grad : r.grad.fill(NaN), ...(undefinedGrad || failedGrad ? { message: r.message } : {}) };
  }

  private refusedValue(why: string): ValueResult {
    return { value: NaN, status: "invalid_input", iterations: 0, ok: false, message: why };
  }

  value(state: ArrayLike<number>, runtime?: RuntimeValues): ValueResult {
    const why = this.admit(state, undefined, runtime);
    return why !== null ? this.refusedValue(why) : this.valueResult(this.nlp.value(this.x0(state)));
  }

  qvalue(state: ArrayLike<number>, input: ArrayLike<number>, runtime?: RuntimeValues): ValueResult {
    const why = this.admit(state, input, runtime, true);
    return why !== null ? this.refusedValue(why) : this.valueResult(this.nlp.qvalue(this.x0(state), input));
  }

  gradValue(state: ArrayLike<number>, runtime?: RuntimeValues): GradResult {
    const why = this.admit(state, undefined, runtime);
    if (why !== null) return { ...this.refusedValue(why), grad: new Float64Array(this.nTheta).fill(NaN) };
    const r = this.nlp.gradValue(this.x0(state));
    return this.gradResult(r);
  }

  gradQvalue(state: ArrayLike<number>, input: ArrayLike<number>, runtime?: RuntimeValues): GradResult {
    const why = this.admit(state, input, runtime, true);
    if (why !== null) return { ...this.refusedValue(why), grad: new Float64Array(this.nTheta).fill(NaN) };
    const r = this.nlp.gradQvalue(this.x0(state), input);
    return this.gradResult(r);
  }

  policySensitivity(state: ArrayLike<number>, runtime?: RuntimeValues): SensitivityResult {
    const why = this.admit(state, undefined, runtime);
    if (why !== null) return { u: this.fallbackAction(), jacobian: new Float64Array(this.nu * this.nTheta).fill(NaN), status: "invalid_input", ok: false, message: why };
    const r = this.nlp.policySensitivity(this.x0(state));
    // at an acceptable (not fully converged) solution the Jacobian is as inexact as the solve
    if (r.ok) return { u: r.u, jacobian: r.jacobian, status: qpStatusOf(r.solveStatus ?? "solved"), ok: true };
    const status: SensitivityResult["status"] = r.status === "not_differentiable" ? "not_differentiable" : qpStatusOf(r.status as NlpStatus);
    return { u: r.u, jacobian: r.jacobian.fill(NaN), status, ok: false, message: `${r.status}${r.message ? `: ${r.message}` : ""}` };
  }
}
