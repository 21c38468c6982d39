// Parameter optimizers. Each one turns a gradient (and, for Newton, a Hessian) of the loss into a
// local quadratic model of the update d = theta+ - theta:
//     minimize 0.5 d'M d + c'd
// whose unconstrained minimizer is the optimizer's usual step. The safety layer (safety.ts) then
// solves that model over the bounds and trust region, so constrained and unconstrained updates
// follow one path (as mpcrl's GradientBasedOptimizer does with its update QP).

import { choleskyAddedIdentity, cholSolve } from "../linalg/dense.js";
import { Schedule, type ScheduleSpec } from "./schedules.js";

export interface QuadraticModel {
  /** n x n row-major metric (positive definite). */
  readonly M: Float64Array;
  readonly c: Float64Array;
  /** Unconstrained minimizer -M^{-1} c. */
  readonly step: Float64Array;
}

export interface OptimizerState {
  readonly kind: string;
  readonly scheduleCount: number;
  readonly buffers: Record<string, number[]>;
  readonly t: number;
}

export interface Optimizer {
  readonly kind: "sgd" | "newton" | "adam";
  /** 1 for first-order methods, 2 when a Hessian is used. */
  readonly order: 1 | 2;
  readonly schedule: Schedule;
  /** Builds the quadratic model of the update (buffers owned by the optimizer). False if it fails (e.g. no factorization). */
  model(theta: Float64Array, grad: Float64Array, hessian: Float64Array | null): QuadraticModel | null;
  /** Called after an update was accepted (momentum and moment estimates advance only then). */
  commit(applied: Float64Array): void;
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
}

abstract class Base {
  readonly M: Float64Array;
  readonly c: Float64Array;
  readonly step: Float64Array;
  readonly schedule: Schedule;
  constructor(
    readonly n: number,
    lr: ScheduleSpec | number,
  ) {
    this.M = new Float64Array(n * n);
    this.c = new Float64Array(n);
    this.step = new Float64Array(n);
    this.schedule = new Schedule(typeof lr === "number" ? { kind: "constant", value: lr } : lr);
  }
  protected identityModel(): QuadraticModel {
    const n = this.n;
    this.M.fill(0);
    for (let i = 0; i < n; i++) {
      this.M[i * n + i] = 1;
      this.c[i] = -this.step[i];
    }
    return this;
  }
}

/** Gradient descent with (heavy-ball) momentum: v <- mu v - lr g, d = v. */
export class Sgd extends Base implements Optimizer {
  readonly kind = "sgd";
  readonly order = 1;
  private readonly v: Float64Array;
  constructor(
    n: number,
    lr: ScheduleSpec | number,
    readonly momentum = 0,
    readonly weightDecay = 0,
  ) {
    super(n, lr);
    this.v = new Float64Array(n);
  }
  model(theta: Float64Array, grad: Float64Array): QuadraticModel {
    const lr = this.schedule.value;
    for (let i = 0; i < this.n; i++) {
      this.step[i] = this.momentum * this.v[i] - lr * (grad[i] + this.weightDecay * theta[i]);
    }
    return this.identityModel();
  }
  commit(): void {
    this.v.set(this.step);
    this.schedule.step();
  }
  getState(): OptimizerState {
    return { kind: this.kind, scheduleCount: this.schedule.count, buffers: { v: Array.from(this.v) }, t: 0 };
  }
  setState(s: OptimizerState): void {
    this.schedule.count = s.scheduleCount;
    this.v.set(s.buffers.v ?? []);
  }
}

/**
 * Newton's method as in mpcrl's NewtonMethod: factor H + tau I with the smallest tau of the
 * added-identity Cholesky (linalg.ts), then the model is 0.5 d'(LL')d + lr g'd, i.e. the
 * unconstrained step d = -lr (LL')^{-1} g.
 */
