// Expected improvement for minimization in log form, stable far into the tails (Ament et al.
// 2023, "Unexpected improvements to expected improvement", eq. 9):
//   EI = sigma h(z),  z = (best - mu) / sigma,  h(z) = phi(z) + z Phi(z),
//   log h(z) = log(phi(z) + z Phi(z)) for z > -1; below, with Phi(z) = 0.5 erfcx(-z/sqrt2) e^{-z^2/2}:
//   log h(z) = -z^2/2 - log sqrt(2 pi) + log1p(z sqrt(pi/2) erfcx(-z/sqrt2)), and ~ -z^2/2 - log sqrt(2pi) - 2 log|z| beyond |z| = 1e4.

import type { Rng } from "../../rng.js";
import type { GaussianProcess } from "./gp.js";
import { latinHypercube } from "./lhs.js";

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Scaled complementary error function erfcx(x) = exp(x^2) erfc(x) for x >= 0 (continued fraction / series). */
export function erfcx(x: number): number {
  if (x < 0) throw new RangeError("erfcx is implemented for x >= 0");
  if (x < 2) {
    // erfc via its Taylor series of erf (converges well for x < 2)
    let sum = x;
    let term = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const erf = (2 / Math.sqrt(Math.PI)) * sum;
    return Math.exp(x * x) * (1 - erf);
  }
  // Lentz's continued fraction: erfcx(x) = (1/sqrt(pi)) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  let f = x;
  let C = x;
  let D = 0;
  for (let n = 1; n < 300; n++) {
    const a = n / 2;
    D = x + a * D;
    D = D === 0 ? 1e-300 : 1 / D;
    C = x + a / C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / (Math.sqrt(Math.PI) * f);
}

export function normalCdf(z: number): number {
  return z < 0 ? 0.5 * erfcx(-z / Math.SQRT2) * Math.exp((-z * z) / 2) : 1 - 0.5 * erfcx(z / Math.SQRT2) * Math.exp((-z * z) / 2);
}

/** log h(z), h(z) = phi(z) + z Phi(z). */
export function logH(z: number): number {
  if (z > -1) {
    const phi = Math.exp(-0.5 * z * z - LOG_SQRT_2PI);
    return Math.log(phi + z * normalCdf(z));
  }
  if (z > -1e4) {
    return -0.5 * z * z - LOG_SQRT_2PI + Math.log1p(z * Math.sqrt(Math.PI / 2) * erfcx(-z / Math.SQRT2));
  }
  return -0.5 * z * z - LOG_SQRT_2PI - 2 * Math.log(-z);
}

/** log EI for minimization, given the posterior mean/std and the best observed value. */
export function logExpectedImprovement(mean: number, std: number, best: number): number {
  if (!(std > 0)) return mean < best ? Math.log(best - mean) : -Infinity;
  return Math.log(std) + logH((best - mean) / std);
}

/** The point of [0, 1]^d maximizing log expected improvement over `best` under `gp`: the best of
 *  `candidates` Latin-hypercube points and the observed points X jittered by N(0, 0.05^2), refined
 *  by 60 shrinking Gaussian perturbations around it. Draws from `rng` in that order (the learner's
 *  and the study's proposals are reproducible from their seeds). */
export function maximizeAcquisition(gp: GaussianProcess, best: number, X: readonly (readonly number[])[], candidates: number, rng: Rng): number[] {
  const score = (u: number[]): number => {
    const p = gp.predict(u);
    return logExpectedImprovement(p.mean, p.std, best);
  };
  const cands = latinHypercube(candidates, gp.dim, rng).concat(X.map((x) => x.map((v) => clamp01(v + 0.05 * rng.normal()))));
  let bestU = cands[0];
  let bestS = -Infinity;
  for (const u of cands) {
    const s = score(u);
    if (s > bestS) {
      bestS = s;
      bestU = u;
    }
  }
  for (let r = 0; r < 60; r++) {
    const scale = 0.1 * Math.pow(0.95, r);
    const u = bestU.map((v) => clamp01(v + scale * rng.normal()));
    const s = score(u);
    if (s > bestS) {
      bestS = s;
      bestU = u;
    }
  }
  return bestU;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));
