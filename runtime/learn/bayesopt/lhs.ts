// Latin hypercube sampling in [0, 1]^d: each dimension's n strata are each hit exactly once
// (McKay, Beckman & Conover 1979), with a uniform position inside each stratum.

import type { Rng } from "../../rng.js";

export function latinHypercube(n: number, d: number, rng: Rng): number[][] {
  const out = Array.from({ length: n }, () => new Array<number>(d).fill(0));
  for (let j = 0; j < d; j++) {
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const k = rng.int(i + 1);
      [perm[i], perm[k]] = [perm[k], perm[i]];
    }
    for (let i = 0; i < n; i++) out[i][j] = (perm[i] + rng.next()) / n;
  }
  return out;
}
