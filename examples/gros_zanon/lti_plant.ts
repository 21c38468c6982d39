// The Gros & Zanon plant as a hand-written TypeScript module (the interface of docs/plants.md),
// equivalent to the spec's `plant LtiSystem` block:
//   mpcrl train examples/gros_zanon/linear_mpc.mpcrl --plant examples/gros_zanon/lti_plant.ts

import { Rng } from "../../runtime/rng.js";

export function createPlant() {
  const s = new Float64Array(2);
  let noise = new Rng(0, "noise");
  return {
    nx: 2,
    nu: 1,
    reset(seed: number): Float64Array {
      noise = new Rng(seed, "noise");
      s[0] = 0;
      s[1] = 0.15;
      return s.slice();
    },
    step(a: ArrayLike<number>) {
      const w = 100;
      const lb = [0, -1];
      const ub = [1, 1];
      let cost = 0.5 * (s[0] * s[0] + s[1] * s[1] + 0.5 * a[0] * a[0]);
      let violations = 0;
      for (let i = 0; i < 2; i++) {
        cost += 0.5 * w * (Math.max(0, lb[i] - s[i]) + Math.max(0, s[i] - ub[i]));
        if (s[i] < lb[i] || s[i] > ub[i]) violations++;
      }
      const e = noise.uniform(-0.1, 0);
      const next = Float64Array.of(0.9 * s[0] + 0.35 * s[1] + 0.0813 * a[0] + e, 1.1 * s[1] + 0.2 * a[0]);
      s.set(next);
      return { observation: next, cost, terminated: false, truncated: false, info: { violations, disturbance: Float64Array.of(e, 0) } };
    },
  };
}
