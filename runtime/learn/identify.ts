// Safe online learning by identification for control (issue 13): after the first `after`
// transitions (s, a, s') of a run, the learnable parameters of the controller's one-step model are
// fitted to them by least squares, and the learnable back-offs of its first-stage state bounds are
// bounded below by the one-step prediction errors that remain, so that the bounds the MPC plans
// with hold at the plant's next state whatever the disturbance does (as far as the data show).
// Q-learning then refines every parameter from there, the back-offs never below that tightening.
//
// 1. Identification (the prediction-error method, Ljung 1999, ch. 7; "identification for control",
//    Gevers 2005): minimize sum_t |s'_t - M(theta) [s_t; a_t; 1]|^2 over the entries of theta that
//    move M (runtime/mpc/structure.ts reads M off the QP), by Gauss-Newton with a small
//    Levenberg-Marquardt term around the current theta (exact in one step when theta enters M
//    affinely; the term picks the smallest change when the data cannot separate two parameters).
// 2. Tightening (constraint tightening by the disturbance set, as in tube MPC: Mayne, Seron &
//    Rakovic 2005, Automatica 41, for the first stage, where the realized state meets the bound):
//    with residuals e_t = s'_t - M(theta*) phi_t, the plant's next state lies in
//    x_1 + [e_lo, e_hi]; the endpoints are estimated from the n residuals by the unbiased estimator
//    of a uniform's support (min - range/(n - 1), max + range/(n - 1)), which widens the observed
//    range by one expected sample spacing. A parameter that only moves a stage-1 bound row of state
//    i with gain g (bound change per unit of theta) is a back-off: the lower bound must sit -e_lo
//    above where it sits with that parameter at 0, the upper bound e_hi below, which gives a lower
//    (g > 0) or upper (g < 0) limit on the parameter.
// Both results are candidates: the learner validates them like any update (the MPC must solve at
// the state it meets next) and logs what was derived.

import type { LinearStructure } from "../mpc/structure.js";
import { choleskyShifted, cholSolve } from "../linalg/dense.js";

export interface DerivedLimit {
  /** Index into theta. */
  readonly index: number;
  readonly side: "lower" | "upper";
  readonly value: number;
  /** State entry whose stage-1 bound the parameter backs off. */
  readonly state: number;
}

export interface IdentificationResult {
  readonly ok: boolean;
  readonly message: string;
  /** The candidate theta: model entries fitted, back-offs moved into their limits. */
  readonly theta: Float64Array;
  /** Entries of theta the fit moved. */
  readonly modelIndices: readonly number[];
  /** Root mean square one-step prediction error per state, before and after the fit. */
  readonly rmseBefore: Float64Array;
  readonly rmseAfter: Float64Array;
  /** Estimated support of the remaining prediction error per state. */
  readonly errorLow: Float64Array;
  readonly errorHigh: Float64Array;
  readonly limits: readonly DerivedLimit[];
  readonly samples: number;
}

/** Collects transitions, identifies once, then keeps the latest `window` transitions for re-tightening. */
export class OnlineIdentification {
  private readonly S: Float64Array[] = [];
  private readonly A: Float64Array[] = [];
  private readonly N: Float64Array[] = [];
  done = false;
  result: IdentificationResult | undefined;

  constructor(
    readonly structure: LinearStructure,
    readonly after: number,
    readonly window = 200,
  ) {}

  /** Transitions since the last (re-)tightening. */
  private fresh = 0;

  get samples(): number {
    return this.S.length;
  }

  /** Records one transition; returns true when `after` transitions are in and identification is due. */
  record(s: ArrayLike<number>, a: ArrayLike<number>, sNext: ArrayLike<number>): boolean {
    this.S.push(Float64Array.from(s));
    this.A.push(Float64Array.from(a));
    this.N.push(Float64Array.from(sNext));
    if (this.S.length > Math.max(this.window, this.after)) {
      this.S.shift();
      this.A.shift();
      this.N.shift();
    }
    this.fresh++;
    return !this.done && this.S.length >= this.after;
  }

  /** Whether `after` transitions came in since identification or the last re-tightening. */
  retightenDue(): boolean {
    return this.done && this.result?.ok === true && this.fresh >= this.after;
  }

  /** Re-tightening for the current theta on the latest transitions (retighten()). */
  retighten(theta: Float64Array, lower: Float64Array, upper: Float64Array): ReturnType<typeof retighten> {
    this.fresh = 0;
    const model = new Set(this.result?.modelIndices ?? []);
    return retighten(this.structure, this.S, this.A, this.N, theta, model, lower, upper);
  }

