// One shooting interval of multiple shooting (Bock & Plitt 1984): x+ = F(x, u, theta) by the
// classical Runge-Kutta method of order 4 or explicit Euler with `substeps` equal steps of
// h = dt / substeps, with the Jacobians of F w.r.t. w = (x, u, theta) by forward sensitivities of
// the stages (internal numerical differentiation, Bock 1981; Hairer, Norsett & Wanner, "Solving
// Ordinary Differential Equations I", 2nd ed., Sec. II.1 eq. (1.8) for RK4):
//   z_1 = x, z_2 = x + h/2 k_1, z_3 = x + h/2 k_2, z_4 = x + h k_3,  k_i = f(z_i, u, theta),
//   x+ = x + h/6 (k_1 + 2 k_2 + 2 k_3 + k_4),
//   dk_i/dw = f_x(z_i) dz_i/dw + [0, f_u, f_theta](z_i).
// The Hessian of lambda'F w.r.t. w (for the exact Lagrangian Hessian) is the second-order adjoint
// of the same stages: with mu_i = dF'lambda/dk_i (reverse sweep, Griewank & Walther, "Evaluating
// Derivatives", 2nd ed., Sec. 4.4 / Ch. 5),
//   H = sum_i D_i' Hess(mu_i'f)(z_i, u, theta) D_i,  D_i = d(z_i, u, theta)/dw,
// since every other operation of the step is linear in its inputs. A discrete model is F itself.
// Allocation-free after construction: `step` and `hessian` only write preallocated arrays.

import type { DynamicsOut, Integrator } from "./types.js";

export type DynamicsFn = (x: Float64Array, u: Float64Array, theta: Float64Array, rt: Float64Array, out: DynamicsOut) => void;
export type DynamicsHessianFn = (x: Float64Array, u: Float64Array, theta: Float64Array, rt: Float64Array, lambda: Float64Array, out: Float64Array) => void;

export class StepIntegrator {
  readonly nx: number;
  readonly nu: number;
  readonly nTheta: number;
  /** nx + nu + nTheta. */
  readonly nw: number;
  /** F(x, u, theta) and its Jacobians after `step` (fx nx x nx, fu nx x nu, ftheta nx x nTheta). */
  readonly out: DynamicsOut;
  /** Whether `step` propagates the theta columns (ftheta; the theta part of `hessian`). Off, the
   *  sensitivities cost nx + nu columns instead of nx + nu + nTheta, and ftheta keeps old values:
   *  an SQP iterates without them and asks for them once, at the solution (learning). */
  thetaColumns = true;
  private readonly f: DynamicsFn;
  private readonly fHess: DynamicsHessianFn | undefined;
  private readonly spec: Integrator;
  private readonly stages: number;
  private readonly steps: number;
  private readonly h: number;
  private readonly ev: DynamicsOut;
  // state and its sensitivity S = dx/dw (nx x nw)
  private readonly xs: Float64Array;
  private readonly S: Float64Array;
  // per step and stage: stage point, f_x there, dz/dw
  private readonly zAll: Float64Array;
  private readonly fxAll: Float64Array;
  private readonly dzAll: Float64Array;
  private readonly kSum: Float64Array;
  private readonly KSum: Float64Array;
  private readonly kPrev: Float64Array;
  private readonly KPrev: Float64Array;
  // hessian work
  private readonly lam: Float64Array;
  private readonly mu: Float64Array;
  private readonly adj: Float64Array;
  private readonly lamNext: Float64Array;
  private readonly Hf: Float64Array;
  private readonly T: Float64Array;
  private readonly xArg: Float64Array;
  private u!: Float64Array;
  private theta!: Float64Array;
  private rt!: Float64Array;

