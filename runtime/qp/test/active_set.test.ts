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

/**
 * Largest violation of stationarity, feasibility, multiplier sign and complementarity (dense), each
 * relative to the magnitudes it is made of, as OSQP's termination test scales its residuals:
 * stationarity by max(1, ||q||, ||Px||, ||A'y||), feasibility by max(1, ||Ax||), complementarity
 * |y_i| * gap_i by max(1, ||y||) * max(1, ||Ax||) (a multiplier of 2e4 times a gap of round-off size
 * is not a violation; a gap of 1e-9 relative is).
 */
function kktViolation(p: QpProblem, x: Float64Array, y: Float64Array): number {
  const { n, m } = p;
  const P = dense(p.P), A = dense(p.A);
  const ax = new Float64Array(m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) ax[i] += A[i * n + j] * x[j];
  let axMax = 1, yMax = 1, dualScale = 1;
  for (let i = 0; i < m; i++) {
    axMax = Math.max(axMax, Math.abs(ax[i]));
    yMax = Math.max(yMax, Math.abs(y[i]));
  }
  const g = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let px = 0, aty = 0;
    for (let k = 0; k < n; k++) px += (j <= k ? P[j * n + k] : P[k * n + j]) * x[k];
    for (let i = 0; i < m; i++) aty += A[i * n + j] * y[i];
    g[j] = p.q[j] + px + aty;
    dualScale = Math.max(dualScale, Math.abs(p.q[j]), Math.abs(px), Math.abs(aty));
  }
  let worst = 0;
  for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(g[j]) / dualScale);
  for (let i = 0; i < m; i++) {
    worst = Math.max(worst, (p.l[i] - ax[i]) / axMax, (ax[i] - p.u[i]) / axMax);
    const rel = (gap: number, yi: number): number => (Math.abs(yi) * gap) / (yMax * axMax);
    if (y[i] > 0) worst = Math.max(worst, p.u[i] === Infinity ? y[i] / yMax : rel(Math.abs(p.u[i] - ax[i]), y[i]));
    if (y[i] < 0) worst = Math.max(worst, p.l[i] === -Infinity ? -y[i] / yMax : rel(Math.abs(ax[i] - p.l[i]), y[i]));
  }
  return worst;
}

function solveAs(as: ActiveSetQp, p: QpProblem, active: Int8Array) {
  return as.solve(p.P.values, p.q, p.A.values, p.l, p.u, active);
}

describe("ActiveSetQp block steps (blockSteps, blockMin)", () => {
  it("reach the one-row walk's point on random QPs from the empty set; below blockMin violations the walk is the one-row walk", () => {
    const solved = [0, 0, 0];
    for (let seed = 1; seed <= 40; seed++) {
      const p = randomFeasibleQp(seed, 20, 40);
      const runs = [{}, { blockSteps: 10 }, { blockSteps: 10, blockMin: 8 }, { blockSteps: 10, blockMin: 1e9 }].map((o) => {
        const as = new ActiveSetQp(p.P, p.A, o);
        const status = solveAs(as, p, new Int8Array(p.m));
        return { status, x: Float64Array.from(as.x), y: Float64Array.from(as.y), sets: as.iterations };
      });
      // a blockMin no walk reaches gives exactly the one-row walk
      expect(runs[3].status).toBe(runs[0].status);
      expect(runs[3].sets).toBe(runs[0].sets);
      for (let k = 0; k < 3; k++) {
        const r = runs[k];
        if (r.status !== "solved") continue;
        solved[k]++;
        expect(kktViolation(p, r.x, r.y)).toBeLessThan(1e-9);
        if (runs[0].status === "solved") for (let j = 0; j < p.n; j++) expect(Math.abs(r.x[j] - runs[0].x[j])).toBeLessThanOrEqual(1e-7 * Math.max(1, Math.abs(runs[0].x[j])));
      }
    }
    // measured: 35 / 32 / 32 of 40 settle within 100 sets from the empty set (dense random QPs are
    // hard for cold walks either way; MPC's banded ones are where the block steps pay off)
    for (const k of [1, 2]) expect(solved[k]).toBeGreaterThanOrEqual(solved[0] - 3);
  });
});

