// Identification for control from an offline data set: an affine model s' = A s + B a + c fitted by
// (ridge-regularized) least squares on the recorded transitions (s, a, s'), its residuals
// e_t = s'_t - (A s_t + B a_t + c) kept per rollout (the data's empirical disturbance sequence), and
// a stage-cost model for plants whose cost function is not available (least squares on the
// recorded costs over quadratic features of (s, a)).
//
// References: L. Ljung, "System Identification: Theory for the User", 2nd ed., 1999 (ch. 7, the
// least-squares prediction-error method; ch. 13 on closed-loop data: with a feedback policy the
// regressors [s, a] can be nearly collinear, hence the small ridge term and the reported condition);
// M. Gevers, "Identification for control: from the early achievements to the revival of
// experiment design", European Journal of Control 11, 2005.
//
// Noise level: with n transitions, p = nx + nu + 1 regressors and i.i.d. residuals of standard
// deviation sigma, each coefficient's standard error is sigma * sqrt([(Phi'Phi)^-1]_jj), reported as
// `stdErr` (tests use it to justify their tolerance).

import type { Rollout } from "./dataset.js";
import { choleskyShifted, cholSolve } from "../linalg/dense.js";

export interface AffineModel {
  readonly nx: number;
  readonly nu: number;
  /** nx x nx, row-major. */
  readonly A: Float64Array;
  /** nx x nu, row-major. */
  readonly B: Float64Array;
  readonly c: Float64Array;
  /** Residuals per rollout and step (s' - model prediction), the empirical disturbance sequences. */
  readonly residuals: readonly (readonly Float64Array[])[];
  /** Root mean square residual per state entry. */
  readonly rmse: Float64Array;
  /** Standard error of every coefficient, row i of [A B c] (nx x (nx + nu + 1), row-major). */
  readonly stdErr: Float64Array;
  /** Transitions used. */
  readonly samples: number;
  /** Ratio of the largest to the smallest diagonal entry of the normal matrix's Cholesky factor, squared (a cheap conditioning indicator). */
  readonly condition: number;
}

/** One-step prediction of an affine model into `out`. */
export function predict(m: AffineModel, s: ArrayLike<number>, a: ArrayLike<number>, out: Float64Array): Float64Array {
  const { nx, nu } = m;
  for (let i = 0; i < nx; i++) {
    let v = m.c[i];
    for (let j = 0; j < nx; j++) v += m.A[i * nx + j] * s[j];
    for (let j = 0; j < nu; j++) v += m.B[i * nu + j] * a[j];
    out[i] = v;
  }
  return out;
}

/** Solves the regularized normal equations (Phi'Phi + ridge * n * I) w = Phi'y for every column of y. */
function leastSquares(rows: readonly Float64Array[], targets: readonly Float64Array[], ridge: number): { w: Float64Array[]; inv: Float64Array; condition: number } | undefined {
  const p = rows[0].length;
  const m = targets[0].length;
  const n = rows.length;
  const G = new Float64Array(p * p);
  const R = Array.from({ length: m }, () => new Float64Array(p));
  for (let k = 0; k < n; k++) {
    const f = rows[k];
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) G[i * p + j] += f[i] * f[j];
      for (let t = 0; t < m; t++) R[t][i] += f[i] * targets[k][t];
    }
  }
  // scale-aware ridge: relative to the mean diagonal of the normal matrix
  let tr = 0;
  for (let i = 0; i < p; i++) tr += G[i * p + i];
  const lambda = ridge * Math.max(tr / p, 1e-300);
  const L = new Float64Array(p * p);
  if (!choleskyShifted(G, p, lambda, L)) return undefined;
  let dmax = 0;
  let dmin = Infinity;
  for (let i = 0; i < p; i++) {
    dmax = Math.max(dmax, Math.abs(L[i * p + i]));
    dmin = Math.min(dmin, Math.abs(L[i * p + i]));
  }
  const w = R.map((r) => cholSolve(L, p, r, new Float64Array(p)));
  const inv = new Float64Array(p * p);
  const e = new Float64Array(p);
  const col = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    e.fill(0);
    e[j] = 1;
    cholSolve(L, p, e, col);
    for (let i = 0; i < p; i++) inv[i * p + j] = col[i];
  }
  return { w, inv, condition: (dmax / Math.max(dmin, 1e-300)) ** 2 };
}

