// Projection clamps exactly: whatever the rounding of theta + d, an accepted update lies inside
// [lower, upper] as doubles (bitwise, no tolerance), with arbitrary boxes and trust regions.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Newton, Sgd, type Optimizer } from "../optimizers.js";
import { SafeUpdater } from "../safety.js";

describe("safe updates clamp exactly", () => {
  it("an accepted update is inside [lower, upper] bitwise, for random boxes, parameters and steps", () => {
    const entry = fc
      .tuple(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.double({ min: 0, max: 1e3, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true }))
      .map(([lo, width, at, g]) => ({ lo, hi: lo + width, at, g }));
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 6 }), fc.constantFrom(Infinity, 0.5, 0.1), fc.boolean(), (entries, rel, newton) => {
        const n = entries.length;
        const lower = Float64Array.from(entries, (e) => e.lo);
        const upper = Float64Array.from(entries, (e) => e.hi);
        // theta inside the box (the endpoints included)
        const theta = Float64Array.from(entries, (e) => Math.min(Math.max(e.lo + e.at * (e.hi - e.lo), e.lo), e.hi));
        const grad = Float64Array.from(entries, (e) => e.g);
        const safe = new SafeUpdater(n, { lower, upper, maxRelativeChange: rel, minTrustRadius: 0.1 });
        const opt: Optimizer = newton ? new Newton(n, 1) : new Sgd(n, 1);
        const model = opt.model(theta, grad, newton ? Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 2 : 0)) : null);
        const out = safe.apply(theta, model);
        expect(out.accepted).toBe(true);
        for (let i = 0; i < n; i++) {
          expect(theta[i] >= lower[i] && theta[i] <= upper[i]).toBe(true);
        }
      }),
      { seed: 20261205, numRuns: 2000 },
    );
  });

  it("a step onto a bound whose distance rounds (theta 0.1, upper 0.3) lands on the bound, not 4e-17 beyond", () => {
    const safe = new SafeUpdater(1, { lower: Float64Array.of(-1), upper: Float64Array.of(0.3), maxRelativeChange: Infinity, minTrustRadius: 0.1 });
    const theta = Float64Array.of(0.1);
    expect(safe.apply(theta, new Sgd(1, 1).model(theta, Float64Array.of(-10))).accepted).toBe(true);
    expect(theta[0]).toBe(0.3);
  });
});