describe("ActiveSetQp giveUpRatio", () => {
  it("never walks longer, ends the walks it lets finish at the same point, and stops some that would settle late", () => {
    let stoppedEarly = 0;
    let lostLate = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const p = randomFeasibleQp(seed, 20, 40);
      const free = new ActiveSetQp(p.P, p.A);
      const sFree = solveAs(free, p, new Int8Array(p.m));
      const quick = new ActiveSetQp(p.P, p.A);
      quick.giveUpRatio = 1;
      const sQuick = solveAs(quick, p, new Int8Array(p.m));
      // the same walk up to where it gives up: never more sets, and a walk it finishes is the same walk
      expect(quick.iterations).toBeLessThanOrEqual(free.iterations);
      if (sQuick === "solved") {
        expect(sFree).toBe("solved");
        expect(quick.iterations).toBe(free.iterations);
        for (let j = 0; j < p.n; j++) expect(quick.x[j]).toBe(free.x[j]);
      } else if (quick.iterations < free.iterations) {
        stoppedEarly++;
        if (sFree === "solved") lostLate++;
      }
    }
    // measured: 3 of the 30 walks stop before their budget; one of them (seed 13) would have
    // settled at its 100th set, the price of stopping early (the controller then solves by the
    // interior-point method)
    expect(stoppedEarly).toBeGreaterThanOrEqual(2);
    expect(lostLate).toBeLessThanOrEqual(1);
  });
  it("gives up at once when the violations outnumber the sets left", () => {
    // minimize 0.5|x|^2 - 10 (x1 + x2 + x3) subject to x_i <= 1: three rows violated, a budget of 3
    // sets and a ratio of 1: after the first set 3 > 1 x 2 violations remain, so the walk stops there
    const p: QpProblem = { n: 3, m: 3, P: denseToCsc(3, 3, [1, 0, 0, 0, 1, 0, 0, 0, 1], true), q: Float64Array.of(-10, -10, -10), A: denseToCsc(3, 3, [1, 0, 0, 0, 1, 0, 0, 0, 1]), l: Float64Array.of(-Infinity, -Infinity, -Infinity), u: Float64Array.of(1, 1, 1) };
    const as = new ActiveSetQp(p.P, p.A, { maxSets: 3 });
    as.giveUpRatio = 1;
    expect(solveAs(as, p, new Int8Array(3))).toBe("not_settled");
    expect(as.iterations).toBe(1);
    // with 4 sets the counts stay at the bound (3 = 1 x 3, 2 = 1 x 2, 1 = 1 x 1): no stop
    const patient = new ActiveSetQp(p.P, p.A, { maxSets: 4 });
    patient.giveUpRatio = 1;
    expect(solveAs(patient, p, new Int8Array(3))).toBe("solved");
    expect(Array.from(patient.x)).toEqual([1, 1, 1]);
  });
});

describe("ActiveSetQp rowOrder", () => {
  it("reaches the default walk's point on random QPs whatever the order of its corrections", () => {
    let both = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const p = randomFeasibleQp(seed, 20, 40);
      const reversed = Int32Array.from({ length: p.m }, (_, i) => p.m - i);
      const a = new ActiveSetQp(p.P, p.A);
      const b = new ActiveSetQp(p.P, p.A, { rowOrder: reversed });
      const sa = solveAs(a, p, new Int8Array(p.m));
      const sb = solveAs(b, p, new Int8Array(p.m));
      if (sb === "solved") expect(kktViolation(p, b.x, b.y)).toBeLessThan(1e-9);
      if (sa !== "solved" || sb !== "solved") continue;
      both++;
      for (let j = 0; j < p.n; j++) expect(Math.abs(b.x[j] - a.x[j])).toBeLessThanOrEqual(1e-7 * Math.max(1, Math.abs(a.x[j])));
    }
    expect(both).toBeGreaterThanOrEqual(20);
  });
  it("adds the earliest row among those violated by at least half the worst, else the worst", () => {
    // minimize 0.5|x|^2 - 10 x1 - c x2 subject to x1 <= 1, x2 <= 1: from the empty set the rows are
    // violated by 9 and by c - 1
    const firstAdded = (c: number, order: number[] | undefined): number => {
      const p: QpProblem = { n: 2, m: 2, P: denseToCsc(2, 2, [1, 0, 0, 1], true), q: Float64Array.of(-10, -c), A: denseToCsc(2, 2, [1, 0, 0, 1]), l: Float64Array.of(-Infinity, -Infinity), u: Float64Array.of(1, 1) };
      const as = new ActiveSetQp(p.P, p.A, { maxSets: 1, ...(order ? { rowOrder: Int32Array.from(order) } : {}) });
      const active = new Int8Array(2);
      expect(solveAs(as, p, active)).toBe("not_settled");
      return active.indexOf(1);
    };
    expect(firstAdded(6, undefined)).toBe(0); // the worst (9 against 5)
    expect(firstAdded(6, [1, 0])).toBe(1); // 5 >= 9 / 2: the earlier row
    expect(firstAdded(4, [1, 0])).toBe(0); // 3 < 9 / 2: the worst
    expect(firstAdded(6, [0, 1])).toBe(0);
  });
  it("refuses an order of the wrong length", () => {
    const p = randomFeasibleQp(1, 5, 8);
    expect(() => new ActiveSetQp(p.P, p.A, { rowOrder: new Int32Array(7) })).toThrow(TypeError);
  });
});

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
        if (status === "solved") expect(kktViolation(p, as.x, as.y)).toBeLessThan(1e-9);
      }),
      { numRuns: 150, seed: 20261205 },
    );
  });
});

