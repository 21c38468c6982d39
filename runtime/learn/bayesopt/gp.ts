// Gaussian-process regression with a Matern 5/2 kernel with one length scale per input (ARD):
//   k(x, x') = sf^2 (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r),  r^2 = sum_i ((x_i - x'_i) / l_i)^2
// plus noise sn^2 on the diagonal (Rasmussen & Williams 2006, eq. 4.17). Hyperparameters are fitted
// by maximizing the log marginal likelihood (eq. 2.30) with Nelder-Mead in log space from a few
// starts. Inputs are expected in [0, 1]^d; outputs are standardized internally.

import { choleskyShifted as cholesky } from "../../linalg/dense.js";

export interface GpHyper {
  readonly lengthScales: number[];
  readonly signal: number;
  readonly noise: number;
}

const SQRT5 = Math.sqrt(5);

function matern52(a: ArrayLike<number>, b: ArrayLike<number>, ls: readonly number[], sf2: number): number {
  let r2 = 0;
  for (let i = 0; i < ls.length; i++) {
    const d = (a[i] - b[i]) / ls[i];
    r2 += d * d;
  }
  const r = Math.sqrt(r2);
  return sf2 * (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
}

/** Nelder-Mead minimization (Lagarias et al. 1998 coefficients). */
export function nelderMead(f: (x: number[]) => number, x0: number[], step = 0.5, maxIter = 400): { x: number[]; f: number } {
  const n = x0.length;
  let simplex = [x0.slice(), ...x0.map((_, i) => x0.map((v, j) => (i === j ? v + step : v)))];
  let values = simplex.map(f);
  for (let it = 0; it < maxIter; it++) {
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
    simplex = order.map((i) => simplex[i]);
    values = order.map((i) => values[i]);
    if (Math.abs(values[n] - values[0]) < 1e-10 * (1 + Math.abs(values[0]))) break;
    const c = x0.map((_, j) => simplex.slice(0, n).reduce((s, p) => s + p[j], 0) / n);
    const at = (t: number) => c.map((cj, j) => cj + t * (simplex[n][j] - cj));
    const xr = at(-1);
    const fr = f(xr);
    if (fr < values[0]) {
      const xe = at(-2);
      const fe = f(xe);
      [simplex[n], values[n]] = fe < fr ? [xe, fe] : [xr, fr];
    } else if (fr < values[n - 1]) {
      [simplex[n], values[n]] = [xr, fr];
    } else {
      const xc = fr < values[n] ? at(-0.5) : at(0.5);
      const fc = f(xc);
      if (fc < Math.min(fr, values[n])) [simplex[n], values[n]] = [xc, fc];
      else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i].map((v, j) => simplex[0][j] + 0.5 * (v - simplex[0][j]));
          values[i] = f(simplex[i]);
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i <= n; i++) if (values[i] < values[best]) best = i;
  return { x: simplex[best], f: values[best] };
}

export class GaussianProcess {
  hyper: GpHyper;
  private X: number[][] = [];
  private yMean = 0;
  private yStd = 1;
  private L = new Float64Array(0);
  private alpha = new Float64Array(0);
  private m = 0;

  constructor(readonly dim: number) {
    this.hyper = { lengthScales: new Array<number>(dim).fill(0.3), signal: 1, noise: 1e-3 };
  }

  /** Log marginal likelihood of standardized data under given hyperparameters (NaN if K is not PD). */
  static logLikelihood(X: number[][], y: number[], h: GpHyper): number {
    const m = X.length;
    const K = new Float64Array(m * m);
    const sf2 = h.signal * h.signal;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j <= i; j++) {
        const k = matern52(X[i], X[j], h.lengthScales, sf2) + (i === j ? h.noise * h.noise + 1e-10 : 0);
        K[i * m + j] = k;
        K[j * m + i] = k;
      }
    }
    const L = new Float64Array(m * m);
    if (!cholesky(K, m, 0, L)) return NaN;
    const a = Float64Array.from(y);
    for (let i = 0; i < m; i++) {
      let s = a[i];
      for (let k = 0; k < i; k++) s -= L[i * m + k] * a[k];
      a[i] = s / L[i * m + i];
    }
    let quad = 0;
    let logdet = 0;
    for (let i = 0; i < m; i++) {
      quad += a[i] * a[i];
      logdet += Math.log(L[i * m + i]);
    }
    return -0.5 * quad - logdet - 0.5 * m * Math.log(2 * Math.PI);
  }

  /** Fits hyperparameters by maximum marginal likelihood and conditions on the data. */
  fit(X: number[][], y: number[]): void {
    this.X = X.map((r) => r.slice());
    this.m = X.length;
    this.yMean = y.reduce((a, b) => a + b, 0) / y.length;
    const v = y.reduce((a, b) => a + (b - this.yMean) ** 2, 0) / y.length;
    this.yStd = v > 0 ? Math.sqrt(v) : 1;
    const ys = y.map((t) => (t - this.yMean) / this.yStd);
    const d = this.dim;
    const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);
    const toHyper = (p: number[]): GpHyper => ({
      lengthScales: p.slice(0, d).map((t) => Math.exp(clamp(t, Math.log(1e-2), Math.log(20)))),
      signal: Math.exp(clamp(p[d], Math.log(1e-2), Math.log(20))),
      noise: Math.exp(clamp(p[d + 1], Math.log(1e-4), Math.log(2))),
    });
    const objective = (p: number[]): number => {
      const ll = GaussianProcess.logLikelihood(this.X, ys, toHyper(p));
      return Number.isFinite(ll) ? -ll : 1e100;
    };
    let best: { x: number[]; f: number } | null = null;
    for (const l0 of [0.1, 0.3, 1]) {
      const start = [...new Array<number>(d).fill(Math.log(l0)), 0, Math.log(0.05)];
      const r = nelderMead(objective, start, 0.7, 150 + 40 * d);
      if (!best || r.f < best.f) best = r;
    }
    this.hyper = toHyper(best!.x);
    this.condition(ys);
  }

  private condition(ys: number[]): void {
    const m = this.m;
    const K = new Float64Array(m * m);
    const h = this.hyper;
    const sf2 = h.signal * h.signal;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j <= i; j++) {
        const k = matern52(this.X[i], this.X[j], h.lengthScales, sf2) + (i === j ? h.noise * h.noise + 1e-10 : 0);
        K[i * m + j] = k;
        K[j * m + i] = k;
      }
    }
    this.L = new Float64Array(m * m);
    let jitter = 0;
    while (!cholesky(K, m, jitter, this.L)) jitter = jitter === 0 ? 1e-8 : jitter * 10;
    const a = Float64Array.from(ys);
    for (let i = 0; i < m; i++) {
      let s = a[i];
      for (let k = 0; k < i; k++) s -= this.L[i * m + k] * a[k];
      a[i] = s / this.L[i * m + i];
    }
    for (let i = m - 1; i >= 0; i--) {
      let s = a[i];
      for (let k = i + 1; k < m; k++) s -= this.L[k * m + i] * a[k];
      a[i] = s / this.L[i * m + i];
    }
    this.alpha = a;
  }

  /** Posterior mean and standard deviation (in the data's units) at x. */
  predict(x: ArrayLike<number>): { mean: number; std: number } {
    const m = this.m;
    const h = this.hyper;
    const sf2 = h.signal * h.signal;
    const k = new Float64Array(m);
    let mu = 0;
    for (let i = 0; i < m; i++) {
      k[i] = matern52(x, this.X[i], h.lengthScales, sf2);
      mu += k[i] * this.alpha[i];
    }
    for (let i = 0; i < m; i++) {
      let s = k[i];
      for (let j = 0; j < i; j++) s -= this.L[i * m + j] * k[j];
      k[i] = s / this.L[i * m + i];
    }
    let vv = 0;
    for (let i = 0; i < m; i++) vv += k[i] * k[i];
    const variance = Math.max(sf2 - vv, 1e-16);
    return { mean: this.yMean + this.yStd * mu, std: this.yStd * Math.sqrt(variance) };
  }
}
