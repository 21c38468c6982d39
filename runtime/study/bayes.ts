// Parallel Bayesian optimization for studies (docs/studies.md, `search bayesopt`): a batch of q
// points per round by the constant liar (Ginsbourger et al. 2010): after each pick, the GP is refit
// with the pick "observed" at the best value so far, so the next pick goes elsewhere and the q
// configurations of a round can run at once on every worker. Each pick maximizes log expected
// improvement (runtime/learn/bayesopt) over a Latin hypercube refined locally. Unit coordinates in
// [0, 1]^d. Pure and deterministic (the caller's Rng); browser-safe.

import { maximizeAcquisition } from "../learn/bayesopt/acquisition.js";
import { GaussianProcess } from "../learn/bayesopt/gp.js";
import { latinHypercube } from "../learn/bayesopt/lhs.js";
import type { Rng } from "../rng.js";

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/** q new points in [0, 1]^d given the observations (X, y), y to minimize. */
export function proposeBatch(X: readonly number[][], y: readonly number[], q: number, rng: Rng, candidates = 512): number[][] {
  const d = X[0]?.length ?? 0;
  if (X.length < 2 || d === 0) return latinHypercube(q, Math.max(1, d), rng);
  const xs = X.map((x) => [...x]);
  const ys = [...y];
  const liar = Math.min(...y);
  const out: number[][] = [];
  for (let j = 0; j < q; j++) {
    const gp = new GaussianProcess(d);
    gp.fit(xs, ys);
    const bestU = maximizeAcquisition(gp, Math.min(...ys), xs, candidates, rng);
    out.push(bestU);
    xs.push(bestU);
    ys.push(liar);
  }
  return out;
}