describe("ActiveSetQp refuses what is not a convex QP with a minimizer", () => {
  const box2: Pick<QpProblem, "n" | "m" | "A" | "l" | "u"> = { n: 2, m: 2, A: denseToCsc(2, 2, [1, 0, 0, 1]), l: new Float64Array([-1, -1]), u: new Float64Array([1, 1]) };

  it("reports non_convex for an indefinite P, at a saddle point and at a local minimizer", () => {
    // min -x0^2 + x1^2 on the box: x = 0 is a KKT point (a saddle); x = (1, 0) a local, not global, minimizer
    const P = denseToCsc(2, 2, [-2, 0, 0, 2], true);
    for (const [q, guess] of [[[0, 0], [0, 0]], [[0.1, 0], [1, 0]], [[0.1, 0], [-1, 0]]] as const) {
      const p: QpProblem = { ...box2, P, q: Float64Array.from(q) };
      const as = new ActiveSetQp(p.P, p.A);
      expect(solveAs(as, p, Int8Array.from(guess))).toBe("non_convex");
      expect(as.message).toMatch(/positive semidefinite/);
    }
  });

  it("reports non_convex from the working set's inertia when P's negative curvature is below the convexity tolerance of P alone", () => {
    // P = diag(1, -1e-6): P + 1e-4 max|P| I is positive definite, but with nothing active the reduced
    // Hessian is P itself, whose -1e-6 is far beyond the regularization (1e-10)
    const P = denseToCsc(2, 2, [1, 0, 0, -1e-6], true);
    const p: QpProblem = { n: 2, m: 1, P, q: new Float64Array([0, 0]), A: denseToCsc(1, 2, [1, 0]), l: new Float64Array([-1]), u: new Float64Array([1]) };
    const as = new ActiveSetQp(p.P, p.A);
    expect(solveAs(as, p, new Int8Array(1))).toBe("non_convex");
    expect(as.message).toMatch(/inertia/);
  });

  it("reports dual_infeasible for unbounded QPs (the regularized point no longer passes for a solution)", () => {
    // min -x0 + 0.5 x1^2 with x0 >= 0 (no upper bound): x0 -> infinity; once reported solved at x0 = 2e10
    const a: QpProblem = { n: 2, m: 2, P: denseToCsc(2, 2, [0, 0, 0, 1], true), q: new Float64Array([-1, 0]), A: denseToCsc(2, 2, [1, 0, 0, 1]), l: new Float64Array([0, -1]), u: new Float64Array([Infinity, 1]) };
    // min 0.5 x0^2 - x1 with only x0 constrained
    const b: QpProblem = { n: 2, m: 1, P: denseToCsc(2, 2, [1, 0, 0, 0], true), q: new Float64Array([0, -1]), A: denseToCsc(1, 2, [1, 0]), l: new Float64Array([-1]), u: new Float64Array([1]) };
    for (const p of [a, b]) {
      for (const guess of [new Int8Array(p.m), new Int8Array(p.m).fill(-1), new Int8Array(p.m).fill(1)]) {
        const as = new ActiveSetQp(p.P, p.A);
        expect(solveAs(as, p, guess)).toBe("dual_infeasible");
      }
    }
  });

  it("still solves a bounded QP with a singular P (zero curvature blocked by a bound)", () => {
    // min -x0 + 0.5 x1^2 with 0 <= x0 <= 3: x0 = 3
    const p: QpProblem = { n: 2, m: 2, P: denseToCsc(2, 2, [0, 0, 0, 1], true), q: new Float64Array([-1, 0]), A: denseToCsc(2, 2, [1, 0, 0, 1]), l: new Float64Array([0, -1]), u: new Float64Array([3, 1]) };
    const as = new ActiveSetQp(p.P, p.A);
    expect(solveAs(as, p, new Int8Array(2))).toBe("solved");
    expect(as.x[0]).toBe(3);
    expect(kktViolation(p, as.x, as.y)).toBeLessThan(1e-12);
  });
});

