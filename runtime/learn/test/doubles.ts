// Test doubles: an analytic quadratic Q-function implementing LearnableMpc for a scalar LQR
// problem, so learners can be checked against known optima and finite differences without a QP.
//
//   Q_theta(s, a) = t0 + 0.5 [s a] [[t1, t2], [t2, t3]] [s a]'      (t3 > 0)
//   V_theta(s)    = min_a Q = t0 + 0.5 (t1 - t2^2 / t3) s^2,   a*(s) = -(t2 / t3) s
// Gradients are exact; the action is clipped to [uLow, uHigh] (then V is Q at the clipped action).

import type {
  ActResult,
  GradResult,
  LearnableMpc,
  ParamLayout,
  SensitivityResult,
  ValueResult,
} from "../../mpc/types.js";

export class QuadraticQ implements LearnableMpc {
  readonly nx = 1;
  readonly nu = 1;
  readonly horizon = 1;
  readonly nTheta = 4;
  readonly params: readonly ParamLayout[];
  readonly thetaLower: Float64Array;
  readonly thetaUpper: Float64Array;
  private theta: Float64Array;
  calls = 0;

  constructor(
    theta0: ArrayLike<number>,
    readonly discount = 0.9,
    readonly uLow = -Infinity,
    readonly uHigh = Infinity,
    lower?: ArrayLike<number>,
    upper?: ArrayLike<number>,
  ) {
    this.theta = Float64Array.from(theta0);
    this.thetaLower = lower ? Float64Array.from(lower) : new Float64Array(4).fill(-Infinity);
    this.thetaUpper = upper ? Float64Array.from(upper) : new Float64Array(4).fill(Infinity);
    this.params = [
      { name: "V0", rows: 1, cols: 1, offset: 0, size: 1, structure: "scalar", lower: this.thetaLower.subarray(0, 1), upper: this.thetaUpper.subarray(0, 1) },
      { name: "H", rows: 3, cols: 1, offset: 1, size: 3, structure: "vector", lower: this.thetaLower.subarray(1), upper: this.thetaUpper.subarray(1) },
    ];
  }

  getTheta(): Float64Array {
    return this.theta.slice();
  }
  setTheta(theta: ArrayLike<number>): void {
    this.theta = Float64Array.from(theta);
  }
  resetWarmStart(): void {}

  private q(s: number, a: number): number {
    const [t0, t1, t2, t3] = this.theta;
    return t0 + 0.5 * (t1 * s * s + 2 * t2 * s * a + t3 * a * a);
  }
  private ok(): boolean {
    return this.theta[3] > 0 && Array.from(this.theta).every(Number.isFinite);
  }
  private policy(s: number): number {
    const a = (-this.theta[2] / this.theta[3]) * s;
    return Math.min(Math.max(a, this.uLow), this.uHigh);
  }

  act(state: ArrayLike<number>): ActResult {
    this.calls++;
    const ok = this.ok();
    const a = ok ? this.policy(state[0]) : 0;
    return {
      u: Float64Array.of(a),
      status: ok ? "solved" : "non_convex",
      iterations: 1,
      value: ok ? this.q(state[0], a) : NaN,
      x: Float64Array.of(state[0]),
      uPlan: Float64Array.of(a),
      slack: new Float64Array(0),
      fallback: !ok,
    };
  }
  value(state: ArrayLike<number>): ValueResult {
    const r = this.act(state);
    return { value: r.value, status: r.status, iterations: 1, ok: !r.fallback };
  }
  qvalue(state: ArrayLike<number>, input: ArrayLike<number>): ValueResult {
    const ok = this.ok();
    return { value: ok ? this.q(state[0], input[0]) : NaN, status: ok ? "solved" : "non_convex", iterations: 1, ok };
  }
  gradValue(state: ArrayLike<number>): GradResult {
    const a = this.policy(state[0]);
    return this.gradQvalue(state, [a]); // envelope theorem: the gradient at the minimizer
  }
  gradQvalue(state: ArrayLike<number>, input: ArrayLike<number>): GradResult {
    const s = state[0];
    const a = input[0];
    const v = this.qvalue(state, input);
    return { ...v, grad: Float64Array.of(1, 0.5 * s * s, s * a, 0.5 * a * a) };
  }
  policySensitivity(state: ArrayLike<number>): SensitivityResult {
    const s = state[0];
    const [, , t2, t3] = this.theta;
    const u = this.policy(s);
    const clipped = u <= this.uLow || u >= this.uHigh;
    return {
      u: Float64Array.of(u),
      jacobian: clipped ? new Float64Array(4) : Float64Array.of(0, 0, -s / t3, (t2 * s) / (t3 * t3)),
      status: "solved",
      ok: true,
    };
  }
}

/** Scalar DARE for s+ = alpha s + beta a, cost q s^2 + r a^2, discount gamma: returns (P, K) with a = -K s. */
export function scalarDlqr(alpha: number, beta: number, q: number, r: number, gamma: number): { P: number; K: number } {
  let P = q;
  for (let i = 0; i < 10000; i++) {
    const next = q + gamma * alpha * alpha * P - (gamma * alpha * beta * P) ** 2 / (r + gamma * beta * beta * P);
    if (Math.abs(next - P) < 1e-15 * Math.max(1, P)) {
      P = next;
      break;
    }
    P = next;
  }
  const K = (gamma * alpha * beta * P) / (r + gamma * beta * beta * P);
  return { P, K };
}