  constructor(nx: number, nu: number, nTheta: number, f: DynamicsFn, spec: Integrator, fHess?: DynamicsHessianFn) {
    this.nx = nx;
    this.nu = nu;
    this.nTheta = nTheta;
    const nw = (this.nw = nx + nu + nTheta);
    this.f = f;
    this.fHess = fHess;
    this.spec = spec;
    if (spec.kind === "discrete") {
      this.stages = 1;
      this.steps = 1;
      this.h = 1;
    } else {
      if (!(spec.dt > 0) || !Number.isInteger(spec.substeps) || spec.substeps < 1) throw new RangeError("integrator: dt must be > 0 and substeps a positive integer");
      this.stages = spec.kind === "rk4" ? 4 : 1;
      this.steps = spec.substeps;
      this.h = spec.dt / spec.substeps;
    }
    this.out = { f: new Float64Array(nx), fx: new Float64Array(nx * nx), fu: new Float64Array(nx * nu), ftheta: new Float64Array(nx * nTheta) };
    this.ev = { f: new Float64Array(nx), fx: new Float64Array(nx * nx), fu: new Float64Array(nx * nu), ftheta: new Float64Array(nx * nTheta) };
    this.xs = new Float64Array(nx);
    this.S = new Float64Array(nx * nw);
    const ns = this.stages * this.steps;
    this.zAll = new Float64Array(ns * nx);
    this.fxAll = new Float64Array(ns * nx * nx);
    this.dzAll = new Float64Array(ns * nx * nw);
    this.kSum = new Float64Array(nx);
    this.KSum = new Float64Array(nx * nw);
    this.kPrev = new Float64Array(nx);
    this.KPrev = new Float64Array(nx * nw);
    this.lam = new Float64Array(nx);
    this.mu = new Float64Array(nx);
    this.adj = new Float64Array(nx);
    this.lamNext = new Float64Array(nx);
    this.Hf = new Float64Array(nw * nw);
    this.T = new Float64Array(nw * nw);
    this.xArg = new Float64Array(nx);
  }

  /** Whether `hessian` can be used (a continuous model needs `dynamicsHessian`). */
  get hasHessian(): boolean {
    return this.fHess !== undefined;
  }