  /** Runs the identification from theta within the boxes [lower, upper]; marks it done. */
  identify(theta: Float64Array, lower: Float64Array, upper: Float64Array): IdentificationResult {
    this.done = true;
    this.fresh = 0;
    this.result = identifyForControl(this.structure, this.S, this.A, this.N, theta, lower, upper);
    return this.result;
  }

  getState(): IdentificationState {
    const arr = (x: Float64Array[]) => x.map((v) => Array.from(v));
    return { S: arr(this.S), A: arr(this.A), N: arr(this.N), done: this.done, fresh: this.fresh, modelIndices: [...(this.result?.modelIndices ?? [])], ok: this.result?.ok === true };
  }

  setState(st: IdentificationState): void {
    this.S.length = 0;
    this.A.length = 0;
    this.N.length = 0;
    for (const v of st.S) this.S.push(Float64Array.from(v));
    for (const v of st.A) this.A.push(Float64Array.from(v));
    for (const v of st.N) this.N.push(Float64Array.from(v));
    this.done = st.done;
    this.fresh = st.fresh ?? 0;
    if (st.done && st.modelIndices) {
      const nx = this.structure.nx;
      const z = () => new Float64Array(nx);
      this.result = { ok: st.ok ?? true, message: "restored", theta: new Float64Array(0), modelIndices: st.modelIndices, rmseBefore: z(), rmseAfter: z(), errorLow: z(), errorHigh: z(), limits: [], samples: this.S.length };
    }
  }
}

/** Checkpointed state of an online identification (run folders' checkpoint.json). */
export interface IdentificationState {
  S: number[][];
  A: number[][];
  N: number[][];
  done: boolean;
  fresh?: number;
  modelIndices?: number[];
  ok?: boolean;
}

function residuals(st: LinearStructure, M: Float64Array, S: readonly Float64Array[], A: readonly Float64Array[], N: readonly Float64Array[], out: Float64Array): void {
  const { nx, nu } = st;
  const w = nx + nu + 1;
  for (let t = 0; t < S.length; t++) {
    for (let i = 0; i < nx; i++) {
      let v = M[i * w + nx + nu];
      for (let j = 0; j < nx; j++) v += M[i * w + j] * S[t][j];
      for (let j = 0; j < nu; j++) v += M[i * w + nx + j] * A[t][j];
      out[t * nx + i] = N[t][i] - v;
    }
  }
}

function rmsePerState(r: Float64Array, nx: number, n: number): Float64Array {
  const out = new Float64Array(nx);
  for (let t = 0; t < n; t++) for (let i = 0; i < nx; i++) out[i] += r[t * nx + i] ** 2;
  return out.map((v) => Math.sqrt(v / Math.max(1, n)));
}