export class Newton extends Base implements Optimizer {
  readonly kind = "newton";
  readonly order = 2;
  private readonly L: Float64Array;
  lastTau = 0;
  constructor(
    n: number,
    lr: ScheduleSpec | number,
    readonly choMaxIter = 1000,
  ) {
    super(n, lr);
    this.L = new Float64Array(n * n);
  }
  model(_theta: Float64Array, grad: Float64Array, hessian: Float64Array | null): QuadraticModel | null {
    const n = this.n;
    const lr = this.schedule.value;
    if (!hessian) throw new Error("Newton's method needs a Hessian");
    const tau = choleskyAddedIdentity(hessian, n, this.L, 1e-3, this.choMaxIter);
    this.lastTau = tau;
    if (Number.isNaN(tau)) return null;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) this.M[i * n + j] = hessian[i * n + j] + (i === j ? tau : 0);
      this.c[i] = lr * grad[i];
    }
    cholSolve(this.L, n, this.c, this.step);
    for (let i = 0; i < n; i++) this.step[i] = -this.step[i];
    return this;
  }
  commit(): void {
    this.schedule.step();
  }
  getState(): OptimizerState {
    return { kind: this.kind, scheduleCount: this.schedule.count, buffers: {}, t: 0 };
  }
  setState(s: OptimizerState): void {
    this.schedule.count = s.scheduleCount;
  }
}

/** Adam (Kingma & Ba 2015, Algorithm 1). */
export class Adam extends Base implements Optimizer {
  readonly kind = "adam";
  readonly order = 1;
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private readonly mNext: Float64Array;
  private readonly vNext: Float64Array;
  private t = 0;
  constructor(
    n: number,
    lr: ScheduleSpec | number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
  ) {
    super(n, lr);
    this.m = new Float64Array(n);
    this.v = new Float64Array(n);
    this.mNext = new Float64Array(n);
    this.vNext = new Float64Array(n);
  }
  model(_theta: Float64Array, grad: Float64Array): QuadraticModel {
    const lr = this.schedule.value;
    const t = this.t + 1;
    const b1 = 1 - Math.pow(this.beta1, t);
    const b2 = 1 - Math.pow(this.beta2, t);
    for (let i = 0; i < this.n; i++) {
      const m = this.beta1 * this.m[i] + (1 - this.beta1) * grad[i];
      const v = this.beta2 * this.v[i] + (1 - this.beta2) * grad[i] * grad[i];
      this.mNext[i] = m;
      this.vNext[i] = v;
      this.step[i] = (-lr * (m / b1)) / (Math.sqrt(v / b2) + this.eps);
    }
    return this.identityModel();
  }
  commit(): void {
    this.m.set(this.mNext);
    this.v.set(this.vNext);
    this.t++;
    this.schedule.step();
  }
  getState(): OptimizerState {
    return {
      kind: this.kind,
      scheduleCount: this.schedule.count,
      buffers: { m: Array.from(this.m), v: Array.from(this.v) },
      t: this.t,
    };
  }
  setState(s: OptimizerState): void {
    this.schedule.count = s.scheduleCount;
    this.m.set(s.buffers.m ?? []);
    this.v.set(s.buffers.v ?? []);
    this.t = s.t;
  }
}

export type OptimizerSpec =
  | { readonly kind: "sgd"; readonly lr: ScheduleSpec | number; readonly momentum?: number; readonly weightDecay?: number }
  | { readonly kind: "newton"; readonly lr: ScheduleSpec | number }
  | { readonly kind: "adam"; readonly lr: ScheduleSpec | number; readonly beta1?: number; readonly beta2?: number };

export function createOptimizer(n: number, spec: OptimizerSpec): Optimizer {
  switch (spec.kind) {
    case "sgd":
      return new Sgd(n, spec.lr, spec.momentum ?? 0, spec.weightDecay ?? 0);
    case "newton":
      return new Newton(n, spec.lr);
    case "adam":
      return new Adam(n, spec.lr, spec.beta1 ?? 0.9, spec.beta2 ?? 0.999);
  }
}