  /** Evaluates F and its Jacobians at (x, u, theta) into `out`. */
  step(x: Float64Array, u: Float64Array, theta: Float64Array, rt: Float64Array): DynamicsOut {
    this.u = u;
    this.theta = theta;
    this.rt = rt;
    const { nx, nu, nw, out } = this;
    if (this.spec.kind === "discrete") {
      this.f(x, u, theta, rt, out);
      this.zAll.set(x);
      return out;
    }
    const { ev, xs, S, kSum, KSum, kPrev, KPrev, h, zAll, fxAll, dzAll, xArg } = this;
    const rk4 = this.stages === 4;
    // columns propagated: (x, u) always, theta on demand (every row of S, K, dz keeps stride nw)
    const nc = this.thetaColumns ? nw : nx + nu;
    xs.set(x);
    S.fill(0);
    for (let i = 0; i < nx; i++) S[i * nw + i] = 1;
    let idx = 0;
    for (let s = 0; s < this.steps; s++) {
      kSum.fill(0);
      KSum.fill(0);
      for (let st = 0; st < this.stages; st++, idx++) {
        // stage point z = xs + c h k_prev and dz/dw = S + c h K_prev
        const c = st === 0 ? 0 : st === 3 ? h : 0.5 * h;
        const zo = idx * nx;
        const dzo = idx * nx * nw;
        // (stage 0 copies: kPrev/KPrev still hold the previous substep's or call's last stage,
        // and 0 * a non-finite value left there would poison every later step)
        if (st === 0) {
          for (let i = 0; i < nx; i++) xArg[i] = zAll[zo + i] = xs[i];
          for (let i = 0; i < nx; i++) for (let j = i * nw; j < i * nw + nc; j++) dzAll[dzo + j] = S[j];
        } else {
          for (let i = 0; i < nx; i++) xArg[i] = zAll[zo + i] = xs[i] + c * kPrev[i];
          for (let i = 0; i < nx; i++) for (let j = i * nw; j < i * nw + nc; j++) dzAll[dzo + j] = S[j] + c * KPrev[j];
        }
        this.f(xArg, u, theta, rt, ev);
        fxAll.set(ev.fx, idx * nx * nx);
        // K = fx dz + [0 fu ftheta], row by row as a sum of rows of dz: structural zeros of f_x
        // (most of a mechanical model's: x' = v, a chain's neighbours only) cost nothing
        const fx = ev.fx;
        for (let i = 0; i < nx; i++) {
          const ko = i * nw;
          for (let j = 0; j < nc; j++) KPrev[ko + j] = 0;
          for (let l = 0; l < nx; l++) {
            const a = fx[i * nx + l];
            if (a === 0) continue;
            const ro = dzo + l * nw;
            for (let j = 0; j < nc; j++) KPrev[ko + j] += a * dzAll[ro + j];
          }
          for (let j = 0; j < nu; j++) KPrev[i * nw + nx + j] += ev.fu[i * nu + j];
          if (nc === nw) for (let j = 0; j < this.nTheta; j++) KPrev[i * nw + nx + nu + j] += ev.ftheta[i * this.nTheta + j];
          kPrev[i] = ev.f[i];
        }
        const b = rk4 ? (st === 0 || st === 3 ? 1 / 6 : 1 / 3) : 1;
        for (let i = 0; i < nx; i++) kSum[i] += b * kPrev[i];
        for (let i = 0; i < nx; i++) for (let j = i * nw; j < i * nw + nc; j++) KSum[j] += b * KPrev[j];
      }
      for (let i = 0; i < nx; i++) xs[i] += h * kSum[i];
      for (let i = 0; i < nx; i++) for (let j = i * nw; j < i * nw + nc; j++) S[j] += h * KSum[j];
    }
    out.f.set(xs);
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < nx; j++) out.fx[i * nx + j] = S[i * nw + j];
      for (let j = 0; j < nu; j++) out.fu[i * nu + j] = S[i * nw + nx + j];
      if (nc === nw) for (let j = 0; j < this.nTheta; j++) out.ftheta[i * this.nTheta + j] = S[i * nw + nx + nu + j];
    }
    return out;
  }

  /**
   * Hessian of lambda'F w.r.t. w = (x, u, theta) at the point of the last `step`, ADDED to `out`
   * (nw x nw, row-major). Returns false when the model has no `dynamicsHessian`.
   */
  hessian(lambda: ArrayLike<number>, out: Float64Array): boolean {
    const fHess = this.fHess;
    if (fHess === undefined) return false;
    const { nx, nw, u, theta, rt, Hf } = this;
    if (this.spec.kind === "discrete") {
      for (let i = 0; i < nx; i++) this.lam[i] = lambda[i];
      this.xArg.set(this.zAll.subarray(0, nx));
      fHess(this.xArg, u, theta, rt, this.lam, Hf);
      for (let j = 0; j < nw * nw; j++) out[j] += Hf[j];
      return true;
    }
    const { lam, mu, adj, lamNext, h, fxAll, zAll, xArg } = this;
    const rk4 = this.stages === 4;
    for (let i = 0; i < nx; i++) lam[i] = lambda[i];
    for (let s = this.steps - 1; s >= 0; s--) {
      lamNext.set(lam);
      // reverse over the stages: mu_i = b_i h lam + a_{i+1} h c_{i+1}, a_i = fx_i' mu_i
      adj.fill(0);
      for (let st = this.stages - 1; st >= 0; st--) {
        const idx = s * this.stages + st;
        const b = rk4 ? (st === 0 || st === 3 ? 1 / 6 : 1 / 3) : 1;
        const cNext = !rk4 || st === 3 ? 0 : st === 2 ? h : 0.5 * h;
        for (let i = 0; i < nx; i++) mu[i] = b * h * lamNext[i] + cNext * adj[i];
        // adjoint of z_i: a = fx_i' mu
        const fo = idx * nx * nx;
        for (let j = 0; j < nx; j++) {
          let sum = 0;
          for (let i = 0; i < nx; i++) sum += fxAll[fo + i * nx + j] * mu[i];
          adj[j] = sum;
        }
        for (let i = 0; i < nx; i++) lam[i] += adj[i];
        // curvature of stage i
        for (let i = 0; i < nx; i++) xArg[i] = zAll[idx * nx + i];
        fHess(xArg, u, theta, rt, mu, Hf);
        this.addCongruence(Hf, idx, out);
      }
    }
    return true;
  }

  /** out += D' Hf D with D = [dz/dw; 0 I] of stage idx (nw x nw). */
  private addCongruence(Hf: Float64Array, idx: number, out: Float64Array): void {
    const { nx, nw, T, dzAll } = this;
    const dzo = idx * nx * nw;
    // T = Hf D
    for (let a = 0; a < nw; a++) {
      for (let c = 0; c < nw; c++) {
        let sum = c >= nx ? Hf[a * nw + c] : 0;
        for (let b = 0; b < nx; b++) sum += Hf[a * nw + b] * dzAll[dzo + b * nw + c];
        T[a * nw + c] = sum;
      }
    }
    // out += D' T
    for (let c1 = 0; c1 < nw; c1++) {
      for (let c2 = 0; c2 < nw; c2++) {
        let sum = c1 >= nx ? T[c1 * nw + c2] : 0;
        for (let a = 0; a < nx; a++) sum += dzAll[dzo + a * nw + c1] * T[a * nw + c2];
        out[c1 * nw + c2] += sum;
      }
    }
  }
}