export function identifyForControl(
  st: LinearStructure,
  S: readonly Float64Array[],
  A: readonly Float64Array[],
  N: readonly Float64Array[],
  theta0: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
): IdentificationResult {
  const { nx, nu } = st;
  const n = S.length;
  const w = nx + nu + 1;
  const theta = Float64Array.from(theta0);
  const M = new Float64Array(nx * w);
  const r = new Float64Array(n * nx);
  const fail = (message: string): IdentificationResult => ({
    ok: false,
    message,
    theta: Float64Array.from(theta0),
    modelIndices: [],
    rmseBefore: new Float64Array(nx),
    rmseAfter: new Float64Array(nx),
    errorLow: new Float64Array(nx),
    errorHigh: new Float64Array(nx),
    limits: [],
    samples: n,
  });
  if (n < 2) return fail("fewer than two transitions");
  if (!st.dynamics(theta, M)) return fail("the controller's stage-0 dynamics are singular at the current parameters");
  residuals(st, M, S, A, N, r);
  const rmseBefore = rmsePerState(r, nx, n);
  let dM: Float64Array[] = [];
  let modelIdx: number[] = [];
  const jacobian = (): boolean => {
    const jac = modelJacobian(st, theta);
    if (!jac) return false;
    dM = jac.dM;
    modelIdx = jac.indices;
    return true;
  };
  if (!jacobian()) return fail("the controller's dynamics are singular near the current parameters");
  const p = modelIdx.length;
  if (p === 0) return fail("no learnable parameter enters the controller's dynamics");
  // Gauss-Newton (Levenberg-Marquardt term mu * mean diagonal), a few iterations for parameters
  // that enter M nonlinearly; each iteration clamps to the boxes
  const G = new Float64Array(p * p);
  const L = new Float64Array(p * p);
  const g = new Float64Array(p);
  const delta = new Float64Array(p);
  const Jrow = new Float64Array(p);
  for (let iter = 0; iter < 5; iter++) {
    G.fill(0);
    g.fill(0);
    for (let t = 0; t < n; t++) {
      for (let i = 0; i < nx; i++) {
        // d residual / d theta_j = -(dM_j phi_t)_i
        for (let a = 0; a < p; a++) {
          const d = dM[a];
          let v = d[i * w + nx + nu];
          for (let j = 0; j < nx; j++) v += d[i * w + j] * S[t][j];
          for (let j = 0; j < nu; j++) v += d[i * w + nx + j] * A[t][j];
          Jrow[a] = v;
        }
        const ri = r[t * nx + i];
        for (let a = 0; a < p; a++) {
          g[a] += Jrow[a] * ri;
          for (let b = 0; b <= a; b++) G[a * p + b] += Jrow[a] * Jrow[b];
        }
      }
    }
    let diag = 0;
    for (let a = 0; a < p; a++) diag += G[a * p + a];
    const mu = 1e-9 * Math.max(diag / p, 1e-300);
    if (!choleskyShifted(G, p, mu, L)) return fail("the identification's normal equations are not positive definite");
    cholSolve(L, p, g, delta);
    let change = 0;
    for (let a = 0; a < p; a++) {
      const j = modelIdx[a];
      const next = Math.min(Math.max(theta[j] + delta[a], lower[j]), upper[j]);
      change = Math.max(change, Math.abs(next - theta[j]) / (1 + Math.abs(theta[j])));
      theta[j] = next;
    }
    if (!st.dynamics(theta, M)) return fail("the identified dynamics are singular");
    residuals(st, M, S, A, N, r);
    if (change < 1e-12) break;
    if (iter < 4 && !jacobian()) return fail("the controller's dynamics are singular near the identified parameters");
  }
  if (!theta.every(Number.isFinite)) return fail("the identified parameters are not finite");
  const rmseAfter = rmsePerState(r, nx, n);
  const { errorLow, errorHigh } = errorSupport(r, N, nx, n);
  const limits = backoffLimits(st, theta, new Set(modelIdx), errorLow, errorHigh, lower, upper);
  // moved into their limits after the scan (which compares bounds against the fitted theta)
  for (const l of limits) {
    if (l.side === "lower" && theta[l.index] < l.value) theta[l.index] = l.value;
    if (l.side === "upper" && theta[l.index] > l.value) theta[l.index] = l.value;
  }
  return {
    ok: true,
    message: `fitted ${p} model parameter(s) to ${n} transitions`,
    theta,
    modelIndices: [...modelIdx],
    rmseBefore,
    rmseAfter,
    errorLow,
    errorHigh,
    limits,
    samples: n,
  };
}

/** Support of the prediction error per state from n residuals (unbiased endpoints of a uniform:
 *  the observed range widened by one expected spacing, range / (n - 1), on each side). */
function errorSupport(r: Float64Array, N: readonly Float64Array[], nx: number, n: number): { errorLow: Float64Array; errorHigh: Float64Array } {
  const errorLow = new Float64Array(nx).fill(Infinity);
  const errorHigh = new Float64Array(nx).fill(-Infinity);
  let scale = 0;
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < nx; i++) {
      errorLow[i] = Math.min(errorLow[i], r[t * nx + i]);
      errorHigh[i] = Math.max(errorHigh[i], r[t * nx + i]);
      scale = Math.max(scale, Math.abs(N[t][i]));
    }
  }
  for (let i = 0; i < nx; i++) {
    // an error at round-off level (a state the model predicts exactly) is no error
    if (errorHigh[i] - errorLow[i] <= 1e-12 * (1 + scale)) {
      errorLow[i] = 0;
      errorHigh[i] = 0;
      continue;
    }
    const spread = (errorHigh[i] - errorLow[i]) / Math.max(1, n - 1);
    errorLow[i] = Math.min(0, errorLow[i] - spread);
    errorHigh[i] = Math.max(0, errorHigh[i] + spread);
  }
  return { errorLow, errorHigh };
}

/** A back-off: a parameter outside the model that moves exactly one side of one stage-1 bound row. */
export interface BackoffParameter {
  readonly index: number;
  readonly state: number;
  /** The side of the bound it moves. */
  readonly bound: "lower" | "upper";
  /** Bound change per unit of the parameter. */
  readonly gain: number;
}

/** The parameters that move the one-step model M(theta) (central differences at theta). */
export function modelParameters(st: LinearStructure, theta: Float64Array): number[] | undefined {
  return modelJacobian(st, theta)?.indices;
}

/** dM/dtheta_j by central differences (exact when theta enters M affinely; step relative to
 *  |theta_j|), for the entries that move M; undefined when the dynamics are singular nearby. */