/** Fits s' = A s + B a + c by least squares (ridge relative to the normal matrix's mean diagonal). */
export function identifyAffine(data: readonly Rollout[], nx: number, nu: number, ridge = 1e-8): AffineModel {
  const rows: Float64Array[] = [];
  const ys: Float64Array[] = [];
  for (const ro of data) {
    for (const t of ro) {
      const f = new Float64Array(nx + nu + 1);
      f.set(t.s, 0);
      f.set(t.a, nx);
      f[nx + nu] = 1;
      rows.push(f);
      ys.push(t.sNext);
    }
  }
  if (rows.length === 0) throw new Error("the data set has no transitions to identify a model from");
  const p = nx + nu + 1;
  const ls = leastSquares(rows, ys, ridge);
  if (!ls) throw new Error("identification failed: the normal equations are not positive definite");
  const A = new Float64Array(nx * nx);
  const B = new Float64Array(nx * nu);
  const c = new Float64Array(nx);
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < nx; j++) A[i * nx + j] = ls.w[i][j];
    for (let j = 0; j < nu; j++) B[i * nu + j] = ls.w[i][nx + j];
    c[i] = ls.w[i][nx + nu];
  }
  const partial = { nx, nu, A, B, c } as AffineModel;
  const pred = new Float64Array(nx);
  const sq = new Float64Array(nx);
  const residuals = data.map((ro) =>
    ro.map((t) => {
      predict(partial, t.s, t.a, pred);
      const e = new Float64Array(nx);
      for (let i = 0; i < nx; i++) {
        e[i] = t.sNext[i] - pred[i];
        sq[i] += e[i] * e[i];
      }
      return e;
    }),
  );
  const n = rows.length;
  const dof = Math.max(1, n - p);
  const rmse = sq.map((v) => Math.sqrt(v / n));
  const stdErr = new Float64Array(nx * p);
  for (let i = 0; i < nx; i++) {
    const sigma2 = sq[i] / dof;
    for (let j = 0; j < p; j++) stdErr[i * p + j] = Math.sqrt(sigma2 * Math.max(0, ls.inv[j * p + j]));
  }
  return { nx, nu, A, B, c, residuals, rmse, stdErr, samples: n, condition: ls.condition };
}

/** Quadratic features of (s, a): 1, z_i, z_i z_j (i <= j) with z = [s; a]. */
function quadFeatures(s: ArrayLike<number>, a: ArrayLike<number>, out?: Float64Array): Float64Array {
  const z = [...Array.from(s), ...Array.from(a)];
  const m = z.length;
  const f = out ?? new Float64Array(1 + m + (m * (m + 1)) / 2);
  let k = 0;
  f[k++] = 1;
  for (let i = 0; i < m; i++) f[k++] = z[i];
  for (let i = 0; i < m; i++) for (let j = i; j < m; j++) f[k++] = z[i] * z[j];
  return f;
}

/** A stage-cost model L(s, a) fitted to the recorded costs over quadratic features (for plants
 *  whose cost function cannot be evaluated at a state of the learner's choice). */
export function fitQuadraticCost(data: readonly Rollout[], ridge = 1e-8): (s: ArrayLike<number>, a: ArrayLike<number>) => number {
  const rows: Float64Array[] = [];
  const ys: Float64Array[] = [];
  for (const ro of data) for (const t of ro) {
    rows.push(quadFeatures(t.s, t.a));
    ys.push(Float64Array.of(t.cost));
  }
  const ls = leastSquares(rows, ys, ridge);
  if (!ls) throw new Error("the cost model could not be fitted");
  const w = ls.w[0];
  const f = new Float64Array(w.length);
  return (s, a) => {
    quadFeatures(s, a, f);
    let v = 0;
    for (let i = 0; i < w.length; i++) v += w[i] * f[i];
    return v;
  };
}
