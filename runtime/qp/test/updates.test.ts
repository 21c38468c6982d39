// Updating data in place gives the same result as a fresh solver on the new data.

import { describe, expect, it } from "vitest";
import { pinInitialState } from "../io.js";
import { QpSolver } from "../osqp.js";
import type { QpProblem } from "../types.js";
import { loadQp, randn, randomFeasibleQp, rng } from "./helpers.js";

const tight = { epsAbs: 1e-8, epsRel: 1e-8, polish: true, maxIter: 20000 };

function expectSame(a: Float64Array, b: Float64Array, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol);
}

describe("solver updates", () => {
  for (let seed = 1; seed <= 6; seed++) {
    it(`seed ${seed}: updateQ / updateBounds / updatePValues / updateAValues match a fresh solve`, () => {
      const p = randomFeasibleQp(seed, 10, 8);
      const r = rng(seed);
      const solver = new QpSolver(p, tight);
      expect(solver.solve().status).toBe("solved");

      const q = Float64Array.from(p.q, (v) => v + randn(r));
      solver.updateQ(q);
      let cur: QpProblem = { ...p, q };
      const a = solver.solve();
      const b = new QpSolver(cur, tight).solve();
      expect(a.status).toBe("solved");
      expectSame(a.x, b.x, 1e-6);
      expect(a.objective).toBeCloseTo(b.objective, 7);

      // widen the bounds (keeps the problem feasible)
      const l = Float64Array.from(cur.l, (v) => v - r());
      const u = Float64Array.from(cur.u, (v) => v + r());
      solver.updateBounds(l, u);
      cur = { ...cur, l, u };
      expectSame(solver.solve().x.slice(), new QpSolver(cur, tight).solve().x, 1e-6);

      // new P values on the same pattern (a PSD matrix scaled and shifted stays PSD)
      const pv = Float64Array.from(cur.P.values, (v, k) => (cur.P.rowIdx[k] === colOf(cur.P.colPtr, k) ? 2 * v + 0.5 : 2 * v));
      solver.updatePValues(pv);
      cur = { ...cur, P: { ...cur.P, values: pv } };
      expectSame(solver.solve().x.slice(), new QpSolver(cur, tight).solve().x, 1e-6);

      // new A values (A scaled by 1.1, bounds too: the old feasible point stays feasible)
      const newA = cur.A.values.map((v) => 1.1 * v);
      solver.updateAValues(newA);
      const lo = Float64Array.from(cur.l, (v) => 1.1 * v);
      const hi = Float64Array.from(cur.u, (v) => 1.1 * v);
      solver.updateBounds(lo, hi);
      cur = { ...cur, A: { ...cur.A, values: newA }, l: lo, u: hi };
      const c = solver.solve();
      const d = new QpSolver(cur, tight).solve();
      expect(c.status).toBe(d.status);
      expectSame(c.x.slice(), d.x, 1e-6);
    });
  }

  it("warm start from the solution converges immediately; cold start does not", () => {
    const p = randomFeasibleQp(42, 15, 12);
    const s = new QpSolver(p, { epsAbs: 1e-6, epsRel: 1e-6 });
    const first = s.solve();
    const x = first.x.slice(), y = first.y.slice();
    const fresh = new QpSolver(p, { epsAbs: 1e-6, epsRel: 1e-6 });
    fresh.warmStart(x, y);
    const warm = fresh.solve();
    expect(warm.status).toBe("solved");
    expect(warm.iterations).toBeLessThanOrEqual(first.iterations);
    expect(warm.iterations).toBe(s.settings.checkTermination);
    fresh.coldStart();
    expect(fresh.solve().iterations).toBe(first.iterations);
  });

  it("updateSettings changes tolerances and rho, and the MPC closed loop stays solved", () => {
    const prob = loadQp("mpc/a_2state.json");
    const s = new QpSolver(prob);
    const l = prob.l.slice(), u = prob.u.slice();
    const x0s = [[0.5, 0.5], [0.54, 0.35], [0.3, -0.3], [0.8, 0.2]];
    for (const x0 of x0s) {
      pinInitialState(prob, x0, l, u);
      s.updateBounds(l, u);
      expect(s.solve().status).toBe("solved");
    }
    s.updateSettings({ epsAbs: 1e-7, epsRel: 1e-7, rho: 1 });
    expect(s.settings.epsAbs).toBe(1e-7);
    const r = s.solve();
    expect(r.status).toBe("solved");
    expect(r.primalResidual).toBeLessThan(1e-6);
    const fresh = new QpSolver({ ...prob, l, u }, { epsAbs: 1e-7, epsRel: 1e-7 }).solve();
    expect(r.objective).toBeCloseTo(fresh.objective, 5);
  });

  it("reports max_iterations, solved_inaccurate and time_limit", () => {
    const p = randomFeasibleQp(7, 30, 25);
    const few = new QpSolver(p, { maxIter: 3, checkTermination: 0 }).solve();
    expect(["max_iterations", "solved_inaccurate"]).toContain(few.status);
    expect(few.iterations).toBe(3);
    // pick an iteration count where the 1e-3 tolerances fail but 1e-2 ones hold
    let seen = false;
    for (let k = 1; k <= 200 && !seen; k++) {
      const r = new QpSolver(p, { maxIter: k, checkTermination: 0 }).solve();
      if (r.status === "solved_inaccurate") {
        seen = true;
        expect(Number.isFinite(r.objective)).toBe(true);
      }
    }
    expect(seen).toBe(true);
    const t = new QpSolver(p, { timeLimit: 1e-9, epsAbs: 1e-12, epsRel: 1e-12, maxIter: 100000 }).solve();
    expect(t.status).toBe("time_limit");
  });
});

function colOf(colPtr: Int32Array, k: number): number {
  let j = 0;
  while (colPtr[j + 1] <= k) j++;
  return j;
}


describe("warm start with settings.warmStart false", () => {
  it("starts from zero unless warmStart() was called just before", () => {
    const p = randomFeasibleQp(9, 12, 10);
    const s = new QpSolver(p, { warmStart: false, epsAbs: 1e-6, epsRel: 1e-6 });
    const first = s.solve();
    const x = first.x.slice(), y = first.y.slice();
    expect(s.solve().iterations).toBe(first.iterations); // cold again
    s.warmStart(x, y);
    expect(s.solve().iterations).toBe(s.settings.checkTermination);
  });
});