describe("ActiveSetQp starting sets for columns without curvature (blockFlatColumns)", () => {
  // min 0.5 sum (x_k - t_k)^2 + rho sum s_k  s.t.  x_k - s_k <= b_k,  s_k >= 0: soft upper bounds
  // whose slacks have only a linear penalty, as in an MPC's `soft ... penalty linear`
  function softQp(t: number[], b: number[], rho: number): QpProblem {
    const k = t.length, n = 2 * k, m = 2 * k;
    const P = new Float64Array(n * n), A = new Float64Array(m * n);
    for (let i = 0; i < k; i++) {
      P[i * n + i] = 1;
      A[i * n + i] = 1;
      A[i * n + k + i] = -1;
      A[(k + i) * n + k + i] = 1;
    }
    const q = new Float64Array(n);
    for (let i = 0; i < k; i++) {
      q[i] = -t[i];
      q[k + i] = rho;
    }
    return { n, m, P: denseToCsc(n, n, P, true), q, A: denseToCsc(m, n, A), l: new Float64Array([...b.map(() => -Infinity), ...b.map(() => 0)]), u: new Float64Array([...b, ...b.map(() => Infinity)]) };
  }

  it("settles in one set from the empty set when no soft row is active (the slacks' bounds start active)", () => {
    const p = softQp([0.5, -1, 0.2, 0], [1, 1, 1, 1], 10);
    const as = new ActiveSetQp(p.P, p.A);
    const active = new Int8Array(p.m);
    expect(solveAs(as, p, active)).toBe("solved");
    expect(as.iterations).toBe(1);
    expect(Array.from(active)).toEqual([0, 0, 0, 0, -1, -1, -1, -1]);
    expect(kktViolation(p, as.x, as.y)).toBeLessThan(1e-12);
  });

  it("reaches the ADMM solver's point on random soft-constrained QPs from any starting set, and leaves an optimal set untouched", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 1, maxLength: 8 }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 16 }),
        (t, rho, bits) => {
          const p = softQp(t, t.map(() => 1), rho);
          const guess = new Int8Array(p.m);
          for (let i = 0; i < p.m; i++) guess[i] = (bits >> i) & 1 ? (i < t.length ? 1 : -1) : 0;
          const as = new ActiveSetQp(p.P, p.A);
          expect(solveAs(as, p, guess)).toBe("solved");
          expect(kktViolation(p, as.x, as.y)).toBeLessThan(1e-9);
          const ref = new QpSolver(p, tight).solve();
          for (let j = 0; j < p.n; j++) expect(Math.abs(as.x[j] - ref.x[j])).toBeLessThan(1e-6);
          // from the optimal set: one factorization, the same set
          const opt = Int8Array.from(guess);
          expect(solveAs(as, p, guess)).toBe("solved");
          expect(as.iterations).toBe(1);
          expect(Array.from(guess)).toEqual(Array.from(opt));
        },
      ),
      { seed: 1407, numRuns: 200 },
    );
  });
});