/** What the SQP needs of one shooting interval (StepIntegrator, CarryIntegrator). */
export interface ShootingInterval {
  readonly nx: number;
  readonly nw: number;
  readonly out: DynamicsOut;
  readonly hasHessian: boolean;
  /** Whether `step` computes ftheta (StepIntegrator.thetaColumns). */
  thetaColumns: boolean;
  step(x: Float64Array, u: Float64Array, theta: Float64Array, rt: Float64Array): DynamicsOut;
  hessian(lambda: ArrayLike<number>, out: Float64Array): boolean;
}

/**
 * A shooting interval of a model that carries previous inputs as states (OcpModel.carriedInputs,
 * `prev(u)`): x = (x_m, p) with x_m+ = F(x_m, u, theta) (the inner integrator over the nx - nc
 * model states) and p+ = u[carried] (exact and linear: no curvature). Jacobians and the Hessian
 * of lambda'F over w = (x_m, p, u, theta) are the inner ones with zero rows/columns for p.
 * With `delayed` (OcpModel.dynamicsReadsCarried: an input delay) F also reads p, constant over the
 * interval like u: the inner integrator's inputs are (u, p) (`delayedDynamics` adapts the model),
 * and its columns (x_m, u, p, theta) are mapped to (x_m, p, u, theta).
 */
export class CarryIntegrator implements ShootingInterval {
  readonly nx: number;
  readonly nw: number;
  readonly out: DynamicsOut;
  private readonly inner: StepIntegrator;
  private readonly carried: Int32Array;
  private readonly nu: number;
  private readonly delayed: boolean;
  private readonly xm: Float64Array;
  /** The inner integrator's input: u, then p when delayed. */
  private readonly up: Float64Array;
  private readonly lam: Float64Array;
  private readonly hIn: Float64Array;
  private readonly map: Int32Array;

  constructor(inner: StepIntegrator, carried: ArrayLike<number>, delayed = false) {
    this.inner = inner;
    this.carried = Int32Array.from(carried);
    this.delayed = delayed;
    const nc = this.carried.length;
    const nxm = inner.nx;
    const nTheta = inner.nTheta;
    const nu = (this.nu = delayed ? inner.nu - nc : inner.nu);
    if (nu < 0) throw new RangeError(`CarryIntegrator: the inner integrator has ${inner.nu} inputs, fewer than the ${nc} carried ones`);
    for (const c of this.carried) if (!(Number.isInteger(c) && c >= 0 && c < nu)) throw new RangeError(`carriedInputs: ${c} is not an input index (nu = ${nu})`);
    const nx = (this.nx = nxm + nc);
    this.nw = nx + nu + nTheta;
    this.out = { f: new Float64Array(nx), fx: new Float64Array(nx * nx), fu: new Float64Array(nx * nu), ftheta: new Float64Array(nx * nTheta) };
    for (let j = 0; j < nc; j++) this.out.fu[(nxm + j) * nu + this.carried[j]] = 1;
    this.xm = new Float64Array(nxm);
    this.up = new Float64Array(inner.nu);
    this.lam = new Float64Array(nxm);
    this.hIn = new Float64Array(inner.nw * inner.nw);
    // inner column -> outer column: the inner order is (x_m, u, [p when delayed], theta), the outer
    // one (x_m, p, u, theta)
    this.map = new Int32Array(inner.nw);
    for (let a = 0; a < inner.nw; a++) {
      if (a < nxm) this.map[a] = a;
      else if (a < nxm + nu) this.map[a] = a + nc;
      else if (delayed && a < nxm + nu + nc) this.map[a] = a - nu;
      else this.map[a] = delayed ? a : a + nc;
    }
  }

  get hasHessian(): boolean {
    return this.inner.hasHessian;
  }

  get thetaColumns(): boolean {
    return this.inner.thetaColumns;
  }

  set thetaColumns(on: boolean) {
    this.inner.thetaColumns = on;
  }