function modelJacobian(st: LinearStructure, theta: Float64Array): { indices: number[]; dM: Float64Array[] } | undefined {
  const { nx, nu } = st;
  const w = nx + nu + 1;
  const M = new Float64Array(nx * w);
  const Mp = new Float64Array(nx * w);
  const Mm = new Float64Array(nx * w);
  if (!st.dynamics(theta, M)) return undefined;
  const th = Float64Array.from(theta);
  const indices: number[] = [];
  const dM: Float64Array[] = [];
  for (let j = 0; j < th.length; j++) {
    const h = 1e-6 * Math.max(1, Math.abs(th[j]));
    const keep = th[j];
    th[j] = keep + h;
    const okP = st.dynamics(th, Mp);
    th[j] = keep - h;
    const okM = st.dynamics(th, Mm);
    th[j] = keep;
    if (!okP || !okM) return undefined;
    const d = new Float64Array(nx * w);
    let any = false;
    for (let k = 0; k < d.length; k++) {
      d[k] = (Mp[k] - Mm[k]) / (2 * h);
      if (Math.abs(d[k]) > 1e-9 * (1 + Math.abs(M[k]))) any = true;
    }
    if (any) {
      indices.push(j);
      dM.push(d);
    }
  }
  return { indices, dM };
}

/** The back-offs among the parameters outside `model` (bounds are affine in them: one unit step). */
export function backoffParameters(st: LinearStructure, theta: Float64Array, model: ReadonlySet<number>): BackoffParameter[] {
  const nb = st.bounds.length;
  const lo0 = new Float64Array(nb);
  const hi0 = new Float64Array(nb);
  const loP = new Float64Array(nb);
  const hiP = new Float64Array(nb);
  const th = Float64Array.from(theta);
  const out: BackoffParameter[] = [];
  st.stateBounds(th, lo0, hi0);
  for (let j = 0; j < th.length; j++) {
    if (model.has(j)) continue;
    const keep = th[j];
    th[j] = keep + 1;
    st.stateBounds(th, loP, hiP);
    th[j] = keep;
    let moved: BackoffParameter | undefined;
    let count = 0;
    for (let k = 0; k < nb; k++) {
      for (const bound of ["lower", "upper"] as const) {
        const a = bound === "lower" ? lo0[k] : hi0[k];
        const b = bound === "lower" ? loP[k] : hiP[k];
        if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
        const gain = b - a;
        if (Math.abs(gain) > 1e-12) {
          count++;
          moved = { index: j, state: st.bounds[k].state, bound, gain };
        }
      }
    }
    if (count === 1 && moved !== undefined) out.push(moved);
  }
  return out;
}

/**
 * The back-offs' limits: bound(theta_j) = bound(0) + g theta_j; the lower side needs
 * bound >= bound(0) - errorLow, the upper side bound <= bound(0) - errorHigh.
 */
function backoffLimits(
  st: LinearStructure,
  theta: Float64Array,
  model: ReadonlySet<number>,
  errorLow: Float64Array,
  errorHigh: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
): DerivedLimit[] {
  const limits: DerivedLimit[] = [];
  for (const b of backoffParameters(st, theta, model)) {
    const need = b.bound === "lower" ? -errorLow[b.state] : -errorHigh[b.state];
    if (need === 0) continue;
    const j = b.index;
    const limit = need / b.gain;
    const side: "lower" | "upper" = (b.bound === "lower") === (b.gain > 0) ? "lower" : "upper";
    const value = side === "lower" ? Math.min(Math.max(limit, lower[j]), upper[j]) : Math.max(Math.min(limit, upper[j]), lower[j]);
    limits.push({ index: j, side, value, state: b.state });
  }
  return limits;
}

/**
 * The tightening again, for the current parameters: the one-step prediction error of the current
 * model M(theta) on the given transitions, and the back-off limits it implies (the parameters that
 * move M are left out, as in the identification).
 */
export function retighten(
  st: LinearStructure,
  S: readonly Float64Array[],
  A: readonly Float64Array[],
  N: readonly Float64Array[],
  theta: Float64Array,
  model: ReadonlySet<number>,
  lower: Float64Array,
  upper: Float64Array,
): { errorLow: Float64Array; errorHigh: Float64Array; limits: DerivedLimit[] } | undefined {
  const n = S.length;
  if (n < 2) return undefined;
  const M = new Float64Array(st.nx * (st.nx + st.nu + 1));
  if (!st.dynamics(theta, M)) return undefined;
  const r = new Float64Array(n * st.nx);
  residuals(st, M, S, A, N, r);
  const { errorLow, errorHigh } = errorSupport(r, N, st.nx, n);
  return { errorLow, errorHigh, limits: backoffLimits(st, Float64Array.from(theta), model, errorLow, errorHigh, lower, upper) };
}
