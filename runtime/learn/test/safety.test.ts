import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoxQp } from "../boxqp.js";
import { choleskyAddedIdentity, cholSolve } from "../../linalg/dense.js";
import { Adam, Newton, Sgd } from "../optimizers.js";
import { SafeUpdater } from "../safety.js";

/** Random SPD matrix M = R R' + eps I from a flat array. */
function spd(n: number, r: number[], eps: number): Float64Array {
  const M = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? eps : 0;
      for (let k = 0; k < n; k++) s += r[i * n + k] * r[j * n + k];
      M[i * n + j] = s;
    }
  return M;
}

describe("box-constrained QP", () => {
  it("satisfies the KKT conditions on random problems", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            r: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n * n, maxLength: n * n }),
            c: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
            lo: fc.array(fc.double({ min: -2, max: 0, noNaN: true }), { minLength: n, maxLength: n }),
            w: fc.array(fc.double({ min: 0, max: 2, noNaN: true }), { minLength: n, maxLength: n }),
          }),
        ),
        ({ n, r, c, lo, w }) => {
          const H = spd(n, r, 0.1);
          const hi = lo.map((l, i) => l + w[i]);
          const d = new Float64Array(n);
          const qp = new BoxQp(n);
          expect(qp.solve(H, c, lo, hi, d)).toBe("solved");
          for (let i = 0; i < n; i++) {
            expect(d[i]).toBeGreaterThanOrEqual(lo[i] - 1e-12);
            expect(d[i]).toBeLessThanOrEqual(hi[i] + 1e-12);
            let g = c[i];
            for (let j = 0; j < n; j++) g += H[i * n + j] * d[j];
            const tol = 1e-8 * (1 + Math.abs(c[i]) + n * 20);
            if (hi[i] - lo[i] <= 1e-9) continue; // a (numerically) fixed variable: any multiplier
            if (d[i] > lo[i] + 1e-12 && d[i] < hi[i] - 1e-12) expect(Math.abs(g)).toBeLessThan(tol);
            else if (d[i] <= lo[i] + 1e-12) expect(g).toBeGreaterThan(-tol);
            else expect(g).toBeLessThan(tol);
          }
        },
      ),
      { seed: 20261205, numRuns: 300 },
    );
  });
});

describe("added-identity Cholesky (mpcrl's cholesky_added_multiple_identity)", () => {
  it("factors a PD matrix with tau = 0 and a rank-one matrix with tau = beta", () => {
    const L = new Float64Array(4);
    expect(choleskyAddedIdentity(Float64Array.of(4, 2, 2, 3), 2, L)).toBe(0);
    expect(Array.from(L)).toEqual([2, 0, 1, Math.sqrt(2)]);
    // g g' with g = [1, 2]: the second pivot is exactly 0, so tau becomes beta = 1e-3
    const L2 = new Float64Array(4);
    expect(choleskyAddedIdentity(Float64Array.of(1, 2, 2, 4), 2, L2)).toBe(1e-3);
    // a negative diagonal entry starts at tau = -min + beta
    expect(choleskyAddedIdentity(Float64Array.of(-1, 0, 0, 1), 2, L2)).toBeCloseTo(1 + 1e-3, 15);
    const x = cholSolve(L, 2, [2, 1], new Float64Array(2));
    // [[4,2],[2,3]] x = [2,1] -> x = [0.5, 0]
    expect(x[0]).toBeCloseTo(0.5, 15);
    expect(x[1]).toBeCloseTo(0, 15);
  });
});

describe("optimizers", () => {
  it("sgd with momentum and adam match hand computations", () => {
    const sgd = new Sgd(1, 0.1, 0.9);
    const th = Float64Array.of(1);
    let m = sgd.model(th, Float64Array.of(2))!;
    expect(m.step[0]).toBeCloseTo(-0.2, 15);
    sgd.commit();
    m = sgd.model(th, Float64Array.of(2))!;
    expect(m.step[0]).toBeCloseTo(0.9 * -0.2 - 0.2, 15);
    const adam = new Adam(1, 0.01);
    const a = adam.model(th, Float64Array.of(3))!;
    // first Adam step is -lr * sign(g) (bias-corrected m/sqrt(v) = g/|g|)
    expect(a.step[0]).toBeCloseTo(-0.01, 8);
  });

  it("newton's step is -lr (H + tau I)^{-1} g", () => {
    const nt = new Newton(2, 0.5);
    const m = nt.model(new Float64Array(2), Float64Array.of(1, -1), Float64Array.of(2, 0, 0, 4))!;
    expect(m.step[0]).toBeCloseTo(-0.25, 15);
    expect(m.step[1]).toBeCloseTo(0.125, 15);
  });
});

describe("safe updates", () => {
  const bounds = (n: number, lo: number, hi: number) => ({
    lower: new Float64Array(n).fill(lo),
    upper: new Float64Array(n).fill(hi),
  });

  it("a NaN step is rejected and leaves theta unchanged", () => {
    const safe = new SafeUpdater(2, { ...bounds(2, -Infinity, Infinity), maxRelativeChange: Infinity, minTrustRadius: 0.1 });
    const theta = Float64Array.of(1, 2);
    const sgd = new Sgd(2, 1);
    const out = safe.apply(theta, sgd.model(theta, Float64Array.of(NaN, 1)));
    expect(out.accepted).toBe(false);
    expect(out.reason).toBe("non_finite");
    expect(Array.from(theta)).toEqual([1, 2]);
    expect(safe.rejections).toHaveLength(1);
  });

  it("projection keeps theta in its bounds for any gradient", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
        (g, t0) => {
          const safe = new SafeUpdater(3, { ...bounds(3, -1, 1), maxRelativeChange: 0.5, minTrustRadius: 0.1 });
          const theta = Float64Array.from(t0);
          const before = theta.slice();
          const out = safe.apply(theta, new Sgd(3, 1).model(theta, Float64Array.from(g)));
          expect(out.accepted).toBe(true);
          for (let i = 0; i < 3; i++) {
            expect(theta[i]).toBeGreaterThanOrEqual(-1);
            expect(theta[i]).toBeLessThanOrEqual(1);
            expect(Math.abs(theta[i] - before[i])).toBeLessThanOrEqual(Math.max(0.5 * Math.abs(before[i]), 0.1) + 1e-15);
          }
        },
      ),
      { seed: 20261205 },
    );
  });
});