  step(x: Float64Array, u: Float64Array, theta: Float64Array, rt: Float64Array): DynamicsOut {
    const { inner, out, carried, xm, up, nu, delayed } = this;
    const nxm = inner.nx;
    const nTheta = inner.nTheta;
    const nc = carried.length;
    const nx = this.nx;
    const nui = inner.nu;
    for (let i = 0; i < nxm; i++) xm[i] = x[i];
    for (let j = 0; j < nu; j++) up[j] = u[j];
    if (delayed) for (let j = 0; j < nc; j++) up[nu + j] = x[nxm + j];
    const o = inner.step(xm, up, theta, rt);
    for (let i = 0; i < nxm; i++) {
      out.f[i] = o.f[i];
      for (let j = 0; j < nxm; j++) out.fx[i * nx + j] = o.fx[i * nxm + j];
      for (let j = 0; j < nu; j++) out.fu[i * nu + j] = o.fu[i * nui + j];
      if (delayed) for (let j = 0; j < nc; j++) out.fx[i * nx + nxm + j] = o.fu[i * nui + nu + j];
      if (inner.thetaColumns) for (let j = 0; j < nTheta; j++) out.ftheta[i * nTheta + j] = o.ftheta[i * nTheta + j];
    }
    for (let j = 0; j < nc; j++) out.f[nxm + j] = u[carried[j]];
    return out;
  }

  hessian(lambda: ArrayLike<number>, out: Float64Array): boolean {
    const { inner, lam, hIn, map } = this;
    for (let i = 0; i < inner.nx; i++) lam[i] = lambda[i];
    hIn.fill(0);
    if (!inner.hessian(lam, hIn)) return false;
    const nwi = inner.nw;
    const nw = this.nw;
    for (let a = 0; a < nwi; a++) for (let b = 0; b < nwi; b++) out[map[a] * nw + map[b]] += hIn[a * nwi + b];
    return true;
  }
}

/**
 * The model's dynamics that read the carried previous inputs (OcpModel.dynamicsReadsCarried) as
 * a function of (x_m, [u; p]) for an inner StepIntegrator with nu + nc inputs: x = (x_m, p) is
 * reassembled, the columns of p move from fx to the end of fu, and the Hessian's (x_m, p, u,
 * theta) order becomes (x_m, u, p, theta). Allocation-free after construction.
 */
export function delayedDynamics(
  dynamics: DynamicsFn,
  dynamicsHessian: DynamicsHessianFn | undefined,
  nxm: number,
  nc: number,
  nu: number,
  nTheta: number,
): { f: DynamicsFn; hessian: DynamicsHessianFn | undefined } {
  const nx = nxm + nc;
  const nui = nu + nc;
  const xFull = new Float64Array(nx);
  const uOnly = new Float64Array(nu);
  const tmp: DynamicsOut = { f: new Float64Array(nxm), fx: new Float64Array(nxm * nx), fu: new Float64Array(nxm * nu), ftheta: new Float64Array(nxm * nTheta) };
  const load = (xm: Float64Array, up: Float64Array): void => {
    for (let i = 0; i < nxm; i++) xFull[i] = xm[i];
    for (let j = 0; j < nc; j++) xFull[nxm + j] = up[nu + j];
    for (let j = 0; j < nu; j++) uOnly[j] = up[j];
  };
  const f: DynamicsFn = (xm, up, theta, rt, out) => {
    load(xm, up);
    dynamics(xFull, uOnly, theta, rt, tmp);
    for (let i = 0; i < nxm; i++) {
      out.f[i] = tmp.f[i];
      for (let j = 0; j < nxm; j++) out.fx[i * nxm + j] = tmp.fx[i * nx + j];
      for (let j = 0; j < nu; j++) out.fu[i * nui + j] = tmp.fu[i * nu + j];
      for (let j = 0; j < nc; j++) out.fu[i * nui + nu + j] = tmp.fx[i * nx + nxm + j];
      for (let j = 0; j < nTheta; j++) out.ftheta[i * nTheta + j] = tmp.ftheta[i * nTheta + j];
    }
  };
  if (dynamicsHessian === undefined) return { f, hessian: undefined };
  const nv = nx + nu + nTheta;
  const H = new Float64Array(nv * nv);
  // inner index (x_m, u, p, theta) -> model index (x_m, p, u, theta)
  const toModel = Int32Array.from({ length: nv }, (_, a) => (a < nxm ? a : a < nxm + nu ? a + nc : a < nxm + nu + nc ? a - nu : a));
  const hessian: DynamicsHessianFn = (xm, up, theta, rt, lambda, out) => {
    load(xm, up);
    dynamicsHessian(xFull, uOnly, theta, rt, lambda, H);
    for (let a = 0; a < nv; a++) for (let b = 0; b < nv; b++) out[a * nv + b] = H[toModel[a] * nv + toModel[b]];
  };
  return { f, hessian };
}
