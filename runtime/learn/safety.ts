// Safe parameter updates. An optimizer proposes a quadratic model of the update d (optimizers.ts);
// here that model is minimized over the box  max(lb - theta, -r) <= d <= min(ub - theta, r),
// where r_i = max(maxRelativeChange * |theta_i|, minTrustRadius) is the trust region (mpcrl's
// `max_percentage_update` with its absolute floor eps = 0.1). The box QP is solved exactly
// (boxqp.ts) and theta + d is clamped exactly to the box (rounding cannot leave it). A candidate
// with a non-finite entry, one of magnitude >= 1e20 (bounds.ts `tooLargeTheta`: no admissible
// parameter is that large, whatever the box says; a box reaching that far, or an unbounded one,
// projects nothing there), or that a validator rejects (an infeasible MPC at the current state, a
// structure check), is not applied: theta stays as it was and the rejection is logged.

import { BoxQp } from "./boxqp.js";
import type { QuadraticModel } from "./optimizers.js";
import { allFinite } from "../linalg/dense.js";
import { thetaEntryLabel, thetaMagnitudeOk, tooLargeThetaUpdate } from "../mpc/bounds.js";
import type { ParamLayout } from "../mpc/types.js";

export interface SafetyConfig {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** Maximum change per update relative to |theta_i| (Infinity: no trust region). */
  readonly maxRelativeChange: number;
  /** Floor of the trust radius (mpcrl: 0.1). */
  readonly minTrustRadius: number;
  /** The parameter layout, to name an entry in a rejection (default: theta[i]). */
  readonly params?: readonly ParamLayout[];
}

export type RejectReason = "non_finite" | "too_large" | "infeasible_qp" | "projection_failed" | "validator" | "restored";

export interface UpdateOutcome {
  readonly accepted: boolean;
  readonly reason?: RejectReason;
  readonly message?: string;
  /** True when the bounds / trust region changed the optimizer's step. */
  readonly projected: boolean;
}

export interface RejectionLog {
  readonly update: number;
  readonly reason: RejectReason;
  readonly message: string;
}

/** Returns null when theta is acceptable, or a reason to reject it. */
export type ThetaValidator = (theta: Float64Array) => string | null;

export class SafeUpdater {
  private readonly qp: BoxQp;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  readonly delta: Float64Array;
  readonly candidate: Float64Array;
  readonly rejections: RejectionLog[] = [];
  private readonly constrained: boolean;
  updates = 0;

  constructor(
    readonly n: number,
    readonly config: SafetyConfig,
    readonly validator?: ThetaValidator,
  ) {
    this.qp = new BoxQp(n);
    this.lo = new Float64Array(n);
    this.hi = new Float64Array(n);
    this.delta = new Float64Array(n);
    this.candidate = new Float64Array(n);
    let bounded = Number.isFinite(config.maxRelativeChange);
    for (let i = 0; i < n; i++) {
      if (config.lower[i] > -Infinity || config.upper[i] < Infinity) bounded = true;
    }
    this.constrained = bounded;
  }

  /** Update box for d at the current theta. */
  private bounds(theta: Float64Array): void {
    const { lower, upper, maxRelativeChange: rel, minTrustRadius } = this.config;
    for (let i = 0; i < this.n; i++) {
      const r = Number.isFinite(rel) ? Math.max(Math.abs(rel * theta[i]), minTrustRadius) : Infinity;
      this.lo[i] = Math.max(lower[i] - theta[i], -r);
      this.hi[i] = Math.min(upper[i] - theta[i], r);
    }
  }

  /**
   * Computes the safe update from the model and, if accepted, writes theta + d into theta.
   * On rejection theta is untouched.
   */
  apply(theta: Float64Array, model: QuadraticModel | null): UpdateOutcome {
    this.updates++;
    if (!model) return this.reject("projection_failed", "the Hessian could not be made positive definite");
    let projected = false;
    if (!allFinite(model.step) || !allFinite(model.M)) {
      return this.reject("non_finite", "the optimizer's step has NaN or infinite entries");
    }
    if (this.constrained) {
      this.bounds(theta);
      const status = this.qp.solve(model.M, model.c, this.lo, this.hi, this.delta);
      if (status === "infeasible") return this.reject("infeasible_qp", "theta lies outside its declared bounds");
      if (status !== "solved") return this.reject("projection_failed", `update QP: ${status}`);
      for (let i = 0; i < this.n; i++) {
        if (Math.abs(this.delta[i] - model.step[i]) > 1e-12 * (1 + Math.abs(model.step[i]))) projected = true;
      }
    } else {
      this.delta.set(model.step);
    }
    const { lower, upper } = this.config;
    for (let i = 0; i < this.n; i++) {
      // theta + d is rounded, so d = upper - theta can land one ulp past upper (and tiny parameters
      // far past a bound): clamp exactly, the box is what the checker's proofs cover
      const t = theta[i] + this.delta[i];
      const c = Math.min(Math.max(t, lower[i]), upper[i]);
      this.candidate[i] = c;
      if (c !== t) this.delta[i] = c - theta[i];
    }
    if (!allFinite(this.candidate)) return this.reject("non_finite", "the updated parameters are not finite");
    for (let i = 0; i < this.n; i++) {
      if (!thetaMagnitudeOk(this.candidate[i])) return this.reject("too_large", tooLargeThetaUpdate(thetaEntryLabel(this.config.params, i)));
    }
    if (this.validator) {
      const why = this.validator(this.candidate);
      if (why !== null) return this.reject("validator", why);
    }
    theta.set(this.candidate);
    return { accepted: true, projected };
  }

  private reject(reason: RejectReason, message: string): UpdateOutcome {
    this.rejections.push({ update: this.updates, reason, message });
    return { accepted: false, reason, message, projected: false };
  }
}