describe("ActiveSetQp homotopy from the last solution (solve's `homotopy` argument)", () => {
  /** p0 with q, the finite bounds (each row's pair shifted alike), A and P moved by about `eps`. */
  function perturbed(p0: QpProblem, seed: number, eps: number): QpProblem {
    let s = seed >>> 0;
    const rand = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32 - 0.5;
    };
    const shift = Float64Array.from({ length: p0.m }, () => eps * rand());
    return {
      ...p0,
      q: Float64Array.from(p0.q, (v) => v + 3 * eps * rand()),
      l: Float64Array.from(p0.l, (v, i) => v + shift[i]),
      u: Float64Array.from(p0.u, (v, i) => v + shift[i]),
      A: { ...p0.A, values: Float64Array.from(p0.A.values, (v) => v * (1 + eps * rand())) },
      P: { ...p0.P, values: Float64Array.from(p0.P.values, (v) => v * (1 + 0.1 * eps)) },
    };
  }

  it("reaches the cold solve's solution after moved data, and applies only from the last optimal set", () => {
    let changedSets = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom(1e-3, 1e-2, 0.1, 0.5), (seed, eps) => {
        const p0 = randomFeasibleQp(seed, 12, 20);
        const as = new ActiveSetQp(p0.P, p0.A, { homotopy: true });
        const set = new Int8Array(20);
        if (solveAs(as, p0, set) !== "solved") return;
        const first = Int8Array.from(set);
        const p1 = perturbed(p0, seed, eps);
        const start = Int8Array.from(set);
        const status = as.solve(p1.P.values, p1.q, p1.A.values, p1.l, p1.u, set, true);
        expect(["solved", "not_settled", "not_converged"]).toContain(status);
        // the one-row heuristic from the same start: where it settles, the homotopy does too
        const heuristic = new ActiveSetQp(p0.P, p0.A);
        if (heuristic.solve(p1.P.values, p1.q, p1.A.values, p1.l, p1.u, start) === "solved") expect(status).toBe("solved");
        const cold = new ActiveSetQp(p1.P, p1.A);
        const coldStatus = solveAs(cold, p1, new Int8Array(20));
        if (status === "solved") {
          expect(kktViolation(p1, as.x, as.y)).toBeLessThan(1e-9);
          if (coldStatus === "solved") for (let j = 0; j < 12; j++) expect(Math.abs(as.x[j] - cold.x[j])).toBeLessThanOrEqual(1e-7 * Math.max(1, Math.abs(cold.x[j])));
          if (set.some((v, i) => v !== first[i])) changedSets++;
        }
        // from any other set (here: the empty one) the walk is the one-row heuristic
        const again = new ActiveSetQp(p0.P, p0.A, { homotopy: true });
        solveAs(again, p0, new Int8Array(20));
        again.solve(p1.P.values, p1.q, p1.A.values, p1.l, p1.u, new Int8Array(20), true);
        expect(again.homotopySteps).toBe(0);
      }),
      { numRuns: 200, seed: 20261207 },
    );
    // the perturbations do move the optimal set (the ratio test is exercised)
    expect(changedSets).toBeGreaterThan(50);
  });

  it("a bound that was infinite at the anchor and is violated now: the walk still settles (the row fails at the end of the path)", () => {
    // min 0.5 x^2 - x subject to x <= u: first u = infinity (x = 1), then u = 0.5
    const P = denseToCsc(1, 1, [1], true);
    const A = denseToCsc(1, 1, [1]);
    const q = new Float64Array([-1]);
    const as = new ActiveSetQp(P, A, { homotopy: true });
    const set = new Int8Array(1);
    expect(as.solve(P.values, q, A.values, [-Infinity], [Infinity], set)).toBe("solved");
    expect(as.solve(P.values, q, A.values, [-Infinity], [0.5], set, true)).toBe("solved");
    expect(as.x[0]).toBeCloseTo(0.5, 12);
    expect(as.iterations).toBe(2);
    expect(as.homotopySteps).toBe(1);
  });

  it("a non-convex solve consumes the anchor like any other that is not solved", () => {
    const p0 = randomFeasibleQp(11, 6, 8);
    const as = new ActiveSetQp(p0.P, p0.A, { homotopy: true });
    const set = new Int8Array(8);
    expect(solveAs(as, p0, set)).toBe("solved");
    const indefinite = p0.P.values.map((v) => -v);
    expect(as.solve(indefinite, p0.q, p0.A.values, p0.l, p0.u, Int8Array.from(set))).toBe("non_convex");
    const q1 = Float64Array.from(p0.q, (v, i) => v + (i % 2 === 1 ? 1 : -1));
    as.solve(p0.P.values, q1, p0.A.values, p0.l, p0.u, Int8Array.from(set), true);
    expect(as.homotopySteps).toBe(0);
  });

  it("a failed solve leaves no anchor: the next solve from the same set walks without the homotopy", () => {
    const p0 = randomFeasibleQp(7, 12, 20);
    const as = new ActiveSetQp(p0.P, p0.A, { homotopy: true });
    const set = new Int8Array(20);
    expect(solveAs(as, p0, set)).toBe("solved");
    const q1 = Float64Array.from(p0.q, (v, i) => v + (i % 2 === 1 ? 1 : -1));
    as.maxSets = 1;
    const guess = Int8Array.from(set);
    expect(as.solve(p0.P.values, q1, p0.A.values, p0.l, p0.u, guess, true)).toBe("not_settled");
    expect(as.homotopySteps).toBe(1);
    as.maxSets = 100;
    guess.set(set);
    expect(as.solve(p0.P.values, q1, p0.A.values, p0.l, p0.u, guess, true)).toBe("solved");
    expect(as.homotopySteps).toBe(0);
  });
});
