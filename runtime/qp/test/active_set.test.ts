// The active-set solver against the ADMM solver (tight tolerances + polishing) and an independent
// dense KKT check: random feasible QPs (cold and warm working sets), parametric sequences where
// only the bounds move (the closed-loop situation), and robustness (never throws, never accepts a
// point that fails the KKT conditions).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ActiveSetQp } from "../active_set.js";
import { QpSolver } from "../osqp.js";
import type { QpProblem } from "../types.js";
import { dense, denseToCsc, randomFeasibleQp } from "./helpers.js";

const tight = { epsAbs: 1e-9, epsRel: 1e-9, polish: true, maxIter: 50000 };

/** Largest violation of stationarity, feasibility, multiplier sign and complementarity (dense, unscaled). */
function kktViolation(p: QpProblem, x: Float64Array, y: Float64Array): number {
  const { n, m } = p;
  const P = dense(p.P), A = dense(p.A);
  let worst = 0;
  for (let j = 0; j < n; j++) {
    let g = p.q[j];
    for (let k = 0; k < n; k++) g += (j <= k ? P[j * n + k] : P[k * n + j]) * x[k];
    for (let i = 0; i < m; i++) g += A[i * n + j] * y[i];
    worst = Math.max(worst, Math.abs(g));
  }
  for (let i = 0; i < m; i++) {
    let ax = 0;
    for (let j = 0; j < n; j++) ax += A[i * n + j] * x[j];
    worst = Math.max(worst, p.l[i] - ax, ax - p.u[i]);
    if (y[i] > 0) worst = Math.max(worst, p.u[i] === Infinity ? y[i] : Math.abs(y[i] * (p.u[i] - ax)));
    if (y[i] < 0) worst = Math.max(worst, p.l[i] === -Infinity ? -y[i] : Math.abs(y[i] * (ax - p.l[i])));
  }
  return worst;
}

function solveAs(as: ActiveSetQp, p: QpProblem, active: Int8Array) {
  return as.solve(p.P.values, p.q, p.A.values, p.l, p.u, active);
}

describe("ActiveSetQp", () => {
  it("solves random feasible QPs from an empty working set to the ADMM solution, with KKT residuals at round-off", () => {
    let solved = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const p = randomFeasibleQp(seed, 12, 18);
      const as = new ActiveSetQp(p.P, p.A);
      const active = new Int8Array(p.m);
      const status = solveAs(as, p, active);
      const ref = new QpSolver(p, tight).solve();
      expect(ref.status).toBe("solved");
      if (status !== "solved") continue;
      solved++;
      expect(kktViolation(p, as.x, as.y)).toBeLessThan(1e-8);
      for (let j = 0; j < p.n; j++) expect(Math.abs(as.x[j] - ref.x[j])).toBeLessThan(1e-5 * (1 + Math.abs(ref.x[j])));
      // the final working set is the active set: solving again from it takes one factorization
      expect(solveAs(as, p, active)).toBe("solved");
      expect(as.iterations).toBe(1);
    }
    expect(solved).toBeGreaterThanOrEqual(25);
  });

  it("follows a parametric sequence (moving bounds) from the previous active set, as in a closed loop", () => {
    const base = randomFeasibleQp(7, 15, 20);
    const as = new ActiveSetQp(base.P, base.A);
    const active = new Int8Array(base.m);
    let total = 0;
    const steps = 40;
    for (let k = 0; k < steps; k++) {
      const shift = 0.3 * Math.sin(k / 5);
      const l = Float64Array.from(base.l, (v) => v + shift);
      const u = Float64Array.from(base.u, (v) => v + shift);
      const p: QpProblem = { ...base, l, u };
      const status = solveAs(as, p, active);
      const ref = new QpSolver(p, tight).solve();
      expect(ref.status).toBe("solved");
      expect(status).toBe("solved");
      total += as.iterations;
      expect(kktViolation(p, as.x, as.y)).toBeLessThan(1e-8);
      for (let j = 0; j < p.n; j++) expect(Math.abs(as.x[j] - ref.x[j])).toBeLessThan(1e-5 * (1 + Math.abs(ref.x[j])));
    }
    // most solves reuse the previous set (one or two factorizations)
    expect(total / steps).toBeLessThan(4);
  });

  it("does not report infeasible QPs (conflicting rows in the working set) as solved", () => {
    // x1 + x2 = 1 and x1 + x2 = 2; then x1 + x2 = 1 with 0 <= x1, x2 <= 0.4
    const P = denseToCsc(2, 2, [1, 0, 0, 1], true);
    const q = new Float64Array([1, -1]);
    const eq: QpProblem = { n: 2, m: 2, P, q, A: denseToCsc(2, 2, [1, 1, 1, 1]), l: new Float64Array([1, 2]), u: new Float64Array([1, 2]) };
    expect(solveAs(new ActiveSetQp(eq.P, eq.A), eq, new Int8Array(2))).not.toBe("solved");
    const box: QpProblem = { n: 2, m: 3, P, q, A: denseToCsc(3, 2, [1, 1, 1, 0, 0, 1]), l: new Float64Array([1, 0, 0]), u: new Float64Array([1, 0.4, 0.4]) };
    for (const guess of [[0, 0, 0], [1, 1, 1], [1, -1, 1], [1, 1, 0]]) {
      expect(solveAs(new ActiveSetQp(box.P, box.A), box, Int8Array.from(guess))).not.toBe("solved");
    }
  });

  it("never throws and never reports a point that fails the KKT conditions as solved", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 2, max: 10 }), fc.integer({ min: 1, max: 14 }), fc.array(fc.constantFrom(-1, 0, 1), { minLength: 14, maxLength: 14 }), (seed, n, m, guess) => {
        const p = randomFeasibleQp(seed, n, m);
        const as = new ActiveSetQp(p.P, p.A);
        const active = Int8Array.from(guess.slice(0, m));
        const status = solveAs(as, p, active);
        expect(["solved", "not_settled", "not_converged"]).toContain(status);
        if (status === "solved") expect(kktViolation(p, as.x, as.y)).toBeLessThan(1e-7);
      }),
      { numRuns: 150 },
    );
  });
});
